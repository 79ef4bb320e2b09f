"""Public pages: the map with search, the personal start page, and the public sign-damage report."""

from __future__ import annotations

import threading

from flask import Blueprint
from flask import current_app
from flask import render_template
from flask_babel import get_locale
from sqlalchemy import select
from sqlalchemy.orm import Session

from boundaries.divisions import valid_clause
from boundaries.models import Division
from gis.history import generation as data_generation
from webmap.auth import role_required
from webmap.db import get_session
from webmap.mapi18n import map_labels
from webmap.spatial import bounds

bp = Blueprint("public", __name__)
_BOUNDS_LOCK = threading.Lock()


@bp.get("/")
def index():
    """The public map (viewport-loaded layers, search with suggestions), first fitted to the city."""
    return render_template(
        "index.html", i18n=map_labels(str(get_locale())), city_bounds=city_bounds(get_session())
    )


def city_bounds(session: Session) -> list[float] | None:
    """``[min_lon, min_lat, max_lon, max_lat]`` of Wuhai's city division polygon (of all its
    current divisions when there is no city polygon; neighbours excluded), ``None`` without any.

    Kept per application and recomputed only when the data generation moves.
    """
    generation = data_generation(session)
    cached = current_app.extensions.get("wuhai_city_bounds")
    if cached is not None and cached[0] == generation:
        return cached[1]
    extent = None
    base = select(*bounds(session, Division.geom)).where(
        Division.geom.is_not(None), Division.in_wuhai.is_(True), valid_clause()
    )
    for stmt in (base.where(Division.level == "city"), base):  # the city, else all of its divisions
        rows = [r for r in session.execute(stmt) if None not in r]
        if rows:
            extent = [
                round(float(min(r[0] for r in rows)), 6),
                round(float(min(r[1] for r in rows)), 6),
                round(float(max(r[2] for r in rows)), 6),
                round(float(max(r[3] for r in rows)), 6),
            ]
            break
    with _BOUNDS_LOCK:
        current_app.extensions["wuhai_city_bounds"] = (generation, extent)
    return extent


@bp.get("/home")
@role_required()
def home():
    """Start page of a logged-in user: links for their roles."""
    return render_template("home.html")


from webmap import report as _report  # noqa: E402,F401  (registers /report on bp)
