"""OGC API - Features: core, CRS (Part 2), paging, filters, writes (Part 4), and GDAL's OAPIF driver."""
# ruff: noqa: F811  (pytest fixtures imported from web_fixtures are redefined as arguments)

from __future__ import annotations

import json
import shutil
import socket
import subprocess

import pytest
from sqlalchemy import select
from web_fixtures import app  # noqa: F401
from web_fixtures import client  # noqa: F401
from web_fixtures import ro_app  # noqa: F401
from web_fixtures import ro_client  # noqa: F401
from web_fixtures import served_over_http
from web_fixtures import web_db  # noqa: F401

from gis.models import AuditLog

EPSG4490 = "http://www.opengis.net/def/crs/EPSG/0/4490"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


def test_landing_conformance_collections(ro_client):
    client = ro_client
    landing = client.get("/ogcapi/").get_json()
    rels = {link["rel"] for link in landing["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= rels
    conf = client.get("/ogcapi/conformance").get_json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in conf
    colls = client.get("/ogcapi/collections").get_json()["collections"]
    ids = {c["id"] for c in colls}
    assert {"place_names", "signs", "divisions", "boundary_lines", "markers", "facilities"} <= ids
    signs = next(c for c in colls if c["id"] == "signs")
    assert signs["crs"] == [CRS84, EPSG4490] and signs["storageCrs"] == EPSG4490
    x0, y0, x1, y1 = signs["extent"]["spatial"]["bbox"][0]
    assert 106.8 <= x0 <= x1 <= 106.84 and 39.67 <= y0 <= y1 <= 39.671
    assert client.get("/ogcapi/api").status_code == 200


def test_items_paging_with_next_links(ro_client):
    client = ro_client
    page = client.get("/ogcapi/collections/signs/items?limit=2").get_json()
    assert page["numberMatched"] == 3 and page["numberReturned"] == 2
    nxt = next(link["href"] for link in page["links"] if link["rel"] == "next")
    second = client.get(nxt.replace("http://localhost", "")).get_json()
    assert second["numberReturned"] == 1 and not any(link["rel"] == "next" for link in second["links"])
    ids = [f["id"] for f in page["features"] + second["features"]]
    assert len(set(ids)) == 3


def test_crs_axis_order_and_headers(ro_client):
    client = ro_client
    a = client.get("/ogcapi/collections/signs/items?limit=1")
    b = client.get(f"/ogcapi/collections/signs/items?limit=1&crs={EPSG4490}")
    assert a.headers["Content-Crs"] == f"<{CRS84}>" and b.headers["Content-Crs"] == f"<{EPSG4490}>"
    lon, lat = a.get_json()["features"][0]["geometry"]["coordinates"]
    assert b.get_json()["features"][0]["geometry"]["coordinates"] == [lat, lon]
    assert client.get("/ogcapi/collections/signs/items?crs=EPSG:3857").status_code == 400


def test_bbox_and_bbox_crs(ro_client):
    client = ro_client
    lonlat = client.get("/ogcapi/collections/signs/items?bbox=106.805,39.66,106.815,39.68").get_json()
    latlon = client.get(
        f"/ogcapi/collections/signs/items?bbox=39.66,106.805,39.68,106.815&bbox-crs={EPSG4490}"
    ).get_json()
    assert lonlat["numberReturned"] == latlon["numberReturned"] == 1


def test_property_filter_datetime_and_unknown_parameter(ro_client):
    client = ro_client
    fc = client.get("/ogcapi/collections/signs/items?code=HBW-0001").get_json()
    assert [f["properties"]["code"] for f in fc["features"]] == ["HBW-0001"]
    names = client.get("/ogcapi/collections/place_names/items?datetime=2024-01-01/2024-12-31").get_json()
    assert names["numberMatched"] == 2  # the proposed name is not public
    assert (
        client.get("/ogcapi/collections/place_names/items?datetime=../2023-12-31").get_json()["numberMatched"]
        == 0
    )
    assert client.get("/ogcapi/collections/signs/items?colour=red").status_code == 400
    assert client.get("/ogcapi/collections/signs/items?limit=0").status_code == 400


def test_single_item_html_and_404(ro_client, ro_app):
    client, app = ro_client, ro_app
    sid = app.config["SEED_IDS"]["sign0"]
    one = client.get(f"/ogcapi/collections/signs/items/{sid}")
    assert one.status_code == 200 and one.headers["ETag"] == '"1"'
    assert one.get_json()["properties"]["code"] == "HBW-0000"
    html = client.get(f"/ogcapi/collections/signs/items/{sid}?f=html")
    assert html.status_code == 200 and "HBW-0000" in html.get_data(as_text=True)
    hidden = app.config["SEED_IDS"]["proposed"]
    assert client.get(f"/ogcapi/collections/place_names/items/{hidden}").status_code == 404
    assert client.get("/ogcapi/collections/nope/items").status_code == 404


def _token(app, username):
    from gis.accounts import issue_token
    from gis.models import User
    from webmap.db import get_session

    with app.app_context():
        s = get_session()
        _user, token = issue_token(
            s, s.scalar(select(User).where(User.username == username)).id, actor="test"
        )
        s.commit()
    return token


def test_writes_need_token_and_role(client, app):
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [106.83, 39.668]},
               "properties": {"kind": "home_care_station", "name": "新华社区居家养老服务站"}}  # fmt: skip
    assert client.post("/ogcapi/collections/facilities/items", json=feature).status_code == 401
    officer = _token(app, "placename_officer")
    resp = client.post(
        "/ogcapi/collections/facilities/items", json=feature, headers={"Authorization": f"Bearer {officer}"}
    )
    assert resp.status_code == 403
    assert (
        client.post(
            "/ogcapi/collections/divisions/items",
            json=feature,
            headers={"Authorization": f"Bearer {officer}"},
        ).status_code
        == 405
    )


def test_create_update_delete_with_history_and_conflict(client, app):
    token = _token(app, "planner")
    auth = {"Authorization": f"Bearer {token}"}
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [106.83, 39.668]},
               "properties": {"kind": "home_care_station", "name": "新华社区居家养老服务站"}}  # fmt: skip
    created = client.post("/ogcapi/collections/facilities/items", json=feature, headers=auth)
    assert created.status_code == 201, created.get_data(as_text=True)
    url = created.headers["Location"].replace("http://localhost", "")
    assert client.get(url).get_json()["properties"]["name"] == "新华社区居家养老服务站"
    patched = client.patch(url, json={"opening_hours": "8:00-18:00"}, headers={**auth, "If-Match": '"1"'})
    assert patched.status_code == 204 and patched.headers["ETag"] == '"2"'
    stale = client.patch(url, json={"opening_hours": "9:00-17:00"}, headers={**auth, "If-Match": '"1"'})
    assert stale.status_code == 412  # a stale If-Match is a failed precondition
    bad = client.post("/ogcapi/collections/facilities/items", headers=auth,
                      json={**feature, "properties": {"kind": "home_care_station", "name": "<script>alert(1)</script>"}})  # fmt: skip
    assert bad.status_code == 422
    assert client.delete(url, headers={**auth, "If-Match": '"2"'}).status_code == 204
    assert client.get(url).status_code == 404
    with app.app_context():
        from webmap.db import get_session

        actions = [
            (a.actor, a.action)
            for a in get_session().scalars(select(AuditLog).where(AuditLog.table_name == "facility"))
        ]
    assert actions == [("planner", "create"), ("planner", "update"), ("planner", "delete")]


def test_post_in_epsg4490_axis_order(client, app):
    auth = {"Authorization": f"Bearer {_token(app, 'planner')}", "Content-Crs": f"<{EPSG4490}>"}
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [39.668, 106.83]},
               "properties": {"kind": "meal_point", "name": "人民路助餐点"}}  # fmt: skip
    created = client.post("/ogcapi/collections/facilities/items", json=feature, headers=auth)
    assert created.status_code == 201, created.get_data(as_text=True)
    got = client.get(created.headers["Location"].replace("http://localhost", "")).get_json()
    assert got["geometry"]["coordinates"] == pytest.approx([106.83, 39.668])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="gdal-bin not installed")
def test_gdal_oapif_driver_reads_every_layer(ro_app):
    with served_over_http(ro_app) as base:
        out = subprocess.run(
            ["ogrinfo", "-ro", "-so", "-al", f"OAPIF:{base}/ogcapi"],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert out.returncode == 0, out.stderr
        for layer in ("signs", "place_names", "divisions", "facilities"):
            assert f"Layer name: {layer}" in out.stdout
        assert "Feature Count: 3" in out.stdout
        data = subprocess.run(
            ["ogr2ogr", "-f", "GeoJSON", "/vsistdout/", f"OAPIF:{base}/ogcapi", "signs"],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert data.returncode == 0, data.stderr
        feats = json.loads(data.stdout)["features"]
        assert sorted(f["properties"]["code"] for f in feats) == ["HBW-0000", "HBW-0001", "HBW-0002"]
        lon, lat = feats[0]["geometry"]["coordinates"][:2]
        assert 106.8 < lon < 106.84 and 39.6 < lat < 39.7
