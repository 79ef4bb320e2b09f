"""End to end in headless Chromium: the public map's labels, legend and search outline; the report
form's map picker; the boundaries page's map; the round map's line and metric scale."""
# ruff: noqa: F811  (pytest fixtures imported from test_e2e_web are redefined as arguments)

from __future__ import annotations

import pytest
from conftest import only_backends
from test_e2e_web import ARTIFACTS
from test_e2e_web import browser  # noqa: F401
from test_e2e_web import page  # noqa: F401
from test_e2e_web import server  # noqa: F401
from web_fixtures import PASSWORD

pytestmark = pytest.mark.e2e


def _poll(page, expression: str, tries: int = 80) -> object:
    """The value of ``expression`` once truthy (the page's CSP forbids wait_for_function's eval)."""
    value = None
    for _ in range(tries):
        value = page.evaluate(expression)
        if value:
            return value
        page.wait_for_timeout(100)
    return value


def _login(page, base: str, user: str) -> None:
    page.goto(base + "/auth/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(base + "/home")


@only_backends("spatialite")
def test_public_map_has_labels_a_legend_and_a_zoom_limit(server, page, backend):
    base, _app = server
    page.goto(base + "/")
    page.wait_for_selector("body[data-features-drawn]", timeout=20000)
    legend = page.locator("#legend")
    assert legend.is_visible()
    text = legend.inner_text()
    for entry in ("标准名称", "界桩", "标志", "民政设施", "河流、湖泊", "主干道"):
        assert entry in text
    assert legend.locator(".sw.cluster").count() == 4  # one per cluster colour
    # division names are labelled from the first view
    assert _poll(page, "Number(document.getElementById('map').dataset.labels || 0) > 0")
    assert page.locator(".map-label").count() >= 1
    assert page.evaluate("wuhaiMap.getMaxZoom()") == 18
    page.evaluate("wuhaiMap.setView([39.67, 106.83], 16, {animate: false}); 1")
    # closer in, names below the district level are labelled (towns, communities, places, streets)
    assert _poll(page, "document.querySelectorAll('.map-label:not(.label-district):not(.label-city)').length")
    page.screenshot(path=str(ARTIFACTS / "e2e_map_labels.png"))


@only_backends("spatialite")
def test_search_outlines_the_name_and_its_district(server, page, backend):
    base, _app = server
    page.goto(base + "/")
    page.wait_for_selector("body[data-features-drawn]", timeout=20000)
    page.fill("#search-input", "hbd")
    page.wait_for_selector("#search-results li", timeout=10000)
    item = page.locator("#search-results li").first
    assert item.locator(".name").inner_text() == "海北大街"
    assert "海勃湾区" in item.locator(".where").inner_text()
    # the name is on one line, its romanization below it
    name_box = item.locator(".name").bounding_box()
    rom_box = item.locator("small").bounding_box()
    assert name_box["height"] < 30 and rom_box["y"] >= name_box["y"] + name_box["height"] - 1
    item.click()
    page.wait_for_selector("#map[data-outlined]", timeout=10000)
    page.screenshot(path=str(ARTIFACTS / "e2e_search_outline.png"))


@only_backends("spatialite")
def test_report_picker_fills_the_coordinates(server, browser, backend):
    base, _app = server
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        geolocation={"longitude": 106.8251, "latitude": 39.6712},
        permissions=["geolocation"],
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(base + "/report")
    picker = page.locator(".pointpicker")
    picker.scroll_into_view_if_needed()
    box = picker.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert _poll(page, "document.getElementById('lon').value")
    lon, lat = float(page.input_value("#lon")), float(page.input_value("#lat"))
    assert 106.2 < lon < 107.4 and 39.0 < lat < 40.1
    page.click("text=使用我的位置")
    assert _poll(page, "document.getElementById('lon').value === '106.825100'")
    assert page.input_value("#lat") == "39.671200"
    page.screenshot(path=str(ARTIFACTS / "e2e_report_picker.png"), full_page=True)
    context.close()
    assert errors == []


@only_backends("spatialite")
def test_boundaries_page_maps_lines_and_markers(server, page, backend):
    base, _app = server
    _login(page, base, "boundary_inspector")
    page.goto(base + "/boundaries/")
    page.wait_for_selector("#linesmap[data-lines][data-markers]", timeout=10000)
    data = page.evaluate("Object.assign({}, document.getElementById('linesmap').dataset)")
    assert int(data["lines"]) >= 1 and int(data["markers"]) >= 1
    assert page.locator("#linesmap .map-legend").count() == 1
    page.screenshot(path=str(ARTIFACTS / "e2e_boundaries_map.png"))


@only_backends("spatialite")
def test_round_map_draws_the_line_with_a_metric_scale(server, page, backend):
    base, app = server
    _login(page, base, "boundary_inspector")
    page.goto(base + "/boundaries/")
    page.click("main details summary")
    page.select_option("select[name=line_code]", index=0)
    page.fill("input[name=round_no]", "9")
    page.fill("input[name=title]", "测试联检")
    page.fill("textarea[name=parties]", "海勃湾区\n海南区")
    page.click("details form button[type=submit]")
    page.wait_for_selector("#roundmap[data-line-drawn]", timeout=10000)
    assert int(page.get_attribute("#roundmap", "data-line-drawn")) >= 1
    scale = page.inner_text("#roundmap .leaflet-control-scale")
    assert "m" in scale and "mi" not in scale and "ft" not in scale
    page.screenshot(path=str(ARTIFACTS / "e2e_round_map.png"))
