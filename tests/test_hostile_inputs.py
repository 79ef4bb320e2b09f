"""Regression tests of the refusals of hostile input: form bounds (422 naming the field) and weak If-Match."""
# ruff: noqa: F811  (pytest fixtures imported from web_fixtures are redefined as arguments)

from __future__ import annotations

import json

import pytest
from flask import Flask
from sqlalchemy import select
from web_fixtures import app  # noqa: F401
from web_fixtures import client  # noqa: F401
from web_fixtures import login
from web_fixtures import web_db  # noqa: F401

FACILITY = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [106.83, 39.668]},
            "properties": {"kind": "home_care_station", "name": "新华社区居家养老服务站"}}  # fmt: skip


@pytest.mark.parametrize(
    ("header", "version"),
    [
        ('"1"', 1),
        ('W/"1"', 1),
        ('"1-gzip"', 1),
        ('W/"7-gzip"', 7),
        ('"3", W/"3-gzip"', 3),
        ("*", None),
        ("", None),
    ],
)
def test_if_match_is_compared_weakly_and_without_the_coding(header, version):
    from webmap.ogcapi.writes import expected_version

    with Flask(__name__).test_request_context(headers={"If-Match": header}):
        assert expected_version() == version


@pytest.mark.parametrize("header", ['"1", "2"', '"x"', "1", '"1" junk', '"99999999999999999999999"', '"１"'])
def test_a_bad_if_match_is_400(header):
    from webmap.ogcapi.query import BadRequest
    from webmap.ogcapi.writes import expected_version

    with Flask(__name__).test_request_context(headers={"If-Match": header}), pytest.raises(BadRequest):
        expected_version()


def test_the_etag_of_a_gzipped_item_makes_a_conditional_edit(app, client):
    from gis.accounts import issue_token
    from gis.models import User
    from webmap.db import get_session

    with app.app_context():
        s = get_session()
        _user, token = issue_token(s, s.scalar(select(User).where(User.username == "planner")).id, actor="t")
        s.commit()
    auth = {"Authorization": f"Bearer {token}"}
    big = {
        **FACILITY,
        "properties": {**FACILITY["properties"], "address": "人民路" * 30, "contact": "0473-" + "1" * 40},
    }
    created = client.post("/ogcapi/collections/facilities/items", json=big, headers=auth)
    assert created.status_code == 201, created.get_data(as_text=True)
    url = created.headers["Location"].replace("http://localhost", "")
    got = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert got.headers.get("Content-Encoding") == "gzip" and got.headers["ETag"] == '"1-gzip"'
    patch = client.patch(
        url,
        data=json.dumps({"contact": "0473-1234567"}),
        headers={**auth, "Content-Type": "application/merge-patch+json", "If-Match": got.headers["ETag"]},
    )
    assert patch.status_code == 204 and patch.headers["ETag"] == '"2"'
    stale = client.patch(
        url,
        data=json.dumps({"contact": "0473-7654321"}),
        headers={**auth, "Content-Type": "application/merge-patch+json", "If-Match": got.headers["ETag"]},
    )
    assert stale.status_code == 412


#: Form values out of bounds on the sign edit form, each refused with 422 naming its field.
OUT_OF_BOUNDS = [
    ("lat", "1e400"),
    ("lat", "nan"),
    ("lon", "-inf"),
    ("lon", "9" * 25),
    ("version", "9" * 25),
    ("version", "-1"),
    ("version", "2147483648"),
    ("version", "abc"),
    ("text_zh", "人民\x00路"),
    ("text_zh", "人民\x1b路"),
]
BROKEN_GEOMETRIES = ['{"type":"Point","coordinates":[]}', '{"type":"Point","coordinates":[NaN,1]}', "[" * 5000, '"x"', "{}"]  # fmt: skip


def test_a_form_value_out_of_bounds_is_422_naming_the_field(app, client):
    sign = app.config["SEED_IDS"]["sign0"]
    login(client, "sign_maintainer")
    for field, value in OUT_OF_BOUNDS:
        data = {"version": "1", "text_zh": "人民路", "lon": "106.81", "lat": "39.6702", field: value}
        resp = client.post(f"/signs/{sign}", data=data, headers={"Accept": "application/json"})
        assert resp.status_code == 422, (field, value, resp.get_data(as_text=True)[:300])
        assert field in json.dumps(resp.json, ensure_ascii=False), (field, value)


def test_an_empty_or_broken_drawn_geometry_is_422(app, client):
    login(client, "placename_officer")
    for geometry in BROKEN_GEOMETRIES:
        data = {
            "name": "朝阳街",
            "category_code": "253",
            "division_code": "150302001000",
            "geometry": geometry,
        }
        resp = client.post("/names/new", data=data, headers={"Accept": "application/json"})
        assert resp.status_code == 422, (geometry[:40], resp.get_data(as_text=True)[:300])


#: Values the text contracts refuse, with what any text field says about them.
CONTRACT_REFUSALS = [
    "=cmd|' /C calc'!A0",
    "铝<script>x</script>",
    "铝\u202e材",
    "Ã¤Ã¶Ã¼",
    "铝'; DROP TABLE sign; --",
]


@pytest.mark.parametrize("value", CONTRACT_REFUSALS)
def test_the_sign_form_refuses_what_the_contract_refuses_naming_the_field(app, client, value):
    from gis.contracts import check
    from gis.errors import InvalidInput
    from placenames.models import SIGN_CONTRACTS

    with pytest.raises(InvalidInput) as refused:
        check(SIGN_CONTRACTS["material"], value, field="material")
    sign = app.config["SEED_IDS"]["sign0"]
    login(client, "sign_maintainer")
    data = {"version": "1", "text_zh": "人民路", "lon": "106.81", "lat": "39.6702", "material": value}
    resp = client.post(f"/signs/{sign}", data=data, headers={"Accept": "application/json"})
    assert resp.status_code == 422 and resp.json["field"] == "material", resp.get_data(as_text=True)[:300]
    assert refused.value.message in resp.json["detail"]
