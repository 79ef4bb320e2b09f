"""The street network following a renaming: road-segment names and the addresses of house-number plates.

The one writer of ``road_segment.name`` and of plate addresses for renamings; every change is an
audit entry.
"""

from __future__ import annotations

from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session

from gis import history
from gis.errors import require_actor
from gis.models import RoadSegment
from gis.roads import roads_gdf
from gis.rows import flush_or_conflict
from placenames.models import PlaceName
from placenames.models import Sign
from placenames.signs.store import standard_face


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


def readdress_plates(
    session: Session,
    place: PlaceName,
    *,
    actor: str,
    old_name: str,
    district_code: str | None = None,
    reason: str | None = None,
    document: str | None = None,
) -> list[int]:
    """Give the house-number plates addressed to ``old_name`` the address of the renamed ``place``.

    A plate's address is its street text (Chinese, romanization, Mongolian where the name has
    one) and its house number. The plates of the place, and the unlinked plates of the district
    showing the old name (which are linked to the place from now on), take the standard name's
    text; the number stays. The physical plate is replaced through its work order. Returns the
    ids of the plates readdressed.
    """
    require_actor(actor)
    ours = Sign.place_name_id == place.id
    if district_code:
        unlinked = Sign.place_name_id.is_(None) & Sign.division_code.like(district_code[:6] + "%")
    else:
        unlinked = Sign.place_name_id.is_(None)
    plates = session.scalars(
        select(Sign)
        .where(Sign.kind == "house_number", Sign.text_zh == old_name, or_(ours, unlinked))
        .order_by(Sign.id)
    ).all()
    face = {k: v for k, v in standard_face(place).items() if v is not None or k != "text_mongolian"}
    for plate in plates:
        before = history.snapshot(plate)
        for key, value in face.items():
            setattr(plate, key, value)
        plate.place_name_id = place.id
        plate.author = actor
        flush_or_conflict(session, plate)
        history.record(
            session,
            actor=actor,
            action="update",
            obj=plate,
            before=before,
            reason=reason,
            document=document,
        )
    return [p.id for p in plates]
