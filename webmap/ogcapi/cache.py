"""A bounded cache of rendered items pages, valid for one data generation.

Public map clients ask for the same viewports again and again while the data changes only
through the naming procedure, inspections and imports. A page of GeoJSON is therefore kept,
with its gzip form and an ``ETag``, for as long as

- the data generation (:func:`gis.history.generation`, the latest audit entry) is unchanged:
  every write recorded by the application moves it, in this process or any other; and
- it is younger than ``max_age`` seconds, which bounds how long a change the application did
  not record (SQL typed by hand, another tool writing to the tables) or a concurrent writer
  whose audit id committed out of order stays invisible.

Entries are evicted least recently used first once the bodies exceed ``max_bytes``.

With ``REDIS_URL`` set, :class:`RedisPageCache` keeps the pages in Redis instead, shared by
every host: keyed on the data generation, so a write through any host is seen through all of
them, and expiring after ``max_age`` seconds (Redis's own ``maxmemory`` policy bounds its size).
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from dataclasses import field

import orjson

_log = logging.getLogger(__name__)


@dataclass
class Page:
    """One rendered response."""

    generation: str
    created: float
    body: bytes
    headers: dict[str, str]
    etag: str  # unquoted
    _gzipped: bytes | None = field(default=None, repr=False)

    @property
    def gzipped(self) -> bytes:
        if self._gzipped is None:
            self._gzipped = gzip.compress(self.body, compresslevel=5)
        return self._gzipped

    @property
    def size(self) -> int:
        return len(self.body) + len(self._gzipped or b"")


class PageCache:
    """LRU of :class:`Page` by key, bounded in bytes and age; safe for threads."""

    def __init__(self, *, max_bytes: int, max_age: float) -> None:
        self.max_bytes = int(max_bytes)
        self.max_age = float(max_age)
        self._pages: OrderedDict[tuple, Page] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0 and self.max_age > 0

    def get(self, key: tuple, generation: str, *, now: float | None = None) -> Page | None:
        """The page for ``key`` if it was rendered at ``generation`` and is not too old."""
        if not self.enabled:
            return None
        now = time.monotonic() if now is None else now
        with self._lock:
            page = self._pages.get(key)
            if page is None or page.generation != generation or now - page.created >= self.max_age:
                if page is not None:
                    self._drop(key)
                self.misses += 1
                return None
            self._pages.move_to_end(key)
            self.hits += 1
            return page

    def put(
        self, key: tuple, generation: str, body: bytes, headers: dict[str, str], *, now: float | None = None
    ) -> Page:
        """Keep a rendered page (not kept when larger than a quarter of the cache)."""
        digest = hashlib.blake2b(body, digest_size=12).hexdigest()
        page = Page(generation, time.monotonic() if now is None else now, body, dict(headers), digest)
        if not self.enabled or len(body) * 2 > self.max_bytes // 4:
            return page
        with self._lock:
            if key in self._pages:
                self._drop(key)
            self._pages[key] = page
            self._bytes += len(body) * 2  # room for its gzip form, made on first use
            while self._bytes > self.max_bytes and self._pages:
                self._drop(next(iter(self._pages)))
        return page

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._pages)

    def _drop(self, key: tuple) -> None:
        page = self._pages.pop(key)
        self._bytes -= len(page.body) * 2


class RedisPageCache:
    """The page cache in Redis: one hash per (generation, key) holding body, gzip form, headers, ETag.

    A page is gzipped once when stored, so that no host compresses it again. An unreachable
    Redis makes every request a miss (logged), never an error.
    """

    def __init__(self, redis, *, max_bytes: int, max_age: float, prefix: str = "wuhai:ogcapi:") -> None:
        self.redis = redis
        self.max_bytes = int(max_bytes)
        self.max_age = float(max_age)
        self.prefix = prefix
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0 and self.max_age > 0

    def get(self, key: tuple, generation: str, *, now: float | None = None) -> Page | None:
        """The page for ``key`` if one was rendered at ``generation`` within ``max_age`` seconds."""
        if not self.enabled:
            return None
        try:
            found = self.redis.hgetall(self._name(key, generation))
        except Exception as exc:  # a cache that cannot be reached is a miss
            _log.warning("page cache unreachable: %s", exc)
            found = None
        if not found:
            self.misses += 1
            return None
        self.hits += 1
        return Page(
            generation,
            time.monotonic(),
            found[b"body"],
            orjson.loads(found[b"headers"]),
            found[b"etag"].decode(),
            _gzipped=found[b"gz"],
        )

    def put(
        self, key: tuple, generation: str, body: bytes, headers: dict[str, str], *, now: float | None = None
    ) -> Page:
        """Keep a rendered page for ``max_age`` seconds (not kept when larger than a quarter of the cache)."""
        digest = hashlib.blake2b(body, digest_size=12).hexdigest()
        page = Page(generation, time.monotonic() if now is None else now, body, dict(headers), digest)
        if not self.enabled or len(body) * 2 > self.max_bytes // 4:
            return page
        fields = {"body": body, "gz": page.gzipped, "headers": orjson.dumps(page.headers), "etag": digest}
        name = self._name(key, generation)
        try:
            with self.redis.pipeline(transaction=True) as pipe:
                pipe.hset(name, mapping=fields)
                pipe.pexpire(name, int(self.max_age * 1000))
                pipe.execute()
        except Exception as exc:
            _log.warning("page cache unreachable: %s", exc)
        return page

    def clear(self) -> None:
        names = list(self.redis.scan_iter(match=f"{self.prefix}*", count=500))
        if names:
            self.redis.delete(*names)

    def __len__(self) -> int:
        return sum(1 for _ in self.redis.scan_iter(match=f"{self.prefix}*", count=500))

    def _name(self, key: tuple, generation: str) -> str:
        digest = hashlib.blake2b(repr(key).encode(), digest_size=16).hexdigest()
        return f"{self.prefix}{generation}:{digest}"
