"""The OGC API items page cache: served again while the data generation holds, dropped when it moves."""
# ruff: noqa: F811  (pytest fixtures imported from web_fixtures are redefined as arguments)

from __future__ import annotations

import gzip

from sqlalchemy import text
from web_fixtures import app  # noqa: F401
from web_fixtures import client  # noqa: F401
from web_fixtures import web_db  # noqa: F401

from webmap.ogcapi.cache import PageCache

ITEMS = "/ogcapi/collections/signs/items?limit=10&bbox=106.7,39.6,106.9,39.8"


def test_page_cache_generation_age_and_size_bounds():
    cache = PageCache(max_bytes=4000, max_age=60)
    cache.put(("a",), 1, b"x" * 400, {}, now=0.0)
    assert cache.get(("a",), 1, now=10.0).body == b"x" * 400
    assert cache.get(("a",), 2, now=10.0) is None  # the data moved on
    assert cache.get(("a",), 1, now=10.0) is None  # and the stale page is gone
    cache.put(("b",), 1, b"y" * 400, {}, now=0.0)
    assert cache.get(("b",), 1, now=60.0) is None  # too old
    for i in range(8):  # 8 pages × 800 bytes reserved > 4000: the oldest are evicted
        cache.put((i,), 1, b"z" * 400, {}, now=0.0)
    assert cache.get((0,), 1, now=1.0) is None and cache.get((7,), 1, now=1.0) is not None
    assert len(cache) <= 5
    big = cache.put(("big",), 1, b"w" * 1000, {}, now=0.0)  # over a quarter of the cache: not kept
    assert big.etag and cache.get(("big",), 1, now=1.0) is None
    off = PageCache(max_bytes=0, max_age=60)
    off.put(("a",), 1, b"x", {}, now=0.0)
    assert not off.enabled and off.get(("a",), 1, now=0.0) is None


def test_items_served_from_cache_until_a_write_elsewhere(client, app):
    pages = app.extensions["ogcapi_pages"]
    first = client.get(ITEMS)
    assert first.status_code == 200 and pages.misses == 1
    again = client.get(ITEMS)
    assert pages.hits == 1 and again.get_data() == first.get_data()
    assert again.headers["ETag"] == first.headers["ETag"]
    code = first.get_json()["features"][0]["properties"]["code"]
    # Another connection (another process, say) renames the sign and records the write.
    engine = app.extensions["wuhai_engine"]
    with engine.begin() as conn:
        conn.execute(text("UPDATE sign SET code = 'CACHE-1' WHERE code = :c"), {"c": code})
        conn.execute(
            text(
                "INSERT INTO audit_log (at, actor, action, table_name, row_key) "
                "VALUES (CURRENT_TIMESTAMP, 'other', 'update', 'sign', '1')"
            )
        )
    fresh = client.get(ITEMS).get_json()
    assert "CACHE-1" in {f["properties"]["code"] for f in fresh["features"]}
    assert pages.misses == 2


def test_items_etag_304_and_gzip(client):
    first = client.get(ITEMS)
    etag = first.headers["ETag"]
    assert client.get(ITEMS, headers={"If-None-Match": etag}).status_code == 304
    zipped = client.get(ITEMS, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.get_data()) == first.get_data()
    other = client.get(ITEMS + "&offset=1")
    assert other.headers["ETag"] != etag


def test_number_matched_from_the_spatial_index_agrees_with_the_features(client):
    whole = client.get("/ogcapi/collections/signs/items?limit=1000&bbox=106.7,39.6,106.9,39.8").get_json()
    page = client.get("/ogcapi/collections/signs/items?limit=1&bbox=106.7,39.6,106.9,39.8").get_json()
    assert page["numberMatched"] == whole["numberReturned"] == whole["numberMatched"] >= 2
    none = client.get("/ogcapi/collections/signs/items?limit=1&offset=5&bbox=100,30,100.1,30.1").get_json()
    assert none["numberMatched"] == 0 and none["features"] == []
