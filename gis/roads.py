"""The one reader of the road network (``road_segment``), shared by signs, addresses, markers and facilities."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from gis.dialects import bbox_filter
from gis.models import RoadSegment
from gis.rows import wkb_rows_to_gdf

#: Columns of :func:`roads_gdf`, besides the geometry.
ROAD_COLUMNS = ("id", "name", "road_class", "division_code", "oneway", "speed_kmh")


def roads_gdf(
    session: Session,
    *,
    named_only: bool = False,
    name: str | None = None,
    district_code: str | None = None,
    bbox: Sequence[float] | None = None,
) -> gpd.GeoDataFrame:
    """Road centre lines in EPSG:4490, in id order.

    Parameters
    ----------
    named_only
        Only segments that carry a street name.
    name
        Only the segments of this street.
    district_code
        Only the segments in this district (roads carry the 12-digit code of their district).
    bbox
        Only the segments whose bounding box meets ``(min_lon, min_lat, max_lon, max_lat)``.
    """
    cols = [getattr(RoadSegment, c) for c in ROAD_COLUMNS]
    q = select(*cols, func.ST_AsBinary(RoadSegment.geom))
    if named_only:
        q = q.where(RoadSegment.name.is_not(None))
    if name is not None:
        q = q.where(RoadSegment.name == name)
    if district_code:
        q = q.where(RoadSegment.division_code == district_code)
    if bbox is not None:
        q = q.where(bbox_filter(session, RoadSegment.__table__, tuple(bbox)))
    return wkb_rows_to_gdf(session.execute(q.order_by(RoadSegment.id)).all(), ROAD_COLUMNS)


def count_roads(session: Session, *, name: str | None = None, district_code: str | None = None) -> int:
    """How many road segments there are (of one street, in one district)."""
    q = select(func.count()).select_from(RoadSegment)
    if name is not None:
        q = q.where(RoadSegment.name == name)
    if district_code:
        q = q.where(RoadSegment.division_code == district_code)
    return int(session.scalar(q) or 0)
