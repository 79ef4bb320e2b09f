"""State shared by several web hosts through Redis (``REDIS_URL``): the client and a lock with expiry.

Without ``REDIS_URL`` nothing here is used: rate limits, the OGC API page cache and product
builds keep their single-host forms (a SQLite file, process memory, a file lock).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping
from typing import Any

from gis import settings

_CLIENTS: dict[str, Any] = {}
_CLIENTS_LOCK = threading.Lock()

#: Releases the lock only when it is still held by the token that took it.
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""
#: Extends the lock's expiry only when it is still held by the token that took it.
_EXTEND = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0
"""


def redis_url(config: Mapping[str, Any] | None = None) -> str | None:
    """``REDIS_URL`` from an app's config, else from the environment; ``None`` when unset or empty."""
    value = (config or {}).get("REDIS_URL") or settings.get("REDIS_URL")
    return str(value) if value else None


def client(url: str):
    """One Redis client (with its connection pool) per URL and process."""
    with _CLIENTS_LOCK:
        found = _CLIENTS.get(url)
        if found is None:
            import redis

            found = redis.Redis.from_url(
                url, socket_timeout=5, socket_connect_timeout=5, health_check_interval=30
            )
            _CLIENTS[url] = found
        return found


def client_for(config: Mapping[str, Any] | None = None):
    """The Redis client of ``REDIS_URL``, or ``None`` when no Redis is configured."""
    url = redis_url(config)
    return client(url) if url else None


class RedisLock:
    """A named lock held by one process of any host, released on exit or when ``ttl`` passes.

    The holder renews the expiry from a background thread while it runs, so a long build keeps
    the lock and a host that dies loses it after at most ``ttl`` seconds.
    """

    def __init__(self, redis, name: str, *, ttl: float = 120.0) -> None:
        self.redis = redis
        self.name = name
        self.ttl_ms = int(ttl * 1000)
        self.token = uuid.uuid4().hex
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def acquire(self) -> bool:
        """Take the lock without waiting; whether it was free."""
        if not self.redis.set(self.name, self.token, nx=True, px=self.ttl_ms):
            return False
        self._renewer = threading.Thread(target=self._renew, name=f"lock {self.name}", daemon=True)
        self._renewer.start()
        return True

    def release(self) -> None:
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join()
        self.redis.eval(_RELEASE, 1, self.name, self.token)

    def held(self) -> bool:
        """Whether anyone holds the lock now."""
        return bool(self.redis.exists(self.name))

    def _renew(self) -> None:
        while not self._stop.wait(self.ttl_ms / 3000):
            if not self.redis.eval(_EXTEND, 1, self.name, self.token, self.ttl_ms):
                return
