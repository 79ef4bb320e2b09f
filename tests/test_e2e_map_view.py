"""End to end in headless Chromium: the public map opens fitted tightly to the city, on a desktop
and on a phone, clear of the search box."""
# ruff: noqa: F811  (pytest fixtures imported from test_e2e_web are redefined as arguments)

from __future__ import annotations

import pytest
from conftest import only_backends
from test_e2e_web import ARTIFACTS
from test_e2e_web import browser  # noqa: F401
from test_e2e_web import server  # noqa: F401

pytestmark = pytest.mark.e2e

#: The city's bounds on screen, the map's size and the search box, in map container pixels.
_MEASURE = """(() => {
  var b = wuhaiCityBounds, m = document.getElementById('map').getBoundingClientRect();
  var nw = wuhaiMap.latLngToContainerPoint(b.getNorthWest()), se = wuhaiMap.latLngToContainerPoint(b.getSouthEast());
  var s = document.querySelector('.search-box').getBoundingClientRect();
  return {city: [nw.x, nw.y, se.x, se.y], size: [m.width, m.height], zoom: wuhaiMap.getZoom(),
          search: [s.left - m.left, s.top - m.top, s.right - m.left, s.bottom - m.top]};
})()"""


@only_backends("spatialite")
@pytest.mark.parametrize(("width", "height", "phone"), [(1280, 800, False), (390, 844, True)])
def test_first_view_fits_the_city(server, browser, backend, width, height, phone):
    base, _app = server
    context = browser.new_context(
        viewport={"width": width, "height": height}, is_mobile=phone, has_touch=phone
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(base + "/")
    page.wait_for_selector("body[data-features-drawn]", timeout=20000)
    view = page.evaluate(_MEASURE)
    x0, y0, x1, y1 = view["city"]
    w, h = view["size"]
    assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h  # the whole city is in view
    assert max((x1 - x0) / w, (y1 - y0) / h) >= 0.85  # and fills the map along one side
    s = view["search"]
    assert not (x0 < s[2] and x1 > s[0] and y0 < s[3])  # nothing of it under the search box
    page.screenshot(path=str(ARTIFACTS / f"e2e_first_view_{width}x{height}.png"))
    page.click(".leaflet-control-zoom-in")
    # Later zooms snap to whole levels. Polled from here: the page's CSP forbids the eval that
    # Playwright's in-page polling (wait_for_function) would need.
    for _ in range(50):
        if page.evaluate("Number.isInteger(wuhaiMap.getZoom())"):
            break
        page.wait_for_timeout(100)
    assert page.evaluate("Number.isInteger(wuhaiMap.getZoom())")
    context.close()
    assert errors == []
