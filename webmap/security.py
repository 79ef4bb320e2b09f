"""Security headers and the rate limiter of logins and public reports (shared by every server process,
and by every host when ``REDIS_URL`` is set)."""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from functools import wraps
from pathlib import Path

from flask import Flask
from flask import Response
from flask import abort
from flask import current_app
from flask import request

#: Content-Security-Policy of every page. Scripts only from this server (no inline script);
#: tiles from the optional online basemaps. Folium pages get their own, stricter-framed policy.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob: https://*.tile.openstreetmap.org https://*.tianditu.gov.cn "
    "https://*.is.autonavi.com; connect-src 'self'; frame-src 'self'; frame-ancestors 'self'; "
    "base-uri 'self'; form-action 'self'; object-src 'none'"
)
#: Policy of generated Folium documents (inline scripts are Folium's own; data in them is escaped).
FOLIUM_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'self'; base-uri 'self'; object-src 'none'"
)


def init_app(app: Flask) -> None:
    """Install the response headers and the rate limiter."""
    from gis.shared_state import client_for

    redis = client_for(app.config)
    if redis is not None:
        app.extensions["rate_limiter"] = RedisRateLimiter(redis)
    else:
        app.extensions["rate_limiter"] = RateLimiter(Path(app.instance_path) / "rate_limits.sqlite")

    @app.after_request
    def _headers(resp: Response) -> Response:
        resp.headers.setdefault("Content-Security-Policy", CSP)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        resp.headers.setdefault("Permissions-Policy", "geolocation=(self), camera=(self), microphone=()")
        return resp


class RateLimiter:
    """Sliding-window counter per (scope, client address), shared by every server process.

    The hits live in a small SQLite file in the instance folder (not the spatial database:
    nothing of it is data, and it must work before any migration), so the worker processes of
    ``wuhai-gis serve --workers N`` count together; each check is one ``BEGIN IMMEDIATE``
    transaction, which serialises concurrent checks across threads and processes.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._local = threading.local()
        db = self._db()
        db.execute(
            "CREATE TABLE IF NOT EXISTS hit (scope TEXT NOT NULL, key TEXT NOT NULL, at REAL NOT NULL)"
        )
        db.execute("CREATE INDEX IF NOT EXISTS hit_scope_key_at ON hit (scope, key, at)")

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=True)
            db.execute("PRAGMA journal_mode = WAL")
            self._local.db = db
        return db

    def hit(self, scope: str, key: str, *, limit: int, period: float, now: float | None = None) -> bool:
        """Count one hit; ``False`` when ``limit`` hits within ``period`` seconds are exceeded."""
        now = time.time() if now is None else now
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("DELETE FROM hit WHERE scope = ? AND at <= ?", (scope, now - period))
            (count,) = db.execute(
                "SELECT count(*) FROM hit WHERE scope = ? AND key = ?", (scope, key)
            ).fetchone()
            allowed = count < limit
            if allowed:
                db.execute("INSERT INTO hit (scope, key, at) VALUES (?, ?, ?)", (scope, key, now))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return allowed

    def reset(self) -> None:
        self._db().execute("DELETE FROM hit")


class RedisRateLimiter:
    """The same sliding window kept in Redis, so that every host counts together.

    Each (scope, client) is a sorted set of hit times; one Lua script drops the hits older than
    the window, counts the rest and adds the new hit when allowed, atomically on the server.
    """

    _SCRIPT = """
redis.call('zremrangebyscore', KEYS[1], '-inf', ARGV[1] - ARGV[2])
local count = redis.call('zcard', KEYS[1])
if count < tonumber(ARGV[3]) then
  redis.call('zadd', KEYS[1], ARGV[1], ARGV[4])
  redis.call('pexpire', KEYS[1], math.ceil(ARGV[2] * 1000))
  return 1
end
return 0
"""

    def __init__(self, redis, *, prefix: str = "wuhai:rate:") -> None:
        self.redis = redis
        self.prefix = prefix
        self._hit = redis.register_script(self._SCRIPT)

    def hit(self, scope: str, key: str, *, limit: int, period: float, now: float | None = None) -> bool:
        """Count one hit; ``False`` when ``limit`` hits within ``period`` seconds are exceeded."""
        now = time.time() if now is None else now
        member = f"{now:.6f}:{uuid.uuid4().hex[:8]}"
        keys = [f"{self.prefix}{scope}:{key}"]
        return bool(self._hit(keys=keys, args=[repr(now), repr(float(period)), int(limit), member]))

    def reset(self) -> None:
        names = list(self.redis.scan_iter(match=f"{self.prefix}*", count=500))
        if names:
            self.redis.delete(*names)


def rate_limited(scope: str):
    """Decorator: answer 429 when the client exceeds ``RATE_LIMITS[scope]`` on POST."""

    def deco(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if request.method == "POST":
                limit, period = current_app.config["RATE_LIMITS"][scope]
                limiter: RateLimiter = current_app.extensions["rate_limiter"]
                if not limiter.hit(scope, request.remote_addr or "-", limit=limit, period=period):
                    abort(429)
            return view(*args, **kwargs)

        return wrapped

    return deco
