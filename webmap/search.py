"""The search box: suggestions from ``placenames.search`` with the location to fly to."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from gis.gcj02 import wgs84_to_gcj02
from placenames.models import PlaceName
from placenames.search import search
from webmap.spatial import bounds
from webmap.tiles import PUBLIC_NAME_STATUSES


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
        func.ST_X(centre),
        func.ST_Y(centre),
        *bounds(session, t.c.geom),
    ).where(t.c.id.in_(ids), t.c.geom.is_not(None), t.c.status.in_(PUBLIC_NAME_STATUSES))
    rows = {r[0]: r for r in session.execute(stmt)}
    out = []
    for pid in ids:
        r = rows.get(pid)
        if r is None:
            continue
        lon, lat, x0, y0, x1, y1 = (float(v) for v in r[5:])
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
                "lon": lon,
                "lat": lat,
                "bbox": [x0, y0, x1, y1],
            }
        )
    return out


def _ranked_ids(session: Session, q: str, *, limit: int) -> list[int]:
    return [int(hit["id"]) for hit in search(session, q, limit=limit * 3)][: limit * 3]
