"""The few spatial SQL spellings the web layer needs that differ between PostGIS and SpatiaLite."""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.orm import Session

from gis.dialects import dialect_name


def bounds(bind: Session, geom) -> tuple:
    """``(xmin, ymin, xmax, ymax)`` expressions of ``geom`` (``ST_XMin`` / SpatiaLite ``MbrMinX``)."""
    if dialect_name(bind) == "postgresql":
        return func.ST_XMin(geom), func.ST_YMin(geom), func.ST_XMax(geom), func.ST_YMax(geom)
    return func.MbrMinX(geom), func.MbrMinY(geom), func.MbrMaxX(geom), func.MbrMaxY(geom)
