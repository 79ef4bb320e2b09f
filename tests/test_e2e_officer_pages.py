"""End to end in headless Chromium: the officers' and inspection teams' maps. A name's geometry
edited on its map and saved; a sign dragged to its new position; the sign audit of the whole city
on a map and in a table; a round's map with its line, legend and metric scale; the markers' map;
the same pages on a phone."""
# ruff: noqa: F811  (pytest fixtures imported from test_e2e_web are redefined as arguments)

from __future__ import annotations

import json

import pytest
from geoalchemy2.shape import to_shape
from test_e2e_web import ARTIFACTS
from test_e2e_web import browser  # noqa: F401
from test_e2e_web import page  # noqa: F401
from test_e2e_web import server  # noqa: F401
from test_pages_maps import _login
from test_pages_maps import _poll

from boundaries import usecases as boundary_usecases
from placenames.models import PlaceName
from placenames.models import Sign
from placenames.signs import store as signs_store
from webmap.db import get_session

pytestmark = pytest.mark.e2e


def _drag(page, selector: str, dx: float, dy: float) -> None:
    """Press on the middle of the first element matching ``selector`` and move it by (dx, dy) pixels."""
    page.locator(selector).first.scroll_into_view_if_needed()
    box = page.locator(selector).first.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx / 2, y + dy / 2, steps=5)
    page.mouse.move(x + dx, y + dy, steps=5)
    page.mouse.up()


def _stored(app, model, key):
    with app.app_context():
        row = get_session().get(model, app.config["SEED_IDS"][key])
        return row.version, to_shape(row.geom)


def test_name_page_maps_the_line_and_saves_a_vertex_dragged_on_the_map(server, page, backend):
    base, app = server
    pid = app.config["SEED_IDS"]["海北大街"]
    version, before = _stored(app, PlaceName, "海北大街")
    _login(page, base, "placename_officer")
    page.goto(f"{base}/names/{pid}")
    assert _poll(page, "document.querySelectorAll('#namemap path.leaflet-interactive').length") == 1
    page.click("#edit-details summary")
    page.wait_for_selector("#editmap .leaflet-editing-icon", state="visible")
    assert page.input_value("#geometry") == ""  # nothing drawn yet: the recorded geometry is kept
    _drag(page, "#editmap .leaflet-editing-icon", 40, 0)
    assert _poll(page, "document.getElementById('geometry').value")
    sent = json.loads(page.input_value("#geometry"))
    assert sent["type"] == "LineString" and len(sent["coordinates"]) == len(before.coords)
    assert sent["coordinates"][0][0] > before.coords[0][0] + 0.0005  # moved east
    page.screenshot(path=str(ARTIFACTS / "e2e_name_edit_map.png"))
    page.click("#edit-form button[type=submit]")
    page.wait_for_selector(".flash.ok")
    after_version, after = _stored(app, PlaceName, "海北大街")
    assert after_version == version + 1
    assert after.coords[0] == pytest.approx(tuple(sent["coordinates"][0]), abs=1e-7)
    assert after.coords[-1] == pytest.approx(before.coords[-1], abs=1e-9)


def test_dragging_a_sign_fills_its_fields_and_moves_it(server, page, backend):
    base, app = server
    sid = app.config["SEED_IDS"]["sign2"]
    version, before = _stored(app, Sign, "sign2")
    _login(page, base, "sign_maintainer")
    page.goto(f"{base}/signs/{sid}")
    page.wait_for_selector("#lon-map .leaflet-marker-icon")
    assert float(page.input_value("#lon")) == pytest.approx(before.x)
    _drag(page, "#lon-map .leaflet-marker-icon", 12, 0)  # about 20 m east, along its street
    assert _poll(page, f"parseFloat(document.getElementById('lon').value) > {before.x + 0.00005}")
    assert float(page.input_value("#lat")) == pytest.approx(before.y, abs=0.00005)
    lon, lat = float(page.input_value("#lon")), float(page.input_value("#lat"))
    page.click("main form.form button[type=submit] >> nth=0")
    page.wait_for_selector(".flash.ok")
    after_version, after = _stored(app, Sign, "sign2")
    assert after_version == version + 1 and (after.x, after.y) == pytest.approx((lon, lat), abs=1e-6)


def test_audit_without_a_district_shows_the_citys_findings_on_a_map_and_in_a_table(server, page, backend):
    base, app = server
    with app.app_context():
        s = get_session()
        sign = signs_store.create_sign(
            s,
            actor="test",
            values={"kind": "street", "code": "HBW-0200", "text_zh": "人名路", "text_romanized": "RENMIN LU",
                    "place_name_id": app.config["SEED_IDS"]["人民路"], "division_code": "150302001000",
                    "lon": 106.848, "lat": 39.6702},
        )  # fmt: skip
        sign.condition = "missing"
        s.commit()
    _login(page, base, "sign_maintainer")
    page.goto(base + "/signs/audit")
    rows = page.locator("#audit-findings tr.finding-row")
    assert rows.count() >= 1
    page.wait_for_selector("#auditmap[data-findings]")
    shown = int(page.get_attribute("#auditmap", "data-findings"))
    assert shown >= rows.count()
    assert page.locator("#auditmap path.leaflet-interactive").count() == shown
    kinds = set(
        page.eval_on_selector_all("#audit-findings tr.finding-row", "rs => rs.map(r => r.dataset.kind)")
    )
    legend = page.locator("#auditmap .map-legend div")
    assert legend.count() == len(kinds)
    assert "sign_missing" in kinds and "缺少标志 (1)" in page.inner_text("#auditmap .map-legend")
    page.select_option("#audit-severity", "warning")
    page.click("form.audit-filters button[type=submit]")
    page.wait_for_url("**severity=warning**")
    assert "sign_missing" not in page.eval_on_selector_all(
        "#audit-findings tr.finding-row", "rs => rs.map(r => r.dataset.kind)"
    )
    page.screenshot(path=str(ARTIFACTS / "e2e_sign_audit_city.png"))


def _round_with_findings(app) -> int:
    with app.app_context():
        s = get_session()
        rnd = boundary_usecases.create_round(
            s, "test", line_code="150302-150303", round_no=8, title="第八轮", parties=["海勃湾区", "海南区"]
        )
        boundary_usecases.start_round(s, "test", rnd.id)
        boundary_usecases.record_finding(
            s, "test", rnd.id, marker_number="HN001Q", condition="intact", lon=106.80003, lat=39.62
        )
        s.commit()
        return rnd.id


def test_round_page_draws_the_line_markers_by_displacement_a_legend_and_a_metric_scale(server, page, backend):
    base, app = server
    rid = _round_with_findings(app)
    _login(page, base, "boundary_inspector")
    page.goto(f"{base}/boundaries/rounds/{rid}")
    page.wait_for_selector("#roundmap[data-line-drawn]")
    assert int(page.get_attribute("#roundmap", "data-line-drawn")) == 1
    strokes = page.eval_on_selector_all("#roundmap path", "ps => ps.map(p => p.getAttribute('stroke'))")
    assert "#1f3a5f" in strokes  # the line itself
    fills = page.eval_on_selector_all(
        "#roundmap path.leaflet-interactive", "ps => ps.map(p => p.getAttribute('fill'))"
    )
    assert "#c0392b" in fills and "#7f8c8d" in fills  # HN001Q displaced 2.6 m, HN002Q not measured
    legend = page.inner_text("#roundmap .map-legend")
    for entry in ("行政区域界线", "1.0", "尚未实测"):
        assert entry in legend
    scale = page.inner_text("#roundmap .leaflet-control-scale")
    assert ("m" in scale or "km" in scale) and "mi" not in scale and "ft" not in scale
    page.screenshot(path=str(ARTIFACTS / "e2e_round_page_map.png"))
    page.goto(f"{base}/boundaries/rounds/{rid}/map")
    page.wait_for_selector(".map-legend")
    assert "行政区域界线" in page.inner_text(".map-legend")
    scale = page.inner_text(".leaflet-control-scale")
    assert scale.strip() and "mi" not in scale and "ft" not in scale


def test_markers_page_maps_lines_and_markers(server, page, backend):
    base, _app = server
    _login(page, base, "boundary_inspector")
    page.goto(base + "/boundaries/markers")
    page.wait_for_selector("#linesmap[data-lines][data-markers]")
    assert int(page.get_attribute("#linesmap", "data-lines")) >= 1
    assert int(page.get_attribute("#linesmap", "data-markers")) >= 1
    assert page.locator("#linesmap .map-legend").count() == 1
    page.click("text=登记界桩")  # the picker of the registration form, in a closed <details> until now
    picker = page.locator("#new-lon-map")
    picker.scroll_into_view_if_needed()
    assert _poll(page, "document.getElementById('new-lon-map').clientWidth > 300")
    box = picker.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert _poll(page, "document.getElementById('new-lon').value")
    # opened, the picker shows the city's centre (106.82, 39.66) in its middle
    lon, lat = float(page.input_value("#new-lon")), float(page.input_value("#new-lat"))
    assert abs(lon - 106.82) < 0.05 and abs(lat - 39.66) < 0.05


@pytest.mark.parametrize("path", ["/names/{name}", "/signs/{sign}", "/signs/audit", "/boundaries/markers"])
def test_officer_maps_fit_a_phone(server, browser, backend, path):
    base, app = server
    ids = app.config["SEED_IDS"]
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    phone = context.new_page()
    _login(phone, base, "admin")
    phone.goto(base + path.format(name=ids["人民路"], sign=ids["sign0"]))
    phone.wait_for_selector(".leaflet-container")
    sizes = phone.eval_on_selector_all(
        ".leaflet-container", "ms => ms.filter(m => m.offsetParent).map(m => [m.clientWidth, m.clientHeight])"
    )
    assert sizes and all(w >= 300 and h >= 250 for w, h in sizes)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()
