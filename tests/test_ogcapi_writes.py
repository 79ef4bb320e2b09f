"""OGC API writes: JSON merge patches, 412 on a stale If-Match, 422 naming the field, single-typed geometry."""
# ruff: noqa: F811  (pytest fixtures imported from web_fixtures are redefined as arguments)

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from web_fixtures import app  # noqa: F401
from web_fixtures import client  # noqa: F401
from web_fixtures import web_db  # noqa: F401

FACILITY = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [106.83, 39.668]},
            "properties": {"kind": "home_care_station", "name": "新华社区居家养老服务站"}}  # fmt: skip
MERGE = "application/merge-patch+json"


def _auth(app, username: str) -> dict[str, str]:
    from gis.accounts import issue_token
    from gis.models import User
    from webmap.db import get_session

    with app.app_context():
        s = get_session()
        user = s.scalar(select(User).where(User.username == username))
        _user, token = issue_token(s, user.id, actor="test")
        s.commit()
    return {"Authorization": f"Bearer {token}"}


def _facility(client, auth) -> str:
    created = client.post("/ogcapi/collections/facilities/items", json=FACILITY, headers=auth)
    assert created.status_code == 201, created.get_data(as_text=True)
    return created.headers["Location"].replace("http://localhost", "")


def _patch(client, url, body, headers):
    return client.patch(url, data=json.dumps(body), headers={**headers, "Content-Type": MERGE})


def test_merge_patch_in_every_form_and_null_removes(client, app):
    auth = _auth(app, "planner")
    url = _facility(client, auth)
    assert _patch(client, url, {"properties": {"opening_hours": "8:00-18:00"}}, auth).status_code == 204
    assert _patch(client, url, {"contact": "0473-1234567"}, auth).status_code == 204
    props = client.get(url).get_json()["properties"]
    assert props["opening_hours"] == "8:00-18:00" and props["contact"] == "0473-1234567"
    assert _patch(client, url, {"properties": {"contact": None}}, auth).status_code == 204
    got = client.get(url)
    assert got.get_json()["properties"]["contact"] is None and got.headers["ETag"] == '"4"'


def test_stale_if_match_is_412_and_a_stale_write_without_it_409(client, app):
    auth = _auth(app, "planner")
    url = _facility(client, auth)
    assert _patch(client, url, {"address": "人民路1号"}, {**auth, "If-Match": '"1"'}).status_code == 204
    stale = _patch(client, url, {"address": "人民路2号"}, {**auth, "If-Match": '"1"'})
    assert stale.status_code == 412 and stale.get_json()["code"] == "PreconditionFailed"
    put = client.put(url, json=FACILITY, headers={**auth, "If-Match": 'W/"1"'})
    assert put.status_code == 412
    assert client.delete(url, headers={**auth, "If-Match": '"1"'}).status_code == 412
    assert client.delete(url, headers={**auth, "If-Match": '"2"'}).status_code == 204


@pytest.mark.parametrize(
    ("props", "field"),
    [
        ({"colour": "red"}, "colour"),
        ({"beds": True}, "beds"),
        ({"beds": "12"}, "beds"),
        ({"floor_area_m2": {"value": 300}}, "floor_area_m2"),
        ({"address": ["人民路", "1号"]}, "address"),
        ({"address": {"street": "人民路"}}, "address"),
        ({"new_or_rebuilt": "yes"}, "new_or_rebuilt"),
        ({"version": "x"}, "version"),
    ],
)
def test_wrong_properties_are_refused_naming_the_field(client, app, props, field):
    auth = _auth(app, "planner")
    url = _facility(client, auth)
    resp = _patch(client, url, {"properties": props}, auth)
    assert resp.status_code == 422 and resp.get_json()["field"] == field, resp.get_data(as_text=True)
    assert client.get(url).headers["ETag"] == '"1"'  # nothing stored
    body = {**FACILITY, "properties": {**FACILITY["properties"], **props}}
    created = client.post("/ogcapi/collections/facilities/items", json=body, headers=auth)
    assert created.status_code == 422 and created.get_json()["field"] == field


def test_a_sign_needs_a_code_and_a_point(client, app):
    auth = _auth(app, "sign_maintainer")
    sign = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [106.815, 39.6702]},
            "properties": {"kind": "street", "text_zh": "人民路"}}  # fmt: skip
    missing = client.post("/ogcapi/collections/signs/items", json=sign, headers=auth)
    assert missing.status_code == 422 and missing.get_json()["field"] == "code"
    line = {**sign, "geometry": {"type": "LineString", "coordinates": [[106.81, 39.67], [106.82, 39.67]]},
            "properties": {**sign["properties"], "code": "HBW-0100"}}  # fmt: skip
    wrong = client.post("/ogcapi/collections/signs/items", json=line, headers=auth)
    assert wrong.status_code == 422 and wrong.get_json()["field"] == "geometry"
    sid = app.config["SEED_IDS"]["sign0"]
    assert client.delete(f"/ogcapi/collections/signs/items/{sid}", headers=auth).status_code == 405


def test_names_edited_in_their_own_collection(client, app):
    auth = _auth(app, "placename_officer")
    pid = app.config["SEED_IDS"]["人民路"]
    lines = f"/ogcapi/collections/place_names_lines/items/{pid}"
    assert _patch(client, lines, {"properties": {"meaning": "以人民命名"}}, auth).status_code == 204
    assert client.get(lines).get_json()["properties"]["meaning"] == "以人民命名"
    areas = f"/ogcapi/collections/place_names_areas/items/{pid}"
    assert _patch(client, areas, {"meaning": "x"}, auth).status_code == 404
    moved = {"geometry": {"type": "Point", "coordinates": [106.9, 39.7]}}
    point = _patch(client, f"/ogcapi/collections/place_names/items/{pid}", moved, auth)
    assert point.status_code == 422 and point.get_json()["field"] == "geometry"
    status = _patch(client, lines, {"status": "retired"}, auth)
    assert status.status_code == 422 and status.get_json()["field"] == "status"
    assert client.patch(lines, data="{not json", headers={**auth, "Content-Type": MERGE}).status_code == 400
