"""Generated hostile values at every write route of the web app: a 4xx answer, never a 5xx, nothing written.

Each example fills the route's fields with one hostile value (huge or non-finite numbers, control
characters, mixed scripts, formula prefixes, deeply nested JSON, empty geometries) and checks the
answer's status and that no table gained or lost a row and the audit log is unchanged.
"""
# ruff: noqa: F811  (pytest fixtures imported from web_fixtures are redefined as arguments)

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from sqlalchemy import func
from sqlalchemy import select
from web_fixtures import app  # noqa: F401
from web_fixtures import client  # noqa: F401
from web_fixtures import login
from web_fixtures import web_db  # noqa: F401

from data import schema
from webmap.db import get_session

SETTINGS = settings(
    max_examples=12,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
#: Tables whose rows legitimately change on a refusal (telemetry refusals are counted).
VOLATILE = {"telemetry_reject_count"}

HUGE = st.sampled_from(
    ["9" * 25, "-" + "9" * 20, "2147483648", "1e400", "-1e309", "1e308", "18446744073709551616"]
)
NON_FINITE = st.sampled_from(["nan", "NaN", "inf", "-inf", "Infinity", "1e999"])
CONTROL = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=31, exclude_characters="\t\n\r"), min_size=1, max_size=5).map(lambda c: f"人民{c}路")  # fmt: skip
MIXED = st.tuples(
    st.text(alphabet="АБВГДабвгд", min_size=1, max_size=4),
    st.text(alphabet="乌海人民路", min_size=1, max_size=4),
    st.text(alphabet="ᠤᠬᠠᠢ", min_size=1, max_size=3),
    st.text(alphabet="\u202e\u200b\ufeff", min_size=1, max_size=2),
).map("".join)
FORMULA = st.tuples(st.sampled_from("=+-@\t\r"), st.sampled_from(["cmd|' /C calc'!A0", "HYPERLINK(\"http://x\")", "SUM(1+1)*cmd"])).map("".join)  # fmt: skip
HOSTILE = st.one_of(HUGE, NON_FINITE, CONTROL, MIXED, FORMULA)


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


NESTED = st.integers(min_value=200, max_value=5000).map(_nested)
EMPTY_GEOMETRIES = st.sampled_from(
    [
        '{"type":"Point","coordinates":[]}',
        '{"type":"LineString","coordinates":[]}',
        '{"type":"Polygon","coordinates":[]}',
        '{"type":"GeometryCollection","geometries":[]}',
        '{"type":"Point","coordinates":[NaN, 1]}',
        '{"type":"Point","coordinates":[1e400, 39.6]}',
        '{"type":"FeatureCollection","features":[]}',
        "[]",
        "null",
    ]
)


def _state(app) -> dict[str, int]:
    """Rows per table (the audit log included)."""
    with app.app_context():
        s = get_session()
        counts = {
            name: int(s.scalar(select(func.count()).select_from(table)))
            for name, table in schema.metadata.tables.items()
            if name not in VOLATILE
        }
        s.rollback()
    return counts


def _refused(app, before, resp, what) -> None:
    assert 400 <= resp.status_code < 500, (what, resp.status_code, resp.get_data(as_text=True)[:300])
    assert _state(app) == before, what


# -- the officers' forms ----------------------------------------------------------------------------


def _form_routes(ids: dict[str, int]) -> list[tuple[str, str, str, tuple[str, ...]]]:
    """(role, path, label, fields) of every form write route, with its fields."""
    sign = ids["sign0"]
    return [
        ("placename_officer", "/names/new", "name proposal",
         ("name", "category_code", "division_code", "geometry", "romanized", "meaning", "reason", "document")),
        ("placename_officer", f"/names/{ids['proposed']}/review", "name review", ("version", "reason")),
        ("placename_officer", f"/names/{ids['人民路']}/edit", "name edit",
         ("version", "meaning", "location_desc", "reason", "romanized", "geometry")),
        ("placename_officer", f"/names/{ids['人民路']}/rename", "name rename",
         ("version", "new_name", "reason", "document", "effective", "romanized")),
        ("sign_maintainer", f"/signs/{sign}", "sign edit",
         ("version", "text_zh", "text_romanized", "lon", "lat", "reason")),
        ("sign_maintainer", f"/signs/{sign}/orders", "work order", ("problem", "description")),
        ("sign_maintainer", "/signs/orders/1/assign", "work order assign", ("version", "assignee")),
        ("boundary_inspector", "/boundaries/markers", "marker",
         ("number", "line_code", "lon", "lat", "side_code", "material", "elevation_m")),
        ("boundary_inspector", "/boundaries/markers/HN001Q", "marker edit",
         ("version", "reason", "status", "material", "elevation_m")),
        ("boundary_inspector", "/boundaries/rounds", "inspection round",
         ("line_code", "round_no", "title", "parties", "start", "tolerance_m")),
        ("planner", "/planning/facilities", "facility",
         ("kind", "name", "lon", "lat", "beds", "nursing_beds", "floor_area_m2", "year_opened", "reason")),
        ("planner", "/planning/facilities/1", "facility edit",
         ("version", "name", "beds", "nursing_beds", "year_opened", "contact", "address", "reason")),
        ("planner", "/planning/facilities/1/move", "facility move", ("version", "lon", "lat", "reason")),
        ("planner", "/planning/indicators/entry", "indicator",
         ("number", "year", "value", "value_source", "division_code", "value_date")),
    ]  # fmt: skip


def test_every_form_refuses_hostile_values(app, client):
    ids = app.config["SEED_IDS"]
    before = _state(app)
    for role, path, _label, fields in _form_routes(ids):
        login(client, role)
        _throw_at_form(app, client, before, path, fields)
        client.post("/auth/logout")


def _throw_at_form(app, client, before, path: str, fields: tuple[str, ...]) -> None:
    @SETTINGS
    @given(value=st.one_of(HOSTILE, EMPTY_GEOMETRIES, NESTED))
    def run(value):
        resp = client.post(path, data=dict.fromkeys(fields, value))
        _refused(app, before, resp, f"POST {path} {value[:60]!r}")

    run()


def test_the_public_report_refuses_hostile_values(app, client):
    before = _state(app)

    @SETTINGS
    @given(value=HOSTILE)
    def run(value):
        data = {"sign_code": value, "reason": value, "description": value, "lon": value, "lat": value}
        resp = client.post("/report", data=data, headers={"Accept": "application/json"})
        assert resp.status_code < 500, (value, resp.status_code)
        assert _state(app) == before, value

    run()


# -- OGC API writes ---------------------------------------------------------------------------------


def _token(app, username: str) -> dict[str, str]:
    from gis.accounts import issue_token
    from gis.models import User

    with app.app_context():
        s = get_session()
        user = s.scalar(select(User).where(User.username == username))
        _user, token = issue_token(s, user.id, actor="test")
        s.commit()
    return {"Authorization": f"Bearer {token}"}


#: JSON values no field of a feature or a telemetry message accepts (``None`` left out: it clears a field).
JSON_VALUES = st.one_of(
    st.integers(min_value=2**63, max_value=2**200),
    st.floats(allow_nan=True, allow_infinity=True).filter(lambda f: f != f or abs(f) > 1e300),
    CONTROL,
    st.recursive(
        st.booleans(),
        lambda c: st.lists(c, max_size=2) | st.dictionaries(st.text(max_size=3), c, max_size=2),
        max_leaves=6,
    ),  # fmt: skip
)
#: Text a text field should refuse too: formula prefixes, mixed scripts with invisible characters.
HOSTILE_TEXT = st.one_of(MIXED, FORMULA)


def _json(doc) -> str:
    return json.dumps(doc, allow_nan=True)


@pytest.mark.parametrize(
    ("cid", "role", "valid"),
    [
        ("facilities", "planner", {"kind": "home_care_station", "name": "新华社区居家养老服务站"}),
        ("signs", "sign_maintainer", {"kind": "street", "code": "HBW-0100", "text_zh": "人民路"}),
    ],
)
def test_ogcapi_writes_refuse_hostile_bodies(app, client, cid, role, valid):
    auth = _token(app, role)
    before = _state(app)
    url = f"/ogcapi/collections/{cid}/items"

    @SETTINGS
    @given(field=st.sampled_from([*valid, "beds", "unknown_field", "geometry"]), value=JSON_VALUES)
    def run(field, value):
        geometry = {"type": "Point", "coordinates": [106.83, 39.668]}
        props = dict(valid)
        if field == "geometry":
            geometry = value if not isinstance(value, str) else {"type": "Point", "coordinates": []}
        else:
            props[field] = value
        body = _json({"type": "Feature", "geometry": geometry, "properties": props})
        resp = client.post(url, data=body, headers={**auth, "Content-Type": "application/geo+json"})
        _refused(app, before, resp, f"POST {url} {field}={str(value)[:60]!r}")
        fid = app.config["SEED_IDS"]["sign0"] if cid == "signs" else 999999
        patch = client.patch(
            f"{url}/{fid}",
            data=_json({field: value} if field != "geometry" else {"geometry": geometry}),
            headers={**auth, "Content-Type": "application/merge-patch+json", "If-Match": '"1-gzip"'},
        )
        _refused(app, before, patch, f"PATCH {url}/{fid} {field}={str(value)[:60]!r}")

    run()


@pytest.mark.parametrize(
    ("cid", "role", "valid", "field"),
    [
        ("facilities", "planner", {"kind": "home_care_station", "name": "新华社区居家养老服务站"}, "name"),
        ("signs", "sign_maintainer", {"kind": "street", "code": "HBW-0100", "text_zh": "人民路"}, "code"),
    ],
)
def test_ogcapi_text_refuses_formulas_and_invisible_characters(app, client, cid, role, valid, field):
    auth = _token(app, role)
    before = _state(app)
    url = f"/ogcapi/collections/{cid}/items"

    @SETTINGS
    @given(value=HOSTILE_TEXT)
    def run(value):
        body = _json({"type": "Feature", "geometry": {"type": "Point", "coordinates": [106.83, 39.668]},
                      "properties": {**valid, field: value}})  # fmt: skip
        resp = client.post(url, data=body, headers={**auth, "Content-Type": "application/geo+json"})
        _refused(app, before, resp, f"POST {url} {field}={value!r}")
        fid = app.config["SEED_IDS"]["sign0"] if cid == "signs" else 999999
        patch = client.patch(f"{url}/{fid}", data=_json({field: value}),
                             headers={**auth, "Content-Type": "application/merge-patch+json"})  # fmt: skip
        _refused(app, before, patch, f"PATCH {url}/{fid} {field}={value!r}")

    run()


@pytest.mark.parametrize("body", ["[" * 100_000, '{"type":"Feature","geometry":' * 2000, "\x00", ""])
def test_ogcapi_writes_refuse_unparseable_bodies(app, client, body):
    auth = _token(app, "planner")
    before = _state(app)
    resp = client.post("/ogcapi/collections/facilities/items", data=body, headers={**auth, "Content-Type": "application/geo+json"})  # fmt: skip
    _refused(app, before, resp, f"POST facilities {body[:30]!r}")


# -- telemetry --------------------------------------------------------------------------------------


def test_telemetry_refuses_hostile_messages(app, client):
    from boundaries import store
    from boundaries import telemetry

    with app.app_context():
        s = get_session()
        marker = store.marker_by_number(s, "HN001Q")
        _dev, token = telemetry.register_device(s, actor="test", device_id="SM-HOSTILE", marker_id=marker.id)
        s.commit()
    before = _state(app)
    keys = ("device_id", "seq", "ts", "lon", "lat", "tilt_deg", "battery_pct", "vibration", "sig")

    @SETTINGS
    @given(field=st.sampled_from(keys), value=JSON_VALUES)
    def run(field, value):
        msg = {"device_id": "SM-HOSTILE", "seq": 1, "ts": "2026-01-01T00:00:00+00:00", "lon": 106.80,
               "lat": 39.62, "tilt_deg": 0.5, "battery_pct": 90.0}  # fmt: skip
        msg[field] = value
        resp = client.post("/api/telemetry", data=_json(msg), headers={"Authorization": f"Bearer {token}"})
        _refused(app, before, resp, f"telemetry {field}={str(value)[:60]!r}")

    run()
    nested = client.post("/api/telemetry", data="[" * 100_000, headers={"Authorization": f"Bearer {token}"})
    _refused(app, before, nested, "telemetry nested")
