"""The standard place-name registry: naming procedure, renaming, retirement and history.

Life cycle: proposed → under_review → approved → announced → retired (with successor).
Every action is written to the append-only ``name_event`` table (who, when, what, why,
document, rule findings) and to the audit log (:func:`gis.history.record`). Writes check the
optimistic-lock ``version`` (pass ``expected_version``) and raise :class:`gis.errors.StaleVersion`
when the row changed meanwhile; refusals are :mod:`gis.errors` kinds.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from shapely.geometry.base import BaseGeometry
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session

from gis import history
from gis.contracts import of
from gis.errors import InvalidInput
from gis.errors import require_actor
from gis.rows import flush_or_conflict
from gis.rows import get_for_update
from gis.rows import get_or_raise
from placenames import categories
from placenames import fields
from placenames import rules
from placenames.models import FormerName
from placenames.models import NameEvent
from placenames.models import PlaceName
from placenames.romanize import pinyin_key
from placenames.romanize import split_name

#: Allowed transitions of the naming procedure.
TRANSITIONS = {
    "proposed": {"under_review", "retired"},
    "under_review": {"approved", "proposed", "retired"},
    "approved": {"announced", "retired"},
    "announced": {"retired"},
    "retired": set(),
}
#: Descriptive fields :func:`update` edits (the name itself changes only by :func:`rename`).
EDITABLE = (
    "meaning",
    "history",
    "location_desc",
    "aliases",
    "mongolian",
    "mongolian_source",
    "division_code",
    "origin_language",
)
#: How a place name is called in messages.
WHAT = "place name"


class RuleViolation(InvalidInput):
    """Approval or renaming stopped by rule findings (blocking, or warnings without justification).

    The findings travel in ``details`` so that both front ends can show them.
    """

    def __init__(self, message: str, findings: list[rules.Finding], *, field: str | None = None):
        super().__init__(message, field=field, details=findings)

    @property
    def findings(self) -> list[rules.Finding]:
        return list(self.details)


#: Lengths the approval and event fields accept, from their columns' contracts.
_LENGTH = {k: of(PlaceName, k).max_length for k in ("approving_authority", "approval_doc_no")}
_EVENT_DOC = of(NameEvent, "document").max_length
#: A justification or reason: as long as the longest free text of a name (its meaning).
_REASON = of(PlaceName, "meaning").max_length


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
    mongolian: str | None = None,
    mongolian_source: str | None = None,
    origin_language: str | None = None,
    reason: str | None = None,
    document: str | None = None,
    source: str = "manual",
) -> PlaceName:
    """Register a proposed name (申报) and record the rule findings.

    Raises
    ------
    gis.errors.InvalidInput
        On an invalid name, category, geometry or romanization override.
    """
    require_actor(actor)
    name = fields.clean_name(name)
    categories.get(category_code)
    parts = split_name(name, category=category_code)
    generic = parts.generic.replace(" ", "") if parts.generic else None
    pn = PlaceName(
        name=name,
        proper_part=name[: len(name) - len(generic)] if generic else name,
        generic_part=generic,
        category_code=category_code,
        division_code=division_code,
        status="proposed",
        aliases=fields.clean_aliases(aliases),
        origin_language=fields.clean_language(origin_language),
        author=actor,
        source=source,
    )
    fields.set_romanization(pn, romanized, romanized_reason)
    fields.set_text(pn, meaning=meaning, history=history_text, location_desc=location_desc)
    fields.set_text(pn, mongolian=mongolian, mongolian_source=mongolian_source)
    if geom is not None:
        pn.geom = fields.geometry_value(geom)
    findings = check(session, name=name, category_code=category_code, division_code=division_code)
    session.add(pn)
    flush_or_conflict(session, f"{WHAT} {name}")
    _event(
        session, pn, actor, "propose", None, "proposed", {"name": [None, name]}, reason, document, findings
    )
    history.record(session, actor=actor, action="insert", obj=pn, reason=reason, document=document)
    return pn


def check(
    session: Session,
    *,
    name: str,
    category_code: str,
    division_code: str | None,
    self_id: int | None = None,
) -> list[rules.Finding]:
    """Run the rule checks for ``name`` against the names in its scope."""
    bad = rules.check_characters(name)
    if bad:
        return [bad]
    return rules.check_name(
        name,
        category_code=category_code,
        in_scope=names_in_scope(session, name=name, category_code=category_code, division_code=division_code),
        self_id=self_id,
    )


def names_in_scope(
    session: Session, *, name: str, category_code: str, division_code: str | None
) -> list[dict]:
    """Names of the same major class in the category's scope with the same name or pinyin."""
    scope = categories.scope_of(category_code)
    major = categories.get(category_code).major
    stmt = select(
        PlaceName.id, PlaceName.name, PlaceName.category_code, PlaceName.status, PlaceName.division_code
    ).where(
        PlaceName.category_code >= major,
        PlaceName.category_code < major[:1] + chr(ord(major[1]) + 1),
        or_(PlaceName.name == name, PlaceName.pinyin_key == pinyin_key(name)),
    )
    prefix = {"district": 6, "town": 9}.get(scope)
    if prefix and division_code:
        stem = division_code[:prefix]
        stmt = stmt.where(PlaceName.division_code >= stem, PlaceName.division_code < stem + "~")
    return [dict(r._mapping) for r in session.execute(stmt)]


def review(
    session: Session,
    place_id: int,
    *,
    actor: str,
    expected_version: int | None = None,
    reason: str | None = None,
) -> PlaceName:
    """Start the review (审核) of a proposed name; findings are re-run and recorded."""
    require_actor(actor)
    pn = _get_for_update(session, place_id, expected_version)
    findings = _recheck(session, pn)
    return _transition(session, pn, actor, "review", "under_review", reason=reason, findings=findings)


def approve(
    session: Session,
    place_id: int,
    *,
    actor: str,
    authority: str,
    document: str,
    approval_date: date,
    justification: str | None = None,
    expected_version: int | None = None,
) -> PlaceName:
    """Approve (批准) a name under review.

    Raises
    ------
    RuleViolation
        When a blocking finding remains, or warnings exist and no ``justification`` is given.
    """
    require_actor(actor)
    pn = _get_for_update(session, place_id, expected_version)
    if not authority or not document:
        raise InvalidInput(
            "approval needs the approving authority and the document number",
            field="document" if authority else "authority",
        )
    findings = _recheck(session, pn)
    _enforce(findings, justification, action="approve")
    pn.approving_authority = fields.limit(authority, _LENGTH["approving_authority"], "authority")
    pn.approval_doc_no = fields.limit(document, _LENGTH["approval_doc_no"], "document")
    pn.approval_date = approval_date
    return _transition(
        session,
        pn,
        actor,
        "approve",
        "approved",
        reason=justification,
        document=document,
        findings=findings,
    )


def announce(
    session: Session,
    place_id: int,
    *,
    actor: str,
    announcement_date: date,
    document: str | None = None,
    expected_version: int | None = None,
) -> PlaceName:
    """Announce (公告) an approved name."""
    require_actor(actor)
    pn = _get_for_update(session, place_id, expected_version)
    pn.announcement_date = announcement_date
    return _transition(session, pn, actor, "announce", "announced", document=document)


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
    approval: tuple[str | None, str | None, date | None, date | None] | None = None,
) -> PlaceName:
    """Rename (更名) a place: same identity, the old name becomes a searchable former name.

    ``approval`` (authority, document, approval date, announcement date) is the renaming's own,
    which the name carries from now on.

    The signs still showing the old name are not touched here: :func:`placenames.usecases.rename`
    also opens their work orders.

    Raises
    ------
    RuleViolation
        When the new name has blocking findings, or warnings without ``justification``.
    """
    require_actor(actor)
    pn = _get_for_update(session, place_id, expected_version)
    if pn.status == "retired":
        raise InvalidInput(f"#{pn.id} {pn.name} is retired and cannot be renamed", field="status")
    if not reason or not reason.strip():
        raise InvalidInput("a rename needs a reason", field="reason")
    new_name = fields.clean_name(new_name, field="new_name")
    if new_name == pn.name:
        raise InvalidInput(f"#{pn.id} is already named {new_name}", field="new_name")
    findings = check(
        session,
        name=new_name,
        category_code=pn.category_code,
        division_code=pn.division_code,
        self_id=pn.id,
    )
    _enforce(findings, justification, action="rename", field="new_name")
    before = history.snapshot(pn)
    old_name, old_rom = pn.name, pn.romanized
    session.add(
        FormerName(
            place_name_id=pn.id,
            name=old_name,
            romanized=old_rom,
            valid_from=pn.approval_date,
            valid_to=effective or date.today(),
            document=fields.limit(document, _EVENT_DOC, "document"),
            author=actor,
            source=pn.source,
        )
    )
    parts = split_name(new_name, category=pn.category_code)
    generic = parts.generic.replace(" ", "") if parts.generic else None
    pn.name = new_name
    pn.generic_part = generic
    pn.proper_part = new_name[: len(new_name) - len(generic)] if generic else new_name
    pn.romanized_override_reason = None
    fields.set_romanization(pn, romanized, romanized_reason)
    if approval is not None:
        pn.approving_authority, pn.approval_doc_no, pn.approval_date, pn.announcement_date = approval
    pn.author = actor
    flush_or_conflict(session, pn)
    changes = {"name": [old_name, new_name], "romanized": [old_rom, pn.romanized]}
    if approval is not None:
        changes["approval_doc_no"] = [before.get("approval_doc_no"), pn.approval_doc_no]
    _event(
        session,
        pn,
        actor,
        "rename",
        pn.status,
        pn.status,
        changes,
        reason,
        document,
        findings,
        justification=justification,
    )
    history.record(
        session, actor=actor, action="update", obj=pn, before=before, reason=reason, document=document
    )
    return pn


def retire(
    session: Session,
    place_id: int,
    *,
    actor: str,
    reason: str,
    document: str | None = None,
    successor_id: int | None = None,
    expected_version: int | None = None,
) -> PlaceName:
    """Retire (注销) a name, optionally pointing to its successor."""
    require_actor(actor)
    if not reason or not reason.strip():
        raise InvalidInput("retirement needs a reason", field="reason")
    pn = _get_for_update(session, place_id, expected_version)
    if successor_id is not None:
        successor = find(session, successor_id)
        if successor is None or successor.id == pn.id or successor.status == "retired":
            raise InvalidInput(
                f"successor #{successor_id} does not exist or is retired", field="successor_id"
            )
        pn.successor_id = successor.id
    return _transition(session, pn, actor, "retire", "retired", reason=reason, document=document)


def update(
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
) -> PlaceName:
    """Edit descriptive attributes (meaning, history, location, aliases, Mongolian, division, geometry)."""
    require_actor(actor)
    unknown = sorted(set(values) - set(EDITABLE))
    if unknown:
        raise InvalidInput(f"cannot edit {unknown} here (use rename for the name)", field=unknown[0])
    pn = _get_for_update(session, place_id, expected_version)
    before = history.snapshot(pn)
    if "aliases" in values:
        values["aliases"] = fields.clean_aliases(values["aliases"])
    texts = {k: v for k, v in values.items() if k in fields.TEXT_LIMITS}
    fields.set_text(pn, **texts)
    for key in ("aliases", "division_code"):
        if key in values:
            setattr(pn, key, values[key])
    if "origin_language" in values:
        pn.origin_language = fields.clean_language(values["origin_language"])
        if romanized is None and not pn.romanized_override_reason:
            fields.set_romanization(pn, None, None)
    if geom is not None:
        pn.geom = fields.geometry_value(geom)
    if romanized is not None:
        fields.set_romanization(pn, romanized, romanized_reason)
    pn.author = actor
    flush_or_conflict(session, pn)
    changes = history.diff(before, history.snapshot(pn))
    _event(session, pn, actor, "edit", pn.status, pn.status, changes, reason, None, [])
    history.record(session, actor=actor, action="update", obj=pn, before=before, reason=reason)
    return pn


def get(session: Session, place_id: int) -> PlaceName:
    """The place name with ``place_id``, or :class:`gis.errors.NotFound`."""
    return get_or_raise(session, PlaceName, place_id, what=WHAT)


def find(session: Session, place_id: int) -> PlaceName | None:
    """The place name with ``place_id`` or ``None``."""
    return session.get(PlaceName, place_id)


def _recheck(session: Session, pn: PlaceName) -> list[rules.Finding]:
    return check(
        session, name=pn.name, category_code=pn.category_code, division_code=pn.division_code, self_id=pn.id
    )


def _transition(
    session: Session,
    pn: PlaceName,
    actor: str,
    action: str,
    to_status: str,
    *,
    reason: str | None = None,
    document: str | None = None,
    findings: list[rules.Finding] | None = None,
) -> PlaceName:
    from_status = pn.status
    if to_status not in TRANSITIONS[from_status]:
        raise InvalidInput(
            f"#{pn.id} {pn.name}: cannot {action} a name that is {from_status}", field="status"
        )
    before = history.snapshot(pn)
    pn.status = to_status
    pn.author = actor
    flush_or_conflict(session, pn)
    changes = {"status": [from_status, to_status]}
    _event(session, pn, actor, action, from_status, to_status, changes, reason, document, findings or [])
    history.record(
        session, actor=actor, action="update", obj=pn, before=before, reason=reason, document=document
    )
    return pn


def _event(
    session: Session,
    pn: PlaceName,
    actor: str,
    action: str,
    from_status: str | None,
    to_status: str | None,
    changes: dict,
    reason: str | None,
    document: str | None,
    findings: list[rules.Finding],
    justification: str | None = None,
) -> NameEvent:
    ev = NameEvent(
        place_name_id=pn.id,
        actor=require_actor(actor),
        action=action,
        from_status=from_status,
        to_status=to_status,
        changes=changes,
        reason=fields.limit(justification or reason, _REASON, "justification" if justification else "reason"),
        document=fields.limit(document, _EVENT_DOC, "document"),
        findings=[f.to_dict() for f in findings],
    )
    session.add(ev)
    flush_or_conflict(session, f"history of {WHAT} {pn.id}")
    return ev


def _enforce(
    findings: list[rules.Finding], justification: str | None, *, action: str, field: str | None = None
) -> None:
    block = rules.blocking(findings)
    if block:
        raise RuleViolation(f"cannot {action}: " + "; ".join(f.message for f in block), block, field=field)
    warn = rules.warnings(findings)
    if warn and not (justification and justification.strip()):
        raise RuleViolation(
            f"cannot {action} without a recorded justification for: " + "; ".join(f.message for f in warn),
            warn,
            field="justification",
        )


def _get_for_update(session: Session, place_id: int, expected_version: int | None) -> PlaceName:
    return get_for_update(session, PlaceName, place_id, expected_version, what=WHAT)
