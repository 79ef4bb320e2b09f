"""The search box: suggestions from ``placenames.search`` with the location to fly to, and the
outline of a chosen name with its district."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from boundaries.divisions import district_of
from boundaries.divisions import division_names
from boundaries.divisions import town_of
from boundaries.divisions import valid_clause
from boundaries.models import Division
from gis.errors import NotFound
from gis.gcj02 import wgs84_to_gcj02
from placenames.categories import CATEGORIES
from placenames.models import PlaceName
from placenames.search import search
from webmap.spatial import bounds
from webmap.tiles import PUBLIC_NAME_STATUSES
from webmap.tiles import _to_gcj02

#: Simplification of outlines drawn after a search, in degrees (about 10 m).
OUTLINE_TOLERANCE = 0.0001


def suggest(session: Session, q: str, *, limit: int = 10, gcj02: bool = False) -> list[dict[str, Any]]:
    """Ranked public names matching ``q`` (Chinese, pinyin or initials), each with its extent.

    Ranked by ``placenames.search.search`` (prefix, pinyin, initials, former names and typos).
    """
    ids = _ranked_ids(session, q, limit=limit)
    if not ids:
        return []
    t = PlaceName.__table__
    centre = func.ST_Centroid(t.c.geom)
    stmt = select(
        t.c.id,
        t.c.name,
        t.c.romanized,
        t.c.category_code,
        t.c.status,
        t.c.division_code,
        func.ST_X(centre),
        func.ST_Y(centre),
        *bounds(session, t.c.geom),
    ).where(t.c.id.in_(ids), t.c.geom.is_not(None), t.c.status.in_(PUBLIC_NAME_STATUSES))
    rows = {r[0]: r for r in session.execute(stmt)}
    places = division_names(session) if rows else {}
    out = []
    for pid in ids:
        r = rows.get(pid)
        if r is None:
            continue
        lon, lat, x0, y0, x1, y1 = (float(v) for v in r[6:])
        if gcj02:
            (lon, x0, x1), (lat, y0, y1) = (
                [float(v) for v in a] for a in wgs84_to_gcj02([lon, x0, x1], [lat, y0, y1])
            )
        out.append(
            {
                "id": r[0],
                "name": r[1],
                "romanized": r[2],
                "category_code": r[3],
                "status": r[4],
                "category": _category_name(r[3]),
                "district": _place_of(places, r[5]),
                "lon": lon,
                "lat": lat,
                "bbox": [x0, y0, x1, y1],
            }
        )
    return out


def outline(session: Session, place_id: int, *, gcj02: bool = False) -> dict[str, Any]:
    """The geometry of public name ``place_id`` and the outline of its district (GeoJSON features).

    Raises
    ------
    gis.errors.NotFound
        For an unknown name or one that is not public.
    """
    t = PlaceName.__table__
    row = session.execute(
        select(t.c.id, t.c.name, t.c.division_code, _geojson(t.c.geom)).where(
            t.c.id == place_id, t.c.status.in_(PUBLIC_NAME_STATUSES), t.c.geom.is_not(None)
        )
    ).first()
    if row is None:
        raise NotFound(f"no public place name {place_id}")
    feature = _feature(row[3], {"id": row[0], "name": row[1]})
    district = None
    code = district_of(row[2]) if row[2] else None
    if code:
        d = session.execute(
            select(Division.code, Division.name, _geojson(Division.geom)).where(
                Division.code == code, Division.geom.is_not(None), valid_clause()
            )
        ).first()
        if d is not None:
            district = _feature(d[2], {"code": d[0], "name": d[1]})
    if gcj02:
        feature = _to_gcj02(feature)
        district = _to_gcj02(district) if district else None
    return {"feature": feature, "district": district}


def _geojson(geom):
    return func.ST_AsGeoJSON(func.ST_SimplifyPreserveTopology(geom, OUTLINE_TOLERANCE), 6)


def _feature(text: str, props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": json.loads(text), "properties": props}


def _category_name(code: str | None) -> str:
    cat = CATEGORIES.get(code or "")
    return cat.name if cat else ""


def _place_of(places: dict[str, str], code: str | None) -> str:
    """The name of the district (and town) of a division code: ``海勃湾区 · 新华街道``."""
    if not code:
        return ""
    district = places.get(district_of(code) or "", "")
    town = places.get(town_of(code) or "", "")
    return " · ".join(p for p in (district, town) if p)


def _ranked_ids(session: Session, q: str, *, limit: int) -> list[int]:
    return [int(hit["id"]) for hit in search(session, q, limit=limit * 3)][: limit * 3]
