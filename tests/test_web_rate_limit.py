"""The rate limiter counts across threads and processes (``wuhai-gis serve --workers N``)."""

from __future__ import annotations

import multiprocessing
import threading

from webmap.security import RateLimiter


def _hits(path: str, n: int, out) -> None:
    limiter = RateLimiter(path)
    out.put(sum(limiter.hit("login", "10.0.0.1", limit=10, period=60) for _ in range(n)))


def test_window_slides_and_scopes_and_addresses_are_apart(tmp_path):
    limiter = RateLimiter(tmp_path / "r.sqlite")
    assert [limiter.hit("login", "a", limit=2, period=60, now=t) for t in (0, 1, 2)] == [True, True, False]
    assert limiter.hit("login", "b", limit=2, period=60, now=2)  # another address
    assert limiter.hit("report", "a", limit=2, period=60, now=2)  # another scope
    assert limiter.hit("login", "a", limit=2, period=60, now=60.5)  # the first hit left the window
    assert not limiter.hit("login", "a", limit=2, period=60, now=60.6)


def test_processes_and_threads_share_one_count(tmp_path):
    path = str(tmp_path / "r.sqlite")
    RateLimiter(path)  # creates the table once
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_hits, args=(path, 6, out)) for _ in range(2)]
    for p in procs:
        p.start()
    allowed = [out.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert sum(allowed) == 10  # 12 attempts from two processes, limit 10 in all

    limiter = RateLimiter(path)
    limiter.reset()
    results: list[bool] = []
    lock = threading.Lock()

    def worker() -> None:
        ok = [limiter.hit("report", "x", limit=5, period=600) for _ in range(4)]
        with lock:
            results.extend(ok)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 5
