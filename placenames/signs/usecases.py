"""What a user does with signs, from the command line or the web: one function per act.

Each takes a session, the actor and parsed values, checks, writes through the store and records
the history; the caller commits and presents the result.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
from geoalchemy2.shape import to_shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from gis.errors import InvalidInput
from gis.errors import require_actor
from placenames.models import Sign
from placenames.models import WorkOrder
from placenames.signs import store
from placenames.signs import workorders
from placenames.signs.numbering import NumberingRule
from placenames.signs.numbering import propose_numbers

#: Fields of a sign that its edit form and ``wuhai-gis signs edit`` change.
EDIT_FIELDS = (
    "text_zh",
    "text_romanized",
    "text_mongolian",
    "house_number",
    "material",
    "size",
    "installer",
    "condition",
)
#: Degrees under which a submitted position counts as the sign's current one (about a centimetre).
_SAME_POSITION = 1e-7


def edit_sign(
    session: Session,
    sign_id: int,
    *,
    actor: str,
    changes: Mapping[str, Any],
    expected_version: int | None,
    lon: float | None = None,
    lat: float | None = None,
    reason: str | None = None,
) -> Sign:
    """Change a sign's fields and, with ``lon`` and ``lat``, move it (stale version refused)."""
    actor = require_actor(actor)
    sign = store.get_sign(session, sign_id)
    values = dict(changes)
    if (lon is None) != (lat is None):
        raise InvalidInput("moving a sign needs both lon and lat", field="lon" if lon is None else "lat")
    if lon is not None:
        here = to_shape(sign.geom)
        if abs(here.x - lon) > _SAME_POSITION or abs(here.y - lat) > _SAME_POSITION:
            values.update(lon=lon, lat=lat)
    return store.update_sign(
        session, sign.id, actor=actor, changes=values, expected_version=expected_version, reason=reason
    )


def open_work_order(
    session: Session,
    *,
    actor: str,
    reason: str,
    sign_id: int | None = None,
    lon: float | None = None,
    lat: float | None = None,
    description: str | None = None,
    photos: Iterable[bytes] = (),
    instance_dir: str | os.PathLike[str] | None = None,
) -> WorkOrder:
    """An officer's report of a sign problem: a work order for the sign or a location."""
    return workorders.report(
        session,
        actor=require_actor(actor),
        reason=reason,
        sign_id=sign_id,
        lon=lon,
        lat=lat,
        description=description,
        photos=photos,
        instance_dir=instance_dir,
    )


def report_damage(
    session: Session,
    *,
    actor: str,
    reason: str,
    description: str | None,
    lon: float | None,
    lat: float | None,
    photos: Iterable[bytes],
    sign_code: str | None = None,
    contact: str | None = None,
    instance_dir: str | os.PathLike[str] | None = None,
) -> WorkOrder:
    """A report from the public: location, description and photo needed; the sign by its code if seen."""
    sign_id = None
    code = (sign_code or "").strip()
    if code:
        sign_id = session.scalar(select(Sign.id).where(Sign.code == code))
        if sign_id is None:
            raise InvalidInput(f"no sign has the code {code[:40]}", field="sign_code")
    return workorders.report(
        session,
        actor=require_actor(actor),
        reason=reason,
        sign_id=sign_id,
        lon=lon,
        lat=lat,
        description=description,
        reporter_contact=contact,
        photos=photos,
        public=True,
        instance_dir=instance_dir,
    )


def assign_work_order(
    session: Session, order_id: int, *, actor: str, assignee: str | None, expected_version: int | None
) -> WorkOrder:
    """Hand a work order to a maintainer."""
    return workorders.assign(
        session, order_id, actor=require_actor(actor), assignee=assignee, expected_version=expected_version
    )


def resolve_work_order(
    session: Session,
    order_id: int,
    *,
    actor: str,
    action: str,
    note: str | None = None,
    photos: Iterable[bytes] = (),
    expected_version: int | None = None,
    instance_dir: str | os.PathLike[str] | None = None,
) -> WorkOrder:
    """Record a sign repaired or replaced (a replaced renamed sign shows the standard name)."""
    return workorders.resolve(
        session,
        order_id,
        actor=require_actor(actor),
        action=action,
        note=note,
        photos=photos,
        expected_version=expected_version,
        instance_dir=instance_dir,
    )


def close_work_order(
    session: Session,
    order_id: int,
    *,
    actor: str,
    photo: bytes | None,
    note: str | None = None,
    expected_version: int | None = None,
    instance_dir: str | os.PathLike[str] | None = None,
) -> WorkOrder:
    """Close a resolved work order with a photo of the finished sign."""
    return workorders.close(
        session,
        order_id,
        actor=require_actor(actor),
        photo=photo,
        note=note,
        expected_version=expected_version,
        instance_dir=instance_dir,
    )


def reject_work_order(
    session: Session, order_id: int, *, actor: str, reason: str | None, expected_version: int | None = None
) -> WorkOrder:
    """Turn down a report (duplicate, not a sign problem) with the reason."""
    return workorders.reject(
        session, order_id, actor=require_actor(actor), reason=reason or "", expected_version=expected_version
    )


@dataclass(frozen=True)
class Numbering:
    """A street's house numbering: the street found, the proposal and the plates written."""

    street: dict[str, Any]
    proposal: gpd.GeoDataFrame
    written: list[Sign]


def number_street(
    session: Session,
    *,
    actor: str,
    street: str,
    district: str | None = None,
    entrances: gpd.GeoDataFrame | None = None,
    rule: NumberingRule | None = None,
    commit: bool = False,
) -> Numbering:
    """Propose house numbers along a street for ``entrances`` (or renumber its plates); ``commit`` writes them.

    Without entrances the proposal renumbers the existing plates (``current`` holds their number)
    and nothing can be written.
    """
    found = store.resolve_street(session, street, district=district)
    existing = store.street_plates(session, name=found["name"], district=found["district"])
    if entrances is not None:
        proposal = propose_numbers(
            found["segments"], entrances, rule=rule, existing=existing[["house_number", "geometry"]]
        )
    else:
        if commit:
            raise InvalidInput(
                "nothing to commit without entrances (the dry run renumbers existing plates)",
                field="entrances",
            )
        proposal = propose_numbers(found["segments"], existing[["geometry"]], rule=rule)
        proposal["current"] = existing["house_number"].to_numpy()
    written = []
    if commit:
        written = store.commit_plates(session, actor=require_actor(actor), proposal=proposal, street=found)
    return Numbering(street=found, proposal=proposal, written=written)
