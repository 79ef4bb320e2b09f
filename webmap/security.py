"""Security headers and a small in-process rate limiter for logins and public reports."""

from __future__ import annotations

import threading
import time
from collections import deque
from functools import wraps

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
    app.extensions["rate_limiter"] = RateLimiter()

    @app.after_request
    def _headers(resp: Response) -> Response:
        resp.headers.setdefault("Content-Security-Policy", CSP)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        resp.headers.setdefault("Permissions-Policy", "geolocation=(self), camera=(self), microphone=()")
        return resp


class RateLimiter:
    """Sliding-window counter per (scope, client address), kept in this process's memory.

    One waitress process serves the app, so an in-process limiter is exact; several worker
    processes would each count separately (documented in docs/webapp.md).
    """

    def __init__(self) -> None:
        self._hits: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, scope: str, key: str, *, limit: int, period: float, now: float | None = None) -> bool:
        """Count one hit; ``False`` when ``limit`` hits within ``period`` seconds are exceeded."""
        now = time.monotonic() if now is None else now
        with self._lock:
            q = self._hits.setdefault((scope, key), deque())
            while q and q[0] <= now - period:
                q.popleft()
            if len(q) >= limit:
                return False
            q.append(now)
            return True

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()


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
