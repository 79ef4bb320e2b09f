"""End to end in headless Chromium: a name recorded as a one-part MultiPolygon (as every division
of the reference data is) opens its edit map without a script error, its vertices are dragged and
the name is saved still as a MultiPolygon."""
# ruff: noqa: F811  (pytest fixtures imported from test_e2e_web are redefined as arguments)

from __future__ import annotations

import json

import pytest
from geoalchemy2.shape import to_shape
from shapely.geometry import MultiPolygon
from shapely.geometry import box
from test_e2e_officer_pages import _drag
from test_e2e_web import browser  # noqa: F401
from test_e2e_web import page  # noqa: F401
from test_e2e_web import server  # noqa: F401
from test_pages_maps import _login
from test_pages_maps import _poll
from web_fixtures import TOWN

from placenames import store as names_store
from placenames.models import PlaceName
from webmap.db import get_session

pytestmark = pytest.mark.e2e


def test_a_one_part_multipolygon_name_is_edited_on_its_map_and_stays_a_multipolygon(server, page, backend):
    base, app = server
    before = MultiPolygon([box(106.81, 39.65, 106.83, 39.67)])
    with app.app_context():
        s = get_session()
        pid = names_store.propose(
            s, actor="test", name="人民公园", category_code="272", division_code=TOWN, geom=before
        ).id
        s.commit()
    _login(page, base, "placename_officer")
    page.goto(f"{base}/names/{pid}")
    page.click("#edit-details summary")
    page.wait_for_selector("#editmap .leaflet-editing-icon", state="visible")
    assert page.locator("#editmap .leaflet-draw-toolbar").count() >= 1  # the toolbar is there too
    _drag(page, "#editmap .leaflet-editing-icon", 40, 0)
    assert _poll(page, "document.getElementById('geometry').value")
    sent = json.loads(page.input_value("#geometry"))
    assert sent["type"] == "MultiPolygon" and len(sent["coordinates"]) == 1
    page.click("#edit-form button[type=submit]")
    page.wait_for_selector(".flash.ok")
    with app.app_context():
        after = to_shape(get_session().get(PlaceName, pid).geom)
    assert after.geom_type == "MultiPolygon" and len(after.geoms) == 1
    assert not after.equals(before)
