"""The planner's dashboard in headless Chromium: the chart with its targets, the entered-value labels,
the choropleth's classed legend and the coverage map drawn by default with its legend."""

from __future__ import annotations

import pytest
from conftest import only_backends
from test_e2e_web import ARTIFACTS
from test_e2e_web import browser  # noqa: F401
from test_e2e_web import server  # noqa: F401
from web_fixtures import PASSWORD

pytestmark = pytest.mark.e2e


@pytest.fixture
def planner_page(browser):  # noqa: F811
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    context.close()
    assert errors == []


@only_backends("spatialite")
def test_the_dashboard_shows_the_chart_legends_and_coverage(server, planner_page, backend):  # noqa: F811
    base, _app = server
    page = planner_page
    page.goto(base + "/auth/login?lang=zh")
    page.fill("input[name=username]", "planner")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(base + "/planning/")
    page.wait_for_selector("#target-chart")
    rows = page.locator("#target-chart .tc-row")
    assert rows.count() == 13
    targets = page.locator("#target-chart .tc-target-value").all_inner_texts()
    assert targets[4] == "60" and targets[7] == "1.4"  # beds per 1000, social workers (%)
    assert page.locator("#target-chart .tc-mark.tc-target").count() == 13
    assert page.locator("#target-chart .badge").count() == 4  # no. 1, 2, 7 and 12 are entered by hand
    assert "−" not in page.inner_text("table.indicators")  # no negative progress
    choro = page.frame_locator("#choro")
    legend = choro.locator(".map-legend")
    legend.wait_for(timeout=20000)
    text = legend.inner_text()
    assert "2025" in text and "0.0 – 100.0" not in text and "%" in text
    cover = page.frame_locator("#cover").locator(".map-legend")
    cover.wait_for(timeout=20000)
    assert cover.locator(".legend-item").count() >= 5 and "区界" in cover.inner_text()  # basemap entries too
    page.screenshot(path=str(ARTIFACTS / "e2e_planning_chart.png"), full_page=True)
