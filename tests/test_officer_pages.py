"""Officers' and inspection teams' pages through the Flask test client: a name's geometry edited
through its form (stored, versioned, refused with the form), a sign moved through its form, the
sign audit of the whole city with its filters, the round map with its line and legend."""
# ruff: noqa: F811  (pytest fixtures imported from web_fixtures are redefined as arguments)

from __future__ import annotations

import json
import re

from geoalchemy2.shape import to_shape
from shapely.geometry import LineString
from web_fixtures import app  # noqa: F401
from web_fixtures import client  # noqa: F401
from web_fixtures import login
from web_fixtures import web_db  # noqa: F401

from boundaries import usecases as boundary_usecases
from placenames import queries
from placenames.models import PlaceName
from placenames.models import Sign
from placenames.signs import store as signs_store
from webmap.db import get_session

MOVED_LINE = {"type": "LineString", "coordinates": [[106.80, 39.671], [106.83, 39.675], [106.86, 39.671]]}


def _name(app, key: str) -> PlaceName:
    with app.app_context():
        pn = get_session().get(PlaceName, app.config["SEED_IDS"][key])
        get_session().expunge(pn)
        return pn


def _edit(client, pid: int, version: int, geometry: str, **extra):
    return client.post(
        f"/names/{pid}/edit", data={"version": str(version), "geometry": geometry, "reason": "实测", **extra}
    )


def test_name_page_maps_the_geometry_and_offers_it_for_editing(client, app):
    pn = _name(app, "人民路")
    login(client, "placename_officer")
    html = client.get(f"/names/{pn.id}").get_data(as_text=True)
    shown = re.search(r'id="namemap" class="minimap featuremap" data-geojson="([^"]+)"', html)
    assert shown is not None
    geojson = json.loads(shown.group(1).replace("&#34;", '"').replace("&quot;", '"'))
    assert geojson["type"] == "LineString" and geojson["coordinates"][0] == [106.80, 39.67]
    assert 'id="editmap"' in html and 'data-kind="LineString"' in html
    assert re.search(r'<textarea name="geometry" id="geometry"[^>]*></textarea>', html)
    assert '<abbr title="150302001000">凤凰岭街道</abbr>' in html  # the division by name, code on hover


def test_name_geometry_edited_through_the_form(client, app):
    pn = _name(app, "人民路")
    login(client, "placename_officer")
    done = _edit(client, pn.id, pn.version, json.dumps(MOVED_LINE))
    assert done.status_code == 302
    with app.app_context():
        s = get_session()
        stored = s.get(PlaceName, pn.id)
        assert to_shape(stored.geom).equals(LineString(MOVED_LINE["coordinates"]))
        assert stored.version == pn.version + 1
        last = queries.events(s, pn.id)[-1]
        assert last["action"] == "edit" and last["actor"] == "placename_officer" and last["reason"] == "实测"


def test_name_geometry_edit_at_a_stale_version_shows_the_form_with_409(client, app):
    pn = _name(app, "人民路")
    login(client, "placename_officer")
    assert _edit(client, pn.id, pn.version, json.dumps(MOVED_LINE)).status_code == 302
    other = {"type": "LineString", "coordinates": [[106.80, 39.668], [106.86, 39.668]]}
    stale = _edit(client, pn.id, pn.version, json.dumps(other))
    assert stale.status_code == 409
    html = stale.get_data(as_text=True)
    assert 'id="form-error"' in html and "changed it meanwhile" in html
    assert re.search(r'<details id="edit-details" open>', html)  # the edit form shown again, open
    assert json.dumps(other) in html.replace("&#34;", '"').replace("&quot;", '"')  # what was sent is kept
    with app.app_context():
        stored = get_session().get(PlaceName, pn.id)
        assert to_shape(stored.geom).equals(LineString(MOVED_LINE["coordinates"]))


def test_name_geometry_outside_the_extent_is_refused_with_422_naming_the_field(client, app):
    pn = _name(app, "人民路")
    login(client, "placename_officer")
    far = {"type": "LineString", "coordinates": [[116.39, 39.90], [116.40, 39.91]]}  # Beijing
    refused = _edit(client, pn.id, pn.version, json.dumps(far))
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    error = re.search(r'<div class="flash error" role="alert" id="form-error">([^<]+)</div>', html).group(1)
    assert "geometry" in error and "outside" in error
    broken = _edit(client, pn.id, pn.version, '{"type": "LineString", "coordinates": [[106.8, 39.67]]}')
    assert broken.status_code == 422 and "geometry" in broken.get_data(as_text=True)
    with app.app_context():
        stored = get_session().get(PlaceName, pn.id)
        assert stored.version == pn.version and to_shape(stored.geom).equals(to_shape(pn.geom))


def test_name_edit_without_a_drawn_geometry_keeps_the_recorded_one(client, app):
    pn = _name(app, "人民路")
    login(client, "placename_officer")
    assert _edit(client, pn.id, pn.version, "", meaning="以人民命名").status_code == 302
    with app.app_context():
        stored = get_session().get(PlaceName, pn.id)
        assert stored.meaning == "以人民命名" and to_shape(stored.geom).equals(to_shape(pn.geom))


def test_sign_page_has_a_picker_and_moves_the_sign(client, app):
    sid = app.config["SEED_IDS"]["sign1"]
    login(client, "sign_maintainer")
    html = client.get(f"/signs/{sid}").get_data(as_text=True)
    assert 'class="pointpicker pickmap" id="lon-map" data-lon="lon" data-lat="lat"' in html
    assert re.search(r'<input name="lon" id="lon" value="106\.82', html)
    moved = client.post(f"/signs/{sid}", data={"version": "1", "lon": "106.8205", "lat": "39.6703"})
    assert moved.status_code == 302
    stale = client.post(f"/signs/{sid}", data={"version": "1", "lon": "106.8207", "lat": "39.6704"})
    assert stale.status_code == 409 and 'id="lon-map"' in stale.get_data(as_text=True)
    with app.app_context():
        pt = to_shape(get_session().get(Sign, sid).geom)
        assert (round(pt.x, 6), round(pt.y, 6)) == (106.8205, 39.6703)


def _add_findings(app) -> None:
    """A sign recorded as missing and one with an outdated text, in the seeded town."""
    with app.app_context():
        s = get_session()
        for code, text, condition in (("HBW-0100", "人民路", "missing"), ("HBW-0101", "人名路", "good")):
            sign = signs_store.create_sign(
                s,
                actor="test",
                values={"kind": "street", "code": code, "text_zh": text, "text_romanized": "RENMIN LU",
                        "place_name_id": app.config["SEED_IDS"]["人民路"], "division_code": "150302001000",
                        "lon": 106.845, "lat": 39.6702},
            )  # fmt: skip
            sign.condition = condition
        s.commit()


def _audit_rows(html: str) -> list[str]:
    return re.findall(r'<tr data-kind="([a-z_]+)" class="finding-row">', html)


def test_sign_audit_lists_the_whole_city_without_a_district(client, app):
    _add_findings(app)
    login(client, "sign_maintainer")
    html = client.get("/signs/audit").get_data(as_text=True)
    kinds = _audit_rows(html)
    assert "sign_missing" in kinds and "wrong_text" in kinds
    total = int(re.search(r'<h2 id="audit-count">[^:]+: (\d+)', html).group(1))
    assert total == len(kinds)
    data = json.loads(
        re.search(r'<script type="application/json" id="audit-data">(.+?)</script>', html).group(1)
    )
    assert len(data["points"]) == total
    assert {p[2] for p in data["points"]} == set(kinds) == set(data["kinds"])
    assert all(106.2 < p[0] < 107.4 and 39.0 < p[1] < 40.1 for p in data["points"])
    assert 'id="auditmap"' in html


def test_sign_audit_filters_by_district_kind_and_severity(client, app):
    _add_findings(app)
    login(client, "sign_maintainer")
    only_missing = client.get("/signs/audit?kind=sign_missing").get_data(as_text=True)
    assert set(_audit_rows(only_missing)) == {"sign_missing"}
    warnings = _audit_rows(client.get("/signs/audit?severity=warning").get_data(as_text=True))
    assert "sign_missing" not in warnings and "wrong_text" not in warnings
    errors = _audit_rows(client.get("/signs/audit?severity=error").get_data(as_text=True))
    assert {"sign_missing", "wrong_text"} <= set(errors)
    assert not set(errors) & set(warnings)
    other = client.get("/signs/audit?division=150303000000").get_data(as_text=True)
    assert _audit_rows(other) == [] and 'id="auditmap"' not in other
    unknown = client.get("/signs/audit?division=9&kind=nonsense&severity=x&page=-3")
    assert unknown.status_code == 200 and "sign_missing" in _audit_rows(unknown.get_data(as_text=True))


def _audit_total(html: str) -> int:
    return int(re.search(r'<h2 id="audit-count">[^:]+: (\d+)', html).group(1))


def _kept_findings(app):
    """The findings the application keeps for the whole city (``None`` before any audit)."""
    entry = app.extensions.get("wuhai_signs_audit", {}).get("findings", {}).get("")
    return None if entry is None else entry[2]


def test_sign_audit_is_kept_per_data_generation_and_filtered_from_what_is_kept(client, app):
    _add_findings(app)
    login(client, "sign_maintainer")
    first = client.get("/signs/audit").get_data(as_text=True)
    kept = _kept_findings(app)
    assert kept is not None and len(kept) == _audit_total(first)
    for query in ("?kind=sign_missing", "?severity=warning", "?severity=error&page=2"):
        assert client.get("/signs/audit" + query).status_code == 200
        assert _kept_findings(app) is kept  # a filter or a page reuses the findings, no new audit
    assert client.get("/api/signs/audit?severity=error").status_code == 200
    assert _kept_findings(app) is kept  # the API answers from the same findings
    sid = app.config["SEED_IDS"]["sign1"]
    assert client.post(f"/signs/{sid}", data={"version": "1", "condition": "missing"}).status_code == 302
    after = client.get("/signs/audit?kind=sign_missing").get_data(as_text=True)
    assert _kept_findings(app) is not kept  # the write moved the data generation
    assert _audit_total(after) == (kept["kind"] == "sign_missing").sum() + 1
    assert f'href="/signs/{sid}">{sid}</a>' in after


def _api_findings(client, query: str = "") -> dict:
    resp = client.get("/api/signs/audit" + query)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    return resp.get_json()


def _page_findings(client, query: str = "") -> list[tuple]:
    html = client.get("/signs/audit" + query).get_data(as_text=True)
    rows = re.findall(
        r'<tr data-kind="([a-z_]+)" class="finding-row">.*?<span class="severity (\w+)">.*?</td>\n<td>(.*?)</td>',
        html,
        flags=re.S,
    )
    return [(k, s, int(re.sub(r"<[^>]+>", "", sign)) if sign else None) for k, s, sign in rows]


def test_sign_audit_api_answers_the_whole_city_with_the_page_filters(client, app):
    _add_findings(app)
    login(client, "placename_officer")
    for query in ("", "?severity=error", "?severity=warning", "?kind=sign_missing", "?division=150302000000"):
        fc = _api_findings(client, query)
        shown = [(f["properties"]["kind"], f["properties"]["severity"], f["properties"]["sign_id"])
                 for f in fc["features"]]  # fmt: skip
        assert shown == _page_findings(client, query)
        assert fc["numberMatched"] == fc["numberReturned"] == len(shown)
        assert sum(fc["counts"].values()) == len(shown)
    errors = _api_findings(client, "?severity=error")
    assert {"sign_missing", "wrong_text"} <= set(errors["counts"])
    page = client.get("/signs/audit").get_data(as_text=True)  # each severity counted in its filter
    assert re.search(rf'<option value="error" >[^<(]+\({errors["numberMatched"]}\)</option>', page)
    assert {f["properties"]["severity"] for f in errors["features"]} == {"error"}
    missing = _api_findings(client, "?kind=sign_missing&severity=error")["features"]
    assert missing and all(f["geometry"]["type"] == "Point" for f in missing)
    assert _api_findings(client, "?division=150303000000")["features"] == []


def test_sign_audit_api_pages_the_findings(client, app):
    _add_findings(app)
    login(client, "sign_maintainer")
    whole = _api_findings(client)
    assert whole["numberMatched"] >= 3
    first = _api_findings(client, "?limit=2")
    assert [f["properties"] for f in first["features"]] == [f["properties"] for f in whole["features"][:2]]
    nxt = next(link["href"] for link in first["links"] if link["rel"] == "next")
    assert "offset=2" in nxt and "limit=2" in nxt
    second = client.get(nxt).get_json()
    assert [f["properties"] for f in second["features"]] == [f["properties"] for f in whole["features"][2:4]]
    last = _api_findings(client, f"?limit=2&offset={whole['numberMatched'] - 1}")
    assert last["numberReturned"] == 1 and not [x for x in last["links"] if x["rel"] == "next"]


def test_sign_audit_api_refuses_unknown_filters_naming_them(client, app):
    login(client, "sign_maintainer")
    for query, field in (
        ("?severity=fatal", "severity"),
        ("?kind=nonsense", "kind"),
        ("?division=abc", "division"),
        ("?limit=0", "limit"),
        ("?limit=x", "limit"),
        ("?offset=-1", "offset"),
    ):
        resp = client.get("/api/signs/audit" + query)
        assert resp.status_code == 422, query
        assert resp.mimetype == "application/problem+json" and resp.get_json()["field"] == field


def test_round_map_page_draws_the_line_with_a_legend(client, app):
    with app.app_context():
        s = get_session()
        rnd = boundary_usecases.create_round(
            s, "test", line_code="150302-150303", round_no=7, title="第七轮", parties=["海勃湾区", "海南区"]
        )
        s.commit()
        rid = rnd.id
    login(client, "boundary_inspector")
    body = client.get(f"/boundaries/rounds/{rid}/map?lang=en").get_data(as_text=True)
    assert '"coordinates": [[[106.78, 39.62], [106.88, 39.62]]]' in body  # the line's section
    assert "#1f3a5f" in body and "imperial: false" in body
    for entry in ("Boundary line", "within tolerance (≤ 1.0 m)", "not measured yet"):
        assert entry in body
    chinese = client.get(f"/boundaries/rounds/{rid}/map?lang=zh").get_data(as_text=True)
    assert "行政区域界线" in chinese and "尚未实测" in chinese
    page = client.get(f"/boundaries/rounds/{rid}").get_data(as_text=True)
    assert 'id="roundmap"' in page and "round-line" in page


def test_disputes_page_maps_each_dispute_and_draws_a_new_one(client, app):
    login(client, "boundary_inspector")
    area = {
        "type": "Polygon",
        "coordinates": [[[106.80, 39.61], [106.82, 39.61], [106.82, 39.63], [106.80, 39.61]]],
    }
    made = client.post(
        "/boundaries/disputes",
        data={"title": "草场权属", "parties": "海勃湾区、海南区", "geometry": json.dumps(area)},
    )
    assert made.status_code == 302
    html = client.get("/boundaries/disputes").get_data(as_text=True)
    shown = re.search(r'id="dispute-map-(\d+)" class="minimap featuremap" data-geojson="([^"]+)"', html)
    geojson = json.loads(shown.group(2).replace("&#34;", '"').replace("&quot;", '"'))
    assert geojson["type"] == "Polygon" and geojson["coordinates"][0][0] == [106.80, 39.61]
    assert 'id="editmap"' in html and '<textarea name="geometry" id="geometry"' in html
    assert "leaflet.draw.js" in html
