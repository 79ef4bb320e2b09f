"""The few places where SpatiaLite and PostGIS differ, dispatched on the dialect name."""

from __future__ import annotations

from sqlalchemy import ColumnElement
from sqlalchemy import Table
from sqlalchemy import and_
from sqlalchemy import func
from sqlalchemy import literal_column
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from gis.crs import STORAGE_SRID

BBox = tuple[float, float, float, float]


def dialect_name(bind: Connection | Session) -> str:
    """``'sqlite'`` or ``'postgresql'`` for a connection or session."""
    return bind.get_bind().dialect.name if isinstance(bind, Session) else bind.dialect.name


def bbox_filter(
    bind: Connection | Session, table: Table, bbox: BBox, *, column: str = "geom"
) -> ColumnElement[bool]:
    """A WHERE clause selecting rows whose geometry's box meets ``bbox``, through the spatial index.

    PostGIS uses the GiST index through ``&&``; SpatiaLite has no implicit index use, so the
    R*Tree virtual table ``idx_<table>_<column>`` is queried for candidate rowids.
    """
    minx, miny, maxx, maxy = bbox
    geom = table.c[column]
    if dialect_name(bind) == "postgresql":
        envelope = func.ST_MakeEnvelope(minx, miny, maxx, maxy, STORAGE_SRID)
        return geom.op("&&")(envelope)
    candidates = (
        select(literal_column("pkid"))
        .select_from(text(f'"idx_{table.name}_{column}"'))
        .where(
            and_(
                literal_column("xmax") >= minx,
                literal_column("xmin") <= maxx,
                literal_column("ymax") >= miny,
                literal_column("ymin") <= maxy,
            )
        )
    )
    return literal_column(f'"{table.name}".rowid').in_(candidates)


def bbox_count(bind: Connection | Session, table: Table, bbox: BBox, *, column: str = "geom") -> int:
    """How many rows :func:`bbox_filter` selects (rows with a geometry whose box meets ``bbox``).

    SpatiaLite counts the R*Tree's entries alone (it holds exactly the rows with a geometry),
    without reading the table; PostGIS counts through the GiST index.
    """
    if dialect_name(bind) == "postgresql":
        stmt = select(func.count()).select_from(table).where(bbox_filter(bind, table, bbox, column=column))
        return int(bind.execute(stmt).scalar_one())
    minx, miny, maxx, maxy = bbox
    stmt = text(
        f'SELECT count(*) FROM "idx_{table.name}_{column}" '
        "WHERE xmax >= :minx AND xmin <= :maxx AND ymax >= :miny AND ymin <= :maxy"
    )
    params = {"minx": minx, "miny": miny, "maxx": maxx, "maxy": maxy}
    return int(bind.execute(stmt, params).scalar_one())


def nearest_order(bind: Connection | Session, table: Table, lon: float, lat: float, *, column: str = "geom"):
    """An ORDER BY expression for nearest-first (index-assisted KNN on PostGIS)."""
    point = point_expr(lon, lat)
    geom = table.c[column]
    if dialect_name(bind) == "postgresql":
        return geom.op("<->")(point)
    return func.ST_Distance(geom, point)


def point_expr(lon: float, lat: float, srid: int = STORAGE_SRID):
    """A point geometry literal valid on both backends."""
    return func.ST_GeomFromText(f"POINT({float(lon)!r} {float(lat)!r})", srid)
