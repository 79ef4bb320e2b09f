"""The public map's first view: the bounds of Wuhai's city polygon, computed by the server and cached."""
# ruff: noqa: F811  (pytest fixtures imported from web_fixtures are redefined as arguments)

from __future__ import annotations

import json
import re

from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon
from shapely.geometry import box
from web_fixtures import app  # noqa: F401
from web_fixtures import client  # noqa: F401
from web_fixtures import web_db  # noqa: F401

from boundaries.models import Division
from gis.history import record
from webmap.db import get_session


def _bounds(client) -> list[float] | None:
    page = client.get("/").get_data(as_text=True)
    found = re.search(r'data-bounds="([^"]+)"', page)
    return json.loads(found.group(1).replace("&#34;", '"')) if found else None


def test_first_view_is_the_city_polygon_recomputed_when_data_change(client, app):
    assert _bounds(client) == [106.70, 39.55, 106.95, 39.80]
    with app.app_context():
        s = get_session()
        s.add(Division(code="640200000000", name="石嘴山市", level="city", in_wuhai=False,
                       geom=from_shape(MultiPolygon([box(106.0, 38.6, 106.9, 39.4)]), srid=4490)))  # fmt: skip
        city = s.get(Division, "150300000000")
        city.geom = from_shape(MultiPolygon([box(106.60, 39.03, 107.13, 39.91)]), srid=4490)
        s.commit()
    assert _bounds(client) == [106.70, 39.55, 106.95, 39.80]  # kept until the data generation moves
    with app.app_context():
        s = get_session()
        city = s.get(Division, "150300000000")
        record(s, actor="test", action="update", obj=city, reason="new survey")
        s.commit()
    assert _bounds(client) == [106.60, 39.03, 107.13, 39.91]  # the neighbouring city is left out


def test_without_a_city_polygon_all_of_wuhai_s_divisions(client, app):
    with app.app_context():
        s = get_session()
        city = s.get(Division, "150300000000")
        city.geom = None
        record(s, actor="test", action="update", obj=city)
        s.commit()
    assert _bounds(client) == [106.78, 39.55, 106.88, 39.72]
