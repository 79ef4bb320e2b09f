"""OGC API - Features at ``/ogcapi``: Part 1 core and HTML, Part 2 CRS, Part 3 queryables, Part 4 writes,
Part 5 schemas."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("ogcapi", __name__, url_prefix="/ogcapi", static_folder="static", static_url_path="/static")

from webmap.ogcapi import items as _items  # noqa: E402,F401
from webmap.ogcapi import views as _views  # noqa: E402,F401
from webmap.ogcapi import writes as _writes  # noqa: E402,F401
