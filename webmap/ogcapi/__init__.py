"""OGC API - Features at ``/ogcapi``: Part 1 core, Part 2 CRS (CRS84, EPSG:4490), Part 4 writes."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("ogcapi", __name__, url_prefix="/ogcapi")

from webmap.ogcapi import views as _views  # noqa: E402,F401
from webmap.ogcapi import writes as _writes  # noqa: E402,F401
