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
"""

from __future__ import annotations

import gzip
import hashlib
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from dataclasses import field


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
