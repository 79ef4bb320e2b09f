"""Public pages: the map with search, the personal start page, and the public sign-damage report."""

from __future__ import annotations

import threading

from flask import Blueprint
from flask import current_app
from flask import g
from flask import render_template
from flask_babel import get_locale
from sqlalchemy import select
from sqlalchemy.orm import Session

from boundaries.divisions import division_names
from boundaries.divisions import divisions_gdf
from boundaries.divisions import valid_clause
from boundaries.models import Division
from gis.history import generation as data_generation
from placenames.categories import CATEGORIES
from webmap.auth import role_required
from webmap.db import get_session
from webmap.mapi18n import map_labels
from webmap.spatial import bounds

bp = Blueprint("public", __name__)
_BOUNDS_LOCK = threading.Lock()


@bp.get("/")
def index():
    """The public map (viewport-loaded layers, search with suggestions), first fitted to the city."""
    session = get_session()
    return render_template(
        "index.html",
        i18n=map_labels(str(get_locale())),
        city_bounds=city_bounds(session),
        places=_division_names(),
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


@bp.app_template_filter("division_name")
def division_name(code: str | None) -> str:
    """The name of a division code for lists (the code itself when unknown; empty for none)."""
    if not code:
        return ""
    return _division_names().get(code, code)


@bp.app_template_filter("category_name")
def category_name(code: str | None) -> str:
    """The name of a place-name category code (``253`` → ``城市道路``; the code when unknown)."""
    cat = CATEGORIES.get(code or "")
    return cat.name if cat else (code or "")


@bp.app_template_global("district_choices")
def district_choices() -> list[tuple[str, str]]:
    """``(code, name)`` of Wuhai's districts, for filter menus."""
    if "district_choices" not in g:
        frame = divisions_gdf(get_session(), levels=("district",), geometry=False)
        g.district_choices = list(zip(frame["code"], frame["name"], strict=True))
    return g.district_choices


def _division_names() -> dict[str, str]:
    """Division names of the current request, read once."""
    if "division_names" not in g:
        g.division_names = division_names(get_session())
    return g.division_names


@bp.get("/home")
@role_required()
def home():
    """Start page of a logged-in user: links for their roles."""
    return render_template("home.html")


from webmap import report as _report  # noqa: E402,F401  (registers /report on bp)
