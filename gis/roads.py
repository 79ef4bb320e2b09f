"""The one reader of the road network (``road_segment``), shared by signs, addresses, markers and facilities.

Also the edit of one segment's attributes or course (:func:`update_segment`); renamings of a
whole street go through ``placenames.roads``.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
from geoalchemy2.shape import from_shape
from shapely.geometry import LineString
from shapely.geometry.base import BaseGeometry
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from gis import history
from gis.contracts import check
from gis.crs import STORAGE_SRID
from gis.dialects import bbox_filter
from gis.errors import InvalidInput
from gis.errors import require_actor
from gis.models import ROAD_CONTRACTS
from gis.models import RoadSegment
from gis.rows import check_version
from gis.rows import flush_or_conflict
from gis.rows import get_or_raise
from gis.rows import wkb_rows_to_gdf

#: Columns of :func:`roads_gdf`, besides the geometry.
ROAD_COLUMNS = ("id", "name", "road_class", "division_code", "oneway", "speed_kmh")
#: Road classes, from the trunk roads down.
#: Fields :func:`update_segment` may change, besides the course.
ROAD_EDITABLE = ("name", "road_class", "oneway", "speed_kmh", "length_m", "division_code")


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


def update_segment(
    session: Session,
    segment_id: int,
    *,
    actor: str,
    changes: Mapping[str, Any],
    expected_version: int | None,
    geometry: BaseGeometry | None = None,
    reason: str | None = None,
) -> RoadSegment:
    """Correct one road segment's attributes or course (stale version refused, audited)."""
    require_actor(actor)
    segment = get_or_raise(session, RoadSegment, segment_id, what="road segment")
    check_version(segment, expected_version, what=f"road segment {segment_id}")
    values = dict(changes)
    other = sorted(set(values) - set(ROAD_EDITABLE))
    if other:
        raise InvalidInput(f"road segment {segment_id}: cannot change {', '.join(other)}", field=other[0])
    for key in list(values):
        values[key] = check(ROAD_CONTRACTS[key], values[key], field=key)
    if geometry is not None and not isinstance(geometry, LineString):
        raise InvalidInput(f"road segment {segment_id}: the course must be a line", field="geometry")
    if not values and geometry is None:
        raise InvalidInput(f"road segment {segment_id}: nothing to change")
    before = history.snapshot(segment)
    for key, value in values.items():
        setattr(segment, key, value)
    if geometry is not None:
        segment.geom = from_shape(geometry, srid=STORAGE_SRID)
    segment.author = actor
    flush_or_conflict(session, segment)
    history.record(session, actor=actor, action="update", obj=segment, before=before, reason=reason)
    return segment
