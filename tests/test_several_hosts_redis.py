"""The Redis forms of the shared pieces: rate limiter window, page cache, build lock."""
# ruff: noqa: F811  (the factory fixture imported from test_gis_products is redefined as an argument)

from __future__ import annotations

import os

import pytest
from test_gis_products import FakeBuilder
from test_gis_products import factory  # noqa: F401

from gis.products import ProductCache
from gis.shared_state import RedisLock
from webmap.ogcapi.cache import RedisPageCache
from webmap.security import RedisRateLimiter

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/7")


@pytest.fixture
def redis_db():
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.ConnectionError:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no Redis at {REDIS_URL}")
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


def test_redis_window_slides_and_scopes_and_addresses_are_apart(redis_db):
    limiter = RedisRateLimiter(redis_db)
    assert [limiter.hit("login", "a", limit=2, period=60, now=t) for t in (0, 1, 2)] == [True, True, False]
    assert limiter.hit("login", "b", limit=2, period=60, now=2)
    assert limiter.hit("report", "a", limit=2, period=60, now=2)
    assert limiter.hit("login", "a", limit=2, period=60, now=60.5)
    assert not limiter.hit("login", "a", limit=2, period=60, now=60.6)
    other_host = RedisRateLimiter(redis_db)
    assert not other_host.hit("login", "a", limit=2, period=60, now=60.7)  # counted with the first
    limiter.reset()
    assert other_host.hit("login", "a", limit=2, period=60, now=60.8)


def test_redis_page_cache_by_generation_and_size(redis_db):
    cache = RedisPageCache(redis_db, max_bytes=4000, max_age=60)
    page = cache.put(("a",), "1-x", b"x" * 400, {"Content-Crs": "<c>"})
    other_host = RedisPageCache(redis_db, max_bytes=4000, max_age=60)
    found = other_host.get(("a",), "1-x")
    assert found.body == b"x" * 400 and found.etag == page.etag and found.headers == {"Content-Crs": "<c>"}
    assert found.gzipped and other_host.hits == 1
    assert other_host.get(("a",), "2-y") is None and other_host.misses == 1  # the data moved on
    assert cache.put(("big",), "1-x", b"w" * 1000, {}).etag and cache.get(("big",), "1-x") is None
    assert len(cache) == 1
    cache.clear()
    assert len(cache) == 0
    off = RedisPageCache(redis_db, max_bytes=0, max_age=60)
    off.put(("a",), "1-x", b"x", {})
    assert not off.enabled and off.get(("a",), "1-x") is None


def test_redis_lock_one_holder_expires_and_is_released_by_its_holder_only(redis_db):
    first = RedisLock(redis_db, "wuhai:build:test", ttl=0.3)
    second = RedisLock(redis_db, "wuhai:build:test", ttl=0.3)
    assert first.acquire() and not second.acquire() and second.held()
    redis_db.set("wuhai:build:test", "someone-else", px=300)  # expired and taken by another host
    first.release()
    assert redis_db.get("wuhai:build:test") == b"someone-else"
    redis_db.delete("wuhai:build:test")
    assert second.acquire()
    second.release()
    assert not first.held()


def test_builds_coordinated_across_caches_by_the_redis_lock(factory, redis_db, tmp_path):
    host_a = ProductCache(tmp_path, factory, redis=redis_db)
    host_b = ProductCache(tmp_path, factory, redis=redis_db)
    builder = FakeBuilder(hold=True)
    with factory() as s:
        assert host_a.request(s, "report", {"year": 2024}, builder).state == "building"
        assert builder.started.wait(30)
        assert host_b.status(s, "report", {"year": 2024}).state == "building"  # held by host A
        assert redis_db.exists("wuhai:build:report/year-2024")
        builder.release.set()
        assert host_a.wait("report", {"year": 2024}, timeout=60)
        assert host_b.status(s, "report", {"year": 2024}).state == "ready"
    assert builder.calls == 1 and not redis_db.exists("wuhai:build:report/year-2024")
