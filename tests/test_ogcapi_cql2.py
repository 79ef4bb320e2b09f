"""CQL2 filters of the items (OGC API - Features Part 3): text and JSON, through the queryables only.

Each filter's features are checked against the same predicate evaluated in Python over every
feature of the collection, so a wrong translation (or a wrong AND/OR precedence) shows.
"""
# ruff: noqa: F811  (pytest fixtures imported from web_fixtures are redefined as arguments)

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from web_fixtures import ro_app  # noqa: F401
from web_fixtures import ro_client  # noqa: F401

EPSG4490 = "http://www.opengis.net/def/crs/EPSG/0/4490"
CONFORMANCE = (
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
)


def _items(client, cid: str, query: str = "", *, status: int = 200):
    resp = client.get(f"/ogcapi/collections/{cid}/items?limit=1000{query}")
    assert resp.status_code == status, resp.get_data(as_text=True)
    return resp


def _filtered(client, cid: str, text: str, **extra) -> list:
    query = f"&filter={quote(text)}" + "".join(f"&{k.replace('_', '-')}={quote(v)}" for k, v in extra.items())
    doc = _items(client, cid, query).get_json()
    assert doc["numberMatched"] == doc["numberReturned"] == len(doc["features"])
    return sorted(f["id"] for f in doc["features"])


def _where(client, cid: str, keep) -> list:
    return sorted(f["id"] for f in _items(client, cid).get_json()["features"] if keep(f["properties"]))


def _lon(feature) -> float:
    return feature["geometry"]["coordinates"][0]


ATTRIBUTE_FILTERS = [
    ("divisions", "level = 'district'", lambda p: p["level"] == "district"),
    ("divisions", "level <> 'district'", lambda p: p["level"] != "district"),
    ("divisions", "population > 2000", lambda p: (p["population"] or 0) > 2000),
    ("divisions", "population >= 3000 AND households < 1201", lambda p: p["population"] == 3000),
    ("divisions", "population <= 2999", lambda p: False),
    ("divisions", "population < 3001", lambda p: p["population"] is not None),
    ("divisions", "population IS NULL", lambda p: p["population"] is None),
    ("divisions", "population IS NOT NULL", lambda p: p["population"] is not None),
    ("divisions", "population BETWEEN 1000 AND 5000", lambda p: p["population"] is not None),
    ("divisions", "level IN ('city', 'town')", lambda p: p["level"] in ("city", "town")),
    ("divisions", "level NOT IN ('city', 'town')", lambda p: p["level"] not in ("city", "town")),
    ("divisions", "NOT (level = 'district')", lambda p: p["level"] != "district"),
    ("divisions", "name LIKE '%区'", lambda p: p["name"].endswith("区")),
    (
        "divisions",
        "name LIKE '海%' AND name NOT LIKE '%南%'",
        lambda p: p["name"].startswith("海") and "南" not in p["name"],
    ),
    # AND binds tighter than OR
    (
        "divisions",
        "level = 'city' OR level = 'district' AND parent_code = '150300000000'",
        lambda p: p["level"] == "city" or (p["level"] == "district" and p["parent_code"] == "150300000000"),
    ),
    (
        "divisions",
        "(level = 'city' OR level = 'district') AND population IS NULL",
        lambda p: p["level"] in ("city", "district") and p["population"] is None,
    ),
    (
        "divisions",
        "parent_code = '150302000000' OR kind = '社区'",
        lambda p: p["parent_code"] == "150302000000" or p["kind"] == "社区",
    ),
    ("place_names", "name LIKE '人%'", lambda p: p["name"].startswith("人")),
    ("place_names", "approval_date >= DATE('2024-03-01')", lambda p: p["approval_date"] >= "2024-03-01"),
    ("place_names", "approval_date < DATE('2024-03-01')", lambda p: p["approval_date"] < "2024-03-01"),
    (
        "signs",
        "text_zh = '人民路' AND kind = 'street'",
        lambda p: p["text_zh"] == "人民路" and p["kind"] == "street",
    ),
    ("signs", "text_romanized LIKE 'RENMIN%'", lambda p: p["text_romanized"].startswith("RENMIN")),
    ("signs", "text_romanized LIKE 'renmin%'", lambda p: False),  # case counts, on SQLite too
    ("signs", "text_romanized LIKE 'RENMIN_LU'", lambda p: p["text_romanized"] == "RENMIN LU"),
    ("signs", "text_romanized LIKE 'RENMIN\\_LU'", lambda p: p["text_romanized"] == "RENMIN_LU"),
    ("boundary_lines", "length_km > 8.5", lambda p: p["length_km"] > 8.5),
    ("markers", "seq = 1", lambda p: p["seq"] == 1),
]


def test_conformance_declares_filtering(ro_client):
    conf = ro_client.get("/ogcapi/conformance").get_json()["conformsTo"]
    assert set(CONFORMANCE) <= set(conf)
    api = ro_client.get("/ogcapi/api").get_json()
    names = {
        p["$ref"].rsplit("/", 1)[1]
        for p in api["paths"]["/collections/signs/items"]["get"]["parameters"]
        if "$ref" in p
    }
    assert {"filter", "filter-lang", "filter-crs"} <= names


@pytest.mark.parametrize(
    ("cid", "text", "keep"), ATTRIBUTE_FILTERS, ids=[t for _c, t, _k in ATTRIBUTE_FILTERS]
)
def test_attribute_filter_matches_the_same_predicate(ro_client, cid, text, keep):
    expected = _where(ro_client, cid, keep)
    assert _filtered(ro_client, cid, text) == expected


def test_filters_are_not_trivially_all_or_nothing(ro_client):
    assert len(_filtered(ro_client, "signs", "text_romanized LIKE 'RENMIN%'")) == 3
    everything = _where(ro_client, "divisions", lambda p: True)
    assert 0 < len(_filtered(ro_client, "divisions", "level = 'district'")) < len(everything)
    assert 0 < len(_filtered(ro_client, "divisions", "population IS NOT NULL")) < len(everything)


def test_cql2_json_gives_the_same_features_as_text(ro_client):
    tree = {
        "op": "or",
        "args": [
            {"op": "=", "args": [{"property": "level"}, "city"]},
            {"op": "between", "args": [{"property": "population"}, 1000, 5000]},
        ],
    }
    by_json = _filtered(ro_client, "divisions", json.dumps(tree), filter_lang="cql2-json")
    assert by_json == _filtered(ro_client, "divisions", "level = 'city' OR population BETWEEN 1000 AND 5000")
    assert len(by_json) == 2


def test_s_intersects_with_a_bbox_and_a_wkt_geometry(ro_client):
    features = _items(ro_client, "signs").get_json()["features"]
    west = sorted(f["id"] for f in features if _lon(f) < 106.815)
    assert 0 < len(west) < len(features)
    assert (
        _filtered(ro_client, "signs", "S_INTERSECTS(geometry, BBOX(106.79, 39.66, 106.815, 39.68))") == west
    )
    polygon = "POLYGON((106.79 39.66, 106.815 39.66, 106.815 39.68, 106.79 39.68, 106.79 39.66))"
    assert _filtered(ro_client, "signs", f"S_INTERSECTS(geometry, {polygon})") == west
    lat_lon = "S_INTERSECTS(geometry, BBOX(39.66, 106.79, 39.68, 106.815))"
    assert _filtered(ro_client, "signs", lat_lon, filter_crs=EPSG4490) == west
    both = f"S_INTERSECTS(geometry, {polygon}) AND kind = 'street'"
    assert _filtered(ro_client, "signs", both) == west


def test_s_intersects_of_a_line_collection(ro_client):
    crossing = "S_INTERSECTS(geometry, LINESTRING(106.805 39.60, 106.805 39.63))"
    assert len(_filtered(ro_client, "boundary_lines", crossing)) == 1
    apart = "S_INTERSECTS(geometry, LINESTRING(106.805 39.63, 106.805 39.64))"
    assert _filtered(ro_client, "boundary_lines", apart) == []


def test_a_filter_sees_only_public_rows(ro_client):
    assert _filtered(ro_client, "place_names", "name = '滨河路'") == []  # only proposed, not public
    assert _filtered(ro_client, "markers", "seq = 2") == []  # a marker not public


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("&filter=" + quote("colour = 'red'"), "'colour' is not a queryable"),
        ("&filter=" + quote("id = 1"), "'id' is not a queryable"),
        ("&filter=" + quote("level = "), "not valid cql2-text"),
        ("&filter=" + quote("population = 'many'"), "population is integer"),
        ("&filter=" + quote("parent_code = 150300000000"), "parent_code is text"),
        ("&filter=" + quote("name LIKE 3"), "not valid cql2-text"),
        ("&filter=" + quote("level = 'city'") + "&filter-lang=ecql", "filter-lang 'ecql' is not supported"),
        (
            "&filter=" + quote('{"op": "=", "args": [{"property": "level"}]}') + "&filter-lang=cql2-json",
            "cql2-json",
        ),
        ("&filter=" + quote("S_INTERSECTS(geometry, BBOX(107, 40, 106, 39))"), "lower corner"),
        ("&filter-lang=cql2-text", "go with a filter"),
        ("&filter=" + quote("level = 'city'; DROP TABLE division"), "not valid cql2-text"),
    ],
)
def test_bad_filters_answer_400_naming_the_problem(ro_client, query, message):
    resp = _items(ro_client, "divisions", query, status=400)
    assert message in resp.get_data(as_text=True)


def test_filtered_pages_are_cached_with_an_etag(ro_client):
    url = "/ogcapi/collections/divisions/items?filter=" + quote("level = 'district'")
    first = ro_client.get(url)
    assert first.status_code == 200 and first.headers["ETag"]
    assert ro_client.get(url).headers["ETag"] == first.headers["ETag"]
    assert ro_client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    other = ro_client.get("/ogcapi/collections/divisions/items?filter=" + quote("level = 'city'"))
    assert other.headers["ETag"] != first.headers["ETag"]
    assert other.get_json()["features"] != first.get_json()["features"]


def test_next_link_keeps_the_filter(ro_client):
    page = ro_client.get(
        "/ogcapi/collections/divisions/items?limit=1&filter=" + quote("level <> 'city'")
    ).get_json()
    assert page["numberMatched"] == 4 and page["numberReturned"] == 1
    nxt = next(link["href"] for link in page["links"] if link["rel"] == "next")
    assert "filter=" in nxt
    second = ro_client.get(nxt.replace("http://localhost", "")).get_json()
    assert second["numberMatched"] == 4
    assert all(f["properties"]["level"] != "city" for f in page["features"] + second["features"])
