"""The planner's what-if and siting results on a map, water on the planning basemap, and long names in
the public map's suggestions, in headless Chromium at a desktop and a phone size."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import only_backends
from shapely.geometry import LineString
from shapely.geometry import box
from sqlalchemy.orm import Session
from test_e2e_web import ARTIFACTS
from test_e2e_web import browser  # noqa: F401
from test_e2e_web import server  # noqa: F401
from web_fixtures import DISTRICT
from web_fixtures import PASSWORD

from placenames import store as names_store

pytestmark = pytest.mark.e2e

SIZES = {"desktop": (1366, 900), "phone": (390, 844)}
LONG_NAME = "乌海高新技术产业开发区海勃湾产业园综合服务中心职工家园"


@pytest.fixture(scope="module")
def water(server):  # noqa: F811
    """The Yellow River and Wuhai Lake as approved standard names (a line and an area)."""
    _base, app = server
    with Session(app.extensions["wuhai_engine"]) as s:
        for name, code, geom in [
            ("黄河", "121", LineString([(106.775, 39.55), (106.79, 39.80)])),
            ("乌海湖", "122", box(106.785, 39.66, 106.795, 39.70)),
            (LONG_NAME, "241", box(106.82, 39.66, 106.83, 39.67)),
        ]:
            pn = names_store.propose(
                s, actor="t", name=name, category_code=code, division_code=DISTRICT, geom=geom
            )
            names_store.review(s, pn.id, actor="t")
            names_store.approve(s, pn.id, actor="t", authority="乌海市人民政府", document="乌政字〔2020〕1号",
                                approval_date=date(2020, 1, 1), justification="ok")  # fmt: skip
        s.commit()


def _planner(browser, base: str, size: str):  # noqa: F811
    ARTIFACTS.mkdir(exist_ok=True)
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(base + "/auth/login?lang=zh")
    page.fill("input[name=username]", "planner")
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit] >> nth=-1")
    return context, page, errors


#: The colours (line, fill) of every vector the Leaflet map in a frame draws, and whether it is a marker.
DRAWN = """() => {
  const map = Object.values(window).find((v) => v instanceof L.Map);
  const out = [];
  map.eachLayer((l) => { if (l.options && l.options.color) {
    out.push([l.options.color, l.options.fillColor || null, l instanceof L.CircleMarker]); } });
  return out;
}"""


def _drawn(page, frame: str) -> list:
    return page.locator(frame).element_handle().content_frame().evaluate(DRAWN)


def _legend(page, frame: str) -> str:
    legend = page.frame_locator(frame).locator(".map-legend")
    legend.wait_for(timeout=30000)
    if legend.evaluate("d => d.open") is False:  # closed on a phone: opened by its title
        legend.locator("summary").click()
    return legend.inner_text()


@only_backends("spatialite")
@pytest.mark.parametrize("size", list(SIZES))
def test_what_if_result_is_on_a_map(server, browser, water, size, backend):  # noqa: F811
    base, _app = server
    context, page, errors = _planner(browser, base, size)
    page.goto(base + "/planning/?year=2024")
    form = page.locator("form[action$='/planning/whatif']")
    form.locator("select[name=kind]").select_option("home_care_station")
    form.locator("#whatif-lon-map").click()  # the map picker fills the position
    assert form.locator("input[name=lon]").input_value().startswith("106.")
    assert form.locator("input[name=lat]").input_value().startswith("39.")
    form.locator("input[name=lon]").fill("106.83")
    form.locator("input[name=lat]").fill("39.67")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#whatif-map")
    text = _legend(page, "#whatif-map")
    for entry in (
        "拟新增或迁移的设施（1）",
        "其服务圈，半径 1000 米",
        "新增覆盖",
        "仍未覆盖",
        "水系：黄河、乌海湖",
        "区界",
    ):
        assert entry in text
    frame = page.frame_locator("#whatif-map")
    assert "km" in frame.locator(".leaflet-control-scale").inner_text()
    assert "mi" not in frame.locator(".leaflet-control-scale").inner_text()
    drawn = _drawn(page, "#whatif-map")
    assert ["#7e5109", "#f39c12", True] in drawn  # the proposed facility
    assert any(colour == "#1e8449" for colour, _fill, _marker in drawn)  # the area it newly covers
    assert any(colour == "#b9770e" for colour, _fill, _marker in drawn)  # its service circle
    assert page.locator("table#whatif tr").count() > 5  # the indicators stay under the map
    assert "社区居家养老服务站" in page.locator("main, body").first.inner_text()  # the kind by its name
    page.screenshot(path=str(ARTIFACTS / f"e2e_whatif_{size}.png"), full_page=True)
    context.close()
    assert errors == []


@only_backends("spatialite")
@pytest.mark.parametrize("size", list(SIZES))
def test_siting_result_is_on_a_map(server, browser, water, size, backend):  # noqa: F811
    base, _app = server
    context, page, errors = _planner(browser, base, size)
    page.goto(base + "/planning/siting?year=2024")
    page.fill("input[name=n]", "1")
    page.locator("form.form button[type=submit]").click()
    page.wait_for_selector("#siting-map")
    text = _legend(page, "#siting-map")
    assert "建议选址（1）" in text and "新增覆盖" in text and "水系：黄河、乌海湖" in text
    assert page.frame_locator("#siting-map").locator(".leaflet-control-scale").count() == 1
    page.screenshot(path=str(ARTIFACTS / f"e2e_siting_{size}.png"), full_page=True)
    context.close()
    assert errors == []


@only_backends("spatialite")
def test_planning_maps_draw_water_with_a_legend_entry(server, browser, water, backend):  # noqa: F811
    base, _app = server
    context, page, errors = _planner(browser, base, "desktop")
    page.goto(base + "/planning/?year=2024")
    for frame in ("#cover", "#choro"):
        text = _legend(page, frame)
        assert "水系：黄河、乌海湖" in text and "区界" in text
    water_drawn = [fill for colour, fill, _marker in _drawn(page, "#cover") if colour == "#3b7dd8"]
    assert len(water_drawn) == 2  # the river's line and the lake
    context.close()
    assert errors == []


@only_backends("spatialite")
def test_a_long_name_suggestion_keeps_its_line_on_a_phone(server, browser, water, backend):  # noqa: F811
    base, _app = server
    context = browser.new_context(
        viewport=dict(zip(("width", "height"), SIZES["phone"], strict=True)), locale="zh-CN"
    )
    page = context.new_page()
    page.goto(base + "/?lang=zh")
    page.fill("#search-input", "产业园")
    item = page.locator("#search-results li").filter(has_text=LONG_NAME).first
    item.wait_for(timeout=20000)
    name, rom, where = (item.locator(sel).bounding_box() for sel in (".name", "small", ".where"))
    row = item.bounding_box()
    assert name["width"] > 0.8 * row["width"]  # the name takes the row, not a narrow column
    assert name["height"] < 4 * 24  # a few lines at most, never one character per line
    assert name["y"] + name["height"] <= rom["y"] + 1 <= where["y"] + 1  # romanization under the name
    page.screenshot(path=str(ARTIFACTS / "e2e_long_suggestion_phone.png"))
    context.close()
