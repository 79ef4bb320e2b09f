"""Renamings (更名) as a procedure of their own: proposed, reviewed, approved and announced.

Until a renaming is announced the old name stays the standard one; the announcement renames the
place (:func:`placenames.store.rename`) with the renaming's own approval.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from gis import history
from gis.errors import Conflict
from gis.errors import InvalidInput
from gis.errors import require_actor
from gis.rows import flush_or_conflict
from gis.rows import get_for_update
from gis.rows import get_or_raise
from placenames import fields
from placenames import rules
from placenames import store
from placenames.models import PlaceName
from placenames.models import Renaming

WHAT = "renaming"
_NEXT = {"review": ("proposed", "under_review"), "approve": ("under_review", "approved")}
#: The statuses of a renaming, in the order of the procedure.
STATUSES = ("proposed", "under_review", "approved", "announced", "withdrawn")
#: The statuses of a renaming still in progress (not yet announced or withdrawn).
IN_PROGRESS = ("proposed", "under_review", "approved")
_OPEN = IN_PROGRESS


def propose(
    session: Session,
    place_id: int,
    *,
    actor: str,
    new_name: str,
    reason: str,
    romanized: str | None = None,
    romanized_reason: str | None = None,
) -> Renaming:
    """Propose renaming the standard name ``place_id`` to ``new_name``."""
    require_actor(actor)
    pn = store.get(session, place_id)
    if pn.status not in ("approved", "announced"):
        raise InvalidInput(
            f"#{pn.id} {pn.name} is {pn.status}: only a standard name is renamed", field="status"
        )
    if not reason or not reason.strip():
        raise InvalidInput("a renaming needs a reason", field="reason")
    new_name = fields.clean_name(new_name, field="new_name")
    if new_name == pn.name:
        raise InvalidInput(f"#{pn.id} is already named {new_name}", field="new_name")
    pending = open_renaming(session, pn.id)
    if pending is not None:
        raise Conflict(
            f"#{pn.id} {pn.name} already has renaming #{pending.id} to {pending.new_name} under way"
        )
    r = Renaming(
        place_name_id=pn.id,
        old_name=pn.name,
        new_name=new_name,
        romanized=romanized,
        romanized_reason=romanized_reason,
        reason=reason.strip(),
        status="proposed",
        author=actor,
    )
    session.add(r)
    flush_or_conflict(session, f"{WHAT} of {pn.name}")
    history.record(session, actor=actor, action="insert", obj=r, reason=reason)
    return r


def findings(session: Session, r: Renaming) -> list[rules.Finding]:
    """The rule findings of the proposed new name."""
    pn = store.get(session, r.place_name_id)
    return store.check(
        session,
        name=r.new_name,
        category_code=pn.category_code,
        division_code=pn.division_code,
        self_id=pn.id,
    )


def review(
    session: Session, renaming_id: int, *, actor: str, expected_version: int | None = None
) -> Renaming:
    """Start the review (审核) of a proposed renaming."""
    return _step(session, renaming_id, "review", actor, expected_version)


def approve(
    session: Session,
    renaming_id: int,
    *,
    actor: str,
    authority: str,
    document: str,
    approval_date: date,
    justification: str | None = None,
    expected_version: int | None = None,
) -> Renaming:
    """Approve (批准) a renaming with its own authority, document and date; rule findings may refuse it."""
    if not authority or not authority.strip():
        raise InvalidInput("an approval names its authority", field="authority")
    if not document or not document.strip():
        raise InvalidInput("an approval names its document", field="document")
    r = get_for_update(session, Renaming, renaming_id, expected_version, what=WHAT)
    store._enforce(findings(session, r), justification, action="approve the renaming", field="new_name")
    r.approving_authority = fields.limit(authority.strip(), 100, "authority")
    r.approval_doc_no = fields.limit(document.strip(), 100, "document")
    r.approval_date = approval_date
    r.justification = justification
    return _step(session, renaming_id, "approve", actor, None, r=r)


def announce(
    session: Session,
    renaming_id: int,
    *,
    actor: str,
    announcement_date: date,
    document: str | None = None,
    expected_version: int | None = None,
) -> tuple[Renaming, PlaceName]:
    """Announce (公告) an approved renaming: the place takes the new name with this approval."""
    require_actor(actor)
    r = get_for_update(session, Renaming, renaming_id, expected_version, what=WHAT)
    if r.status != "approved":
        raise InvalidInput(f"renaming #{r.id} is {r.status}, not approved", field="status")
    before = history.snapshot(r)
    pn = store.rename(
        session,
        r.place_name_id,
        actor=actor,
        new_name=r.new_name,
        reason=r.reason,
        document=r.approval_doc_no,
        effective=announcement_date,
        justification=r.justification or "approved renaming",
        romanized=r.romanized,
        romanized_reason=r.romanized_reason,
        approval=(r.approving_authority, r.approval_doc_no, r.approval_date, announcement_date),
    )
    r.status = "announced"
    r.announcement_date = announcement_date
    r.announcement_doc = fields.limit(document, 200, "document")
    r.author = actor
    flush_or_conflict(session, r)
    history.record(session, actor=actor, action="update", obj=r, before=before, document=document)
    return r, pn


def open_renaming(session: Session, place_id: int) -> Renaming | None:
    """The renaming of ``place_id`` under way, if any."""
    return session.scalars(
        select(Renaming).where(Renaming.place_name_id == place_id, Renaming.status.in_(_OPEN))
    ).first()


def renamings_of(session: Session, place_id: int) -> list[Renaming]:
    """Every renaming of ``place_id``, oldest first."""
    return list(
        session.scalars(select(Renaming).where(Renaming.place_name_id == place_id).order_by(Renaming.id))
    )


def listing(session: Session, *, statuses: tuple[str, ...] | list[str] | None = None) -> list[dict]:
    """Renamings as plain data, oldest first, with the place's current name and category.

    ``statuses`` selects by status (default: those in progress, :data:`IN_PROGRESS`); an unknown
    status is refused with :class:`gis.errors.InvalidInput`.
    """
    wanted = tuple(statuses) if statuses else IN_PROGRESS
    unknown = sorted(set(wanted) - set(STATUSES))
    if unknown:
        raise InvalidInput(
            f"unknown renaming status {', '.join(unknown)}; one of {', '.join(STATUSES)}", field="status"
        )
    rows = session.execute(
        select(Renaming, PlaceName.name, PlaceName.category_code, PlaceName.division_code)
        .join(PlaceName, PlaceName.id == Renaming.place_name_id)
        .where(Renaming.status.in_(wanted))
        .order_by(Renaming.id)
    ).all()
    return [_with_place(to_dict(r), name, category, division) for r, name, category, division in rows]


def details(session: Session, renaming_id: int) -> dict:
    """One renaming as plain data with its place and, while in progress, the new name's rule findings."""
    r = get(session, renaming_id)
    pn = store.get(session, r.place_name_id)
    out = _with_place(to_dict(r), pn.name, pn.category_code, pn.division_code)
    in_progress = r.status in IN_PROGRESS
    out["findings"] = [f.to_dict() for f in findings(session, r)] if in_progress else []
    return out


def get(session: Session, renaming_id: int) -> Renaming:
    """The renaming ``renaming_id`` or :class:`gis.errors.NotFound`."""
    return get_or_raise(session, Renaming, renaming_id, what=WHAT)


def to_dict(r: Renaming) -> dict:
    """A renaming as plain data."""
    out = history.snapshot(r)
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in out.items()}


def _with_place(out: dict, name: str, category: str, division: str | None) -> dict:
    out["place_name"] = name
    out["category_code"] = category
    out["division_code"] = division
    return out


def _step(
    session: Session,
    renaming_id: int,
    step: str,
    actor: str,
    expected_version: int | None,
    *,
    r: Renaming | None = None,
) -> Renaming:
    require_actor(actor)
    r = r or get_for_update(session, Renaming, renaming_id, expected_version, what=WHAT)
    want, to = _NEXT[step]
    if r.status != want:
        raise InvalidInput(f"renaming #{r.id} is {r.status}; {step} needs {want}", field="status")
    before = history.snapshot(r)
    r.status = to
    r.author = actor
    flush_or_conflict(session, r)
    history.record(session, actor=actor, action="update", obj=r, before=before)
    return r
