"""The search box: suggestions from ``placenames.search`` with the location to fly to."""

from __future__ import annotations

import importlib
from typing import Any

from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session

from gis.gcj02 import wgs84_to_gcj02
from placenames.models import PlaceName
from webmap.spatial import bounds
from webmap.tiles import PUBLIC_NAME_STATUSES


def suggest(session: Session, q: str, *, limit: int = 10, gcj02: bool = False) -> list[dict[str, Any]]:
    """Ranked public names matching ``q`` (Chinese, pinyin or initials), each with its extent.

    Uses ``placenames.search.search`` (prefix, pinyin, initials, former names and typos) when
    that module is installed; otherwise a prefix match on name, pinyin key and initials.
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
    domain = _domain_search()
    if domain is not None:
        return _ids_from(domain(session, q, limit=limit * 3))[: limit * 3]
    pattern = q.replace("\\", "").replace("%", "").replace("_", "")
    key = pattern.lower().replace(" ", "").replace("'", "")
    stmt = (
        select(PlaceName.id)
        .where(
            PlaceName.status.in_(PUBLIC_NAME_STATUSES),
            or_(
                PlaceName.name.like(f"{pattern}%"),
                PlaceName.pinyin_key.like(f"{key}%"),
                PlaceName.initials.like(f"{key}%"),
            ),
        )
        .order_by(func.length(PlaceName.name), PlaceName.name)
        .limit(limit * 3)
    )
    return list(session.scalars(stmt))


def _domain_search():
    try:
        module = importlib.import_module("placenames.search")
    except ModuleNotFoundError as exc:
        if exc.name in ("placenames.search",):
            return None
        raise
    return getattr(module, "search", None)


def _ids_from(result: Any) -> list[int]:
    """Accept the domain search's result as a DataFrame, a list of dicts/rows or of ids."""
    if hasattr(result, "columns"):
        col = "id" if "id" in result.columns else "place_name_id"
        return [int(v) for v in result[col].tolist()]
    ids = []
    for item in result:
        if isinstance(item, int):
            ids.append(item)
        elif isinstance(item, dict):
            ids.append(int(item.get("id") or item.get("place_name_id")))
        else:
            ids.append(int(getattr(item, "id", None) or item.place_name_id))
    return ids
