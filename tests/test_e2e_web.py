"""End to end in headless Chromium: the public map, search, an officer's renaming, the planner's dashboard."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from conftest import only_backends
from web_fixtures import PASSWORD
from web_fixtures import seeded_app
from web_fixtures import served_over_http

pytestmark = pytest.mark.e2e

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(request, backend, tmp_path_factory):
    """The seeded app served by waitress on a free loopback port."""
    app = seeded_app(request, backend, tmp_path_factory.mktemp("e2e"))
    with served_over_http(app, threads=6) as base:
        yield base, app
    app.extensions["wuhai_engine"].dispose()


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian chromium not installed")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1100, "height": 760}, locale="zh-CN")
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    context.close()
    assert errors == []


@only_backends("spatialite")
def test_public_map_loads_with_features(server, page, backend):
    base, _app = server
    page.goto(base + "/")
    page.wait_for_selector("body[data-features-drawn]", timeout=20000)
    page.wait_for_selector("#map[data-count_boundary_lines]", timeout=20000)
    counts = page.evaluate("Object.assign({}, document.getElementById('map').dataset)")
    # fitted to the small test city the map opens at town level: one town, one road
    assert int(counts["count_divisions"]) >= 1 and int(counts["count_roads"]) >= 1
    assert page.locator(".leaflet-control-layers").count() == 1
    assert page.locator(".leaflet-tile").count() == 0  # the offline basemap needs no tiles
    page.screenshot(path=str(ARTIFACTS / "e2e_public_map.png"))


@only_backends("spatialite")
def test_search_flies_to_a_name(server, page, backend):
    base, app = server
    page.goto(base + "/")
    page.wait_for_selector("body[data-features-drawn]", timeout=20000)
    page.fill("#search-input", "hbd")
    page.wait_for_selector("#search-results li", timeout=10000)
    assert "海北大街" in page.inner_text("#search-results li")
    page.click("#search-results li")
    page.wait_for_selector("#map[data-flew-to]", timeout=10000)
    centre = page.evaluate(
        "(() => { var c = wuhaiMap.getCenter(); return [c.lng, c.lat, wuhaiMap.getZoom()]; })()"
    )
    assert abs(centre[0] - 106.83) < 0.01 and abs(centre[1] - 39.67) < 0.04 and centre[2] >= 13
    assert "海北大街" in page.inner_text(".leaflet-popup-content")
    page.screenshot(path=str(ARTIFACTS / "e2e_search.png"))


@only_backends("spatialite")
def test_officer_renames_and_sees_sign_work_list(server, page, backend):
    base, app = server
    pid = app.config["SEED_IDS"]["人民路"]
    page.goto(base + "/auth/login")
    page.fill("input[name=username]", "placename_officer")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/home")
    page.goto(f"{base}/names/{pid}")
    page.click("summary:text-is('更名')")  # the rename section, not the renamings menu
    page.fill("#rename-form input[name=new_name]", "新民路")
    page.fill("#rename-form input[name=reason]", "道路改造后更名")
    page.screenshot(path=str(ARTIFACTS / "e2e_rename_form.png"))
    page.click("#rename-form button[type=submit]")
    page.wait_for_selector("#worklist", timeout=10000)
    assert "新民路" in page.inner_text("#worklist-title")
    rows = page.locator("#worklist tr")
    assert rows.count() == 4  # header + the three signs still showing 人民路
    assert "人民路" in page.inner_text("#worklist")
    page.screenshot(path=str(ARTIFACTS / "e2e_sign_worklist.png"), full_page=True)


@only_backends("spatialite")
def test_planner_opens_the_dashboard(server, page, backend):
    base, _app = server
    page.goto(base + "/auth/login?lang=zh")
    page.fill("input[name=username]", "planner")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(base + "/planning/?year=2024")
    page.wait_for_selector("#dashboard-title")
    table = page.locator("table.indicators").first
    assert table.locator("tr").count() >= 12
    text = page.inner_text("main")
    assert "城市社区养老设施服务覆盖率" in text or "养老" in text
    page.screenshot(path=str(ARTIFACTS / "e2e_planning_dashboard.png"), full_page=False)


@only_backends("spatialite")
def test_phone_layout(server, browser, backend):
    base, _app = server
    context = browser.new_context(viewport={"width": 390, "height": 800}, is_mobile=True, has_touch=True)
    pg = context.new_page()
    pg.goto(base + "/report")
    assert pg.locator("nav").is_hidden()  # collapsed behind the menu button
    pg.click(".nav-burger")
    assert pg.locator("nav").is_visible()
    width = pg.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    pg.screenshot(path=str(ARTIFACTS / "e2e_phone_report.png"))
    context.close()
