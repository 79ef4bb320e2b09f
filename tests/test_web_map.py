"""Viewport GeoJSON for the public map: aggregation, simplification, GCJ-02 display, search."""
# ruff: noqa: F811  (pytest fixtures imported from web_fixtures are redefined as arguments)

from __future__ import annotations

import pytest
from web_fixtures import ro_app  # noqa: F401
from web_fixtures import ro_client as client  # noqa: F401

from webmap import tiles

WIDE = "106.6,39.4,107.1,39.9"


def test_points_aggregated_at_low_zoom_and_single_at_high(client):
    low = client.get(f"/api/features/signs?bbox={WIDE}&zoom=10").get_json()
    assert [f["properties"]["count"] for f in low["features"]] == [3]
    high = client.get(f"/api/features/signs?bbox={WIDE}&zoom=17").get_json()
    assert sorted(f["properties"]["code"] for f in high["features"]) == ["HBW-0000", "HBW-0001", "HBW-0002"]
    assert all(not f["properties"].get("cluster") for f in high["features"])


def test_lone_point_in_a_cell_is_the_feature(client):
    fc = client.get(f"/api/features/markers?bbox={WIDE}&zoom=8").get_json()
    assert [f["properties"].get("number") for f in fc["features"]] == ["HN001Q"]  # HN002Q is not public


def test_only_public_names(client):
    fc = client.get(f"/api/features/names?bbox={WIDE}&zoom=15").get_json()
    assert sorted(f["properties"]["name"] for f in fc["features"]) == ["人民路", "海北大街"]


def test_polygons_simplified_by_zoom(client):
    coarse = client.get(f"/api/features/divisions?bbox={WIDE}&zoom=5&level=district").get_json()
    fine = client.get(f"/api/features/divisions?bbox={WIDE}&zoom=15&level=district").get_json()
    assert {f["properties"]["name"] for f in fine["features"]} == {"海勃湾区", "海南区"}

    def n(fc):
        return sum(
            len(ring) for f in fc["features"] for poly in f["geometry"]["coordinates"] for ring in poly
        )

    assert n(coarse) <= n(fine)


def test_division_level_follows_zoom(client):
    z10 = client.get(f"/api/features/divisions?bbox={WIDE}&zoom=10").get_json()
    z14 = client.get(f"/api/features/divisions?bbox={WIDE}&zoom=14").get_json()
    assert {f["properties"]["level"] for f in z10["features"]} == {"district"}
    assert {f["properties"]["level"] for f in z14["features"]} == {"community"}


def test_bbox_limits_results(client):
    fc = client.get("/api/features/signs?bbox=106.805,39.66,106.815,39.68&zoom=17").get_json()
    assert [f["properties"]["code"] for f in fc["features"]] == ["HBW-0000"]


def test_gcj02_display_offsets_but_storage_does_not_change(client):
    plain = client.get("/api/features/signs?bbox=106.805,39.66,106.815,39.68&zoom=17").get_json()
    gcj = client.get("/api/features/signs?bbox=106.805,39.66,106.815,39.68&zoom=17&display=gcj02").get_json()
    (x0, y0), (x1, y1) = (
        plain["features"][0]["geometry"]["coordinates"],
        gcj["features"][0]["geometry"]["coordinates"],
    )
    assert 0.003 < abs(x1 - x0) < 0.01 and 0.0005 < abs(y1 - y0) < 0.01
    again = client.get("/api/features/signs?bbox=106.805,39.66,106.815,39.68&zoom=17").get_json()
    assert again["features"][0]["geometry"]["coordinates"] == [x0, y0]


@pytest.mark.parametrize(
    "query, status",
    [("bbox=1,2,3&zoom=3", 400), ("bbox=a,b,c,d&zoom=3", 400), ("bbox=3,3,1,1&zoom=3", 400), ("zoom=3", 400),
     ("bbox=106,39,107,40&zoom=x", 400)],
)  # fmt: skip
def test_bad_viewport_requests(client, query, status):
    assert client.get(f"/api/features/signs?{query}").status_code == status


def test_unknown_layer(client):
    assert client.get(f"/api/features/disputes?bbox={WIDE}&zoom=3").status_code == 404


@pytest.mark.parametrize("q", ["人民", "renmin", "rml", "RenMin Lu"])
def test_search_suggestions(client, q):
    res = client.get(f"/api/search?q={q}").get_json()
    assert res and res[0]["name"] == "人民路"
    assert {"lon", "lat", "bbox", "romanized"} <= set(res[0])
    assert 106.79 < res[0]["lon"] < 106.87


def test_search_hides_unpublished_and_rejects_long_queries(client):
    assert client.get("/api/search?q=滨河路").get_json() == []
    assert client.get("/api/search?q=" + "a" * 101).status_code == 400


def test_pixel_degrees_halves_per_zoom():
    assert tiles.pixel_degrees(11) == pytest.approx(tiles.pixel_degrees(10) / 2)


def test_gzip_for_clients_that_accept_it(client):
    import gzip
    import json

    plain = client.get("/ogcapi/api")
    packed = client.get("/ogcapi/api", headers={"Accept-Encoding": "gzip, br"})
    assert "Content-Encoding" not in plain.headers and packed.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(packed.data)) == plain.get_json()
    with client.get("/static/vendor/leaflet/leaflet.js", headers={"Accept-Encoding": "gzip"}) as js:
        assert js.headers["Content-Encoding"] == "gzip" and len(js.data) < 60_000
