"""Reading the place-name registry: one name as plain data, its history, pages of names, frames for products."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd
from geoalchemy2.shape import to_shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from gis import history
from gis.rows import wkb_rows_to_gdf
from placenames import categories
from placenames import fields
from placenames.models import FormerName
from placenames.models import NameEvent
from placenames.models import PlaceName


def find_by_name(session: Session, name: str, *, division_code: str | None) -> PlaceName | None:
    """The current (not retired) name ``name`` in ``division_code``, or ``None``."""
    q = select(PlaceName).where(PlaceName.name == name, PlaceName.status != "retired")
    if division_code:
        q = q.where(PlaceName.division_code == division_code)
    return session.scalars(q.order_by(PlaceName.id).limit(1)).first()


def shape_of(pn: PlaceName) -> BaseGeometry | None:
    """The geometry of a place name as a shapely object (EPSG:4490), or ``None``."""
    return to_shape(pn.geom) if pn.geom is not None else None


def to_dict(session: Session, pn: PlaceName, *, with_history: bool = False) -> dict[str, Any]:
    """A JSON-ready view of a place name (geometry as GeoJSON-like WKT and a representative point)."""
    out = {k: v for k, v in history.snapshot(pn).items() if k != "geom"}
    out["category_label"] = categories.label(pn.category_code)
    out["romanization_needs_review"] = fields.needs_review(pn)
    if pn.geom is not None:
        shape = to_shape(pn.geom)
        point = shape.representative_point()
        out.update(geometry_type=shape.geom_type, wkt=shape.wkt, lon=round(point.x, 6), lat=round(point.y, 6))
    formers = session.scalars(
        select(FormerName).where(FormerName.place_name_id == pn.id).order_by(FormerName.id)
    )
    out["former_names"] = [
        {
            "name": f.name,
            "romanized": f.romanized,
            "valid_from": _iso(f.valid_from),
            "valid_to": _iso(f.valid_to),
            "document": f.document,
        }
        for f in formers
    ]
    if with_history:
        out["history_events"] = events(session, pn.id)
    return out


def events(session: Session, place_id: int) -> list[dict[str, Any]]:
    """The append-only history of a place name, oldest first."""
    rows = session.scalars(
        select(NameEvent).where(NameEvent.place_name_id == place_id).order_by(NameEvent.id)
    )
    return [_event_dict(e) for e in rows]


def last_findings(session: Session, place_id: int) -> list[dict[str, Any]]:
    """The rule findings recorded by the latest event of a place name."""
    last = session.scalars(
        select(NameEvent).where(NameEvent.place_name_id == place_id).order_by(NameEvent.id.desc()).limit(1)
    ).first()
    return list(last.findings or []) if last is not None else []


def names_page(
    session: Session,
    *,
    status: str | None = None,
    category: str | None = None,
    division_stem: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[PlaceName], int]:
    """Names of every status in id order, filtered, one page of them with the total count."""
    stmt = select(PlaceName)
    if status:
        stmt = stmt.where(PlaceName.status == status)
    if category:
        stmt = stmt.where(PlaceName.category_code >= category, PlaceName.category_code < category + "~")
    if division_stem:
        stmt = stmt.where(
            PlaceName.division_code >= division_stem, PlaceName.division_code < division_stem + "~"
        )
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = session.scalars(stmt.order_by(PlaceName.id).limit(limit).offset(offset)).all()
    return list(rows), int(total or 0)


def _event_dict(e: NameEvent) -> dict[str, Any]:
    return {
        "id": e.id,
        "at": _iso(e.at),
        "actor": e.actor,
        "action": e.action,
        "from_status": e.from_status,
        "to_status": e.to_status,
        "changes": e.changes,
        "reason": e.reason,
        "document": e.document,
        "findings": e.findings,
    }


#: Columns of :func:`names_gdf`, besides the geometry.
NAME_COLUMNS = (
    "id", "name", "romanized", "category_code", "division_code", "status", "meaning", "history",
    "location_desc", "aliases", "mongolian", "approving_authority", "approval_doc_no", "approval_date",
    "announcement_date", "source",
)  # fmt: skip


def names_gdf(
    session: Session,
    *,
    statuses: tuple[str, ...] = ("approved", "announced"),
    category_prefix: str | None = None,
) -> gpd.GeoDataFrame:
    """Standard names with geometry (EPSG:4490) for maps, the gazetteer and exports, ordered by id."""
    cols = [getattr(PlaceName, c) for c in NAME_COLUMNS]
    q = select(*cols, func.ST_AsBinary(PlaceName.geom)).where(PlaceName.status.in_(statuses))
    if category_prefix:
        q = q.where(
            PlaceName.category_code >= category_prefix, PlaceName.category_code < category_prefix + "~"
        )
    return wkb_rows_to_gdf(session.execute(q.order_by(PlaceName.id)).all(), NAME_COLUMNS)


def former_names_frame(session: Session) -> pd.DataFrame:
    """Former names (place_name_id, name, valid_from, valid_to, document), oldest first."""
    q = select(
        FormerName.place_name_id,
        FormerName.name,
        FormerName.valid_from,
        FormerName.valid_to,
        FormerName.document,
    ).order_by(FormerName.id)
    return pd.DataFrame(
        session.execute(q).all(), columns=["place_name_id", "name", "valid_from", "valid_to", "document"]
    )


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None
