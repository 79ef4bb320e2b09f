"""Road-segment names following the standard names: the one writer of ``road_segment.name`` for renamings."""

from __future__ import annotations

from sqlalchemy.orm import Session

from gis import history
from gis.errors import require_actor
from gis.models import RoadSegment
from gis.roads import roads_gdf


def rename_segments(
    session: Session,
    *,
    actor: str,
    old_name: str,
    new_name: str,
    district_code: str | None = None,
    reason: str | None = None,
    document: str | None = None,
) -> list[int]:
    """Give the segments named ``old_name`` (in the district, when given) the name ``new_name``.

    Each segment's change is an audit entry. Returns the ids of the renamed segments.
    """
    require_actor(actor)
    gdf = roads_gdf(session, name=old_name, district_code=district_code)
    ids = [int(i) for i in gdf["id"]] if len(gdf) else []
    for seg_id in ids:
        seg = session.get(RoadSegment, seg_id)
        before = history.snapshot(seg)
        seg.name = new_name
        seg.author = actor
        session.flush()
        history.record(
            session, actor=actor, action="update", obj=seg, before=before, reason=reason, document=document
        )
    return ids
