"""What a user can do with a standard name, one function per act, called alike by ``wuhai-gis names``
and the officers' pages.

Each takes the session, the actor and parsed values, writes through :mod:`placenames.store` (which
records the name event and the audit entry), does what follows from the act (a rename opens the
sign work orders) and returns an :class:`Outcome`. The caller commits. Refusals are
:mod:`gis.errors` kinds; a rule refusal is :class:`placenames.store.RuleViolation` with its
findings in ``details``.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import date
from typing import Any

from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from boundaries.divisions import district_of
from gis.errors import require_actor
from placenames import queries
from placenames import renaming
from placenames import roads
from placenames import rules
from placenames import store
from placenames.models import PlaceName
from placenames.models import Renaming
from placenames.models import WorkOrder
from placenames.signs import workorders


@dataclass(frozen=True)
class Outcome:
    """A name after an act, the rule findings the act recorded and the sign work orders it opened."""

    place: PlaceName
    findings: list[dict[str, Any]] = field(default_factory=list)
    work_orders: list[WorkOrder] = field(default_factory=list)

    def as_dict(self, session: Session) -> dict[str, Any]:
        """The name as plain data (:func:`placenames.queries.to_dict`) with the findings and work orders."""
        out = queries.to_dict(session, self.place)
        out["findings"] = self.findings
        out["work_orders"] = [{"id": o.id, "sign_id": o.sign_id} for o in self.work_orders]
        return out


def propose(
    session: Session,
    *,
    actor: str,
    name: str,
    category_code: str,
    division_code: str | None = None,
    geom: BaseGeometry | None = None,
    romanized: str | None = None,
    romanized_reason: str | None = None,
    meaning: str | None = None,
    history_text: str | None = None,
    location_desc: str | None = None,
    aliases: list[str] | None = None,
    origin_language: str | None = None,
    reason: str | None = None,
    document: str | None = None,
) -> Outcome:
    """Propose (申报) a standard name; the outcome carries the rule findings recorded with it."""
    require_actor(actor)
    pn = store.propose(
        session,
        actor=actor,
        name=name,
        category_code=category_code,
        division_code=division_code,
        geom=geom,
        romanized=romanized,
        romanized_reason=romanized_reason,
        meaning=meaning,
        history_text=history_text,
        location_desc=location_desc,
        aliases=aliases,
        origin_language=origin_language,
        reason=reason,
        document=document,
    )
    return _outcome(session, pn)


def check(
    session: Session, *, name: str, category_code: str, division_code: str | None = None
) -> list[rules.Finding]:
    """The rule findings a proposal of ``name`` would get, without saving anything."""
    return store.check(session, name=name, category_code=category_code, division_code=division_code)


def review(
    session: Session,
    place_id: int,
    *,
    actor: str,
    reason: str | None = None,
    expected_version: int | None = None,
) -> Outcome:
    """Start the review (审核) of a proposed name; the rule checks run again and are recorded."""
    pn = store.review(session, place_id, actor=actor, reason=reason, expected_version=expected_version)
    return _outcome(session, pn)


def approve(
    session: Session,
    place_id: int,
    *,
    actor: str,
    authority: str,
    document: str,
    approval_date: date | None = None,
    justification: str | None = None,
    expected_version: int | None = None,
) -> Outcome:
    """Approve (批准) a name under review (default date: today); rule findings may refuse it."""
    pn = store.approve(
        session,
        place_id,
        actor=actor,
        authority=authority,
        document=document,
        approval_date=approval_date or date.today(),
        justification=justification,
        expected_version=expected_version,
    )
    return _outcome(session, pn)


def announce(
    session: Session,
    place_id: int,
    *,
    actor: str,
    announcement_date: date | None = None,
    document: str | None = None,
    expected_version: int | None = None,
) -> Outcome:
    """Announce (公告) an approved name (default date: today)."""
    pn = store.announce(
        session,
        place_id,
        actor=actor,
        announcement_date=announcement_date or date.today(),
        document=document,
        expected_version=expected_version,
    )
    return _outcome(session, pn)


def rename(
    session: Session,
    place_id: int,
    *,
    actor: str,
    new_name: str,
    reason: str,
    document: str | None = None,
    effective: date | None = None,
    justification: str | None = None,
    romanized: str | None = None,
    romanized_reason: str | None = None,
    expected_version: int | None = None,
) -> Outcome:
    """Rename (更名) a place in one step (a correction; a renaming proper goes through
    :func:`propose_renaming`): the road segments and plate addresses follow and a work order
    opens for every sign still showing the old name, as on a renaming's announcement.

    Signs already on an unfinished renaming order are not listed twice.
    """
    require_actor(actor)
    old_name = store.get(session, place_id).name
    pn = store.rename(
        session,
        place_id,
        actor=actor,
        new_name=new_name,
        reason=reason,
        document=document,
        effective=effective,
        justification=justification,
        romanized=romanized,
        romanized_reason=romanized_reason,
        expected_version=expected_version,
    )
    orders = _follow(session, pn, actor=actor, old_name=old_name, reason=reason, document=document)
    return _outcome(session, pn, work_orders=orders)


def propose_renaming(
    session: Session,
    place_id: int,
    *,
    actor: str,
    new_name: str,
    reason: str,
    romanized: str | None = None,
    romanized_reason: str | None = None,
) -> Renaming:
    """Propose (申报) renaming a standard name; the old name stays standard until announced."""
    return renaming.propose(
        session,
        place_id,
        actor=actor,
        new_name=new_name,
        reason=reason,
        romanized=romanized,
        romanized_reason=romanized_reason,
    )


def review_renaming(
    session: Session, renaming_id: int, *, actor: str, expected_version: int | None = None
) -> Renaming:
    """Start the review (审核) of a proposed renaming."""
    return renaming.review(session, renaming_id, actor=actor, expected_version=expected_version)


def approve_renaming(
    session: Session,
    renaming_id: int,
    *,
    actor: str,
    authority: str,
    document: str,
    approval_date: date | None = None,
    justification: str | None = None,
    expected_version: int | None = None,
) -> Renaming:
    """Approve (批准) a renaming with its own authority, document and date (default today)."""
    return renaming.approve(
        session,
        renaming_id,
        actor=actor,
        authority=authority,
        document=document,
        approval_date=approval_date or date.today(),
        justification=justification,
        expected_version=expected_version,
    )


def announce_renaming(
    session: Session,
    renaming_id: int,
    *,
    actor: str,
    announcement_date: date | None = None,
    document: str | None = None,
    expected_version: int | None = None,
) -> Outcome:
    """Announce (公告) a renaming: the name, road segments, plate addresses and sign work orders follow.

    The place takes the new name with the renaming's approval (the old one becomes a former
    name); a work order opens for every sign still showing the old name; the road segments of
    the old name in its district are renamed and the house-number plates addressed to the old
    name take the new address (:func:`placenames.roads.readdress_plates`).
    """
    r, pn = renaming.announce(
        session,
        renaming_id,
        actor=actor,
        announcement_date=announcement_date or date.today(),
        document=document,
        expected_version=expected_version,
    )
    orders = _follow(
        session,
        pn,
        actor=actor,
        old_name=r.old_name,
        reason=r.reason,
        document=r.approval_doc_no,
        record_reason=f"renaming #{r.id}: {r.reason}",
    )
    return _outcome(session, pn, work_orders=orders)


def list_renamings(session: Session, *, statuses: list[str] | tuple[str, ...] | None = None) -> list[dict]:
    """Renamings as plain data, oldest first; by default those in progress (proposed, under
    review, approved), else those of ``statuses`` (:func:`placenames.renaming.listing`)."""
    return renaming.listing(session, statuses=statuses)


def show_renaming(session: Session, renaming_id: int) -> dict:
    """One renaming as plain data with its place and, while in progress, the rule findings of the
    new name (:func:`placenames.renaming.details`)."""
    return renaming.details(session, renaming_id)


def retire(
    session: Session,
    place_id: int,
    *,
    actor: str,
    reason: str,
    document: str | None = None,
    successor_id: int | None = None,
    expected_version: int | None = None,
) -> Outcome:
    """Retire (注销) a name, optionally naming the one that replaces it."""
    pn = store.retire(
        session,
        place_id,
        actor=actor,
        reason=reason,
        document=document,
        successor_id=successor_id,
        expected_version=expected_version,
    )
    return _outcome(session, pn)


def edit(
    session: Session,
    place_id: int,
    *,
    actor: str,
    reason: str | None = None,
    expected_version: int | None = None,
    geom: BaseGeometry | None = None,
    romanized: str | None = None,
    romanized_reason: str | None = None,
    **values: Any,
) -> Outcome:
    """Edit descriptive attributes and the geometry (:data:`placenames.store.EDITABLE`); not the name."""
    pn = store.update(
        session,
        place_id,
        actor=actor,
        reason=reason,
        expected_version=expected_version,
        geom=geom,
        romanized=romanized,
        romanized_reason=romanized_reason,
        **values,
    )
    return _outcome(session, pn)


def _follow(
    session: Session,
    pn: PlaceName,
    *,
    actor: str,
    old_name: str,
    reason: str | None,
    document: str | None,
    record_reason: str | None = None,
) -> list[WorkOrder]:
    """What follows a new name: work orders for the old-name signs (opened first, while the signs
    still show it), then the district's road segments and the plates' addresses."""
    district = district_of(pn.division_code)
    orders = workorders.work_list_for_renaming(
        session,
        place_name_id=pn.id,
        actor=actor,
        old_names=[old_name],
        reason=reason,
        district_code=district,
    )
    why = record_reason or reason
    roads.rename_segments(
        session,
        actor=actor,
        old_name=old_name,
        new_name=pn.name,
        district_code=district,
        reason=why,
        document=document,
    )
    roads.readdress_plates(
        session, pn, actor=actor, old_name=old_name, district_code=district, reason=why, document=document
    )
    return orders


def _outcome(session: Session, pn: PlaceName, *, work_orders: list[WorkOrder] | None = None) -> Outcome:
    return Outcome(pn, queries.last_findings(session, pn.id), list(work_orders or []))
