"""Sign maintenance work orders: report, assign, repair or replace, close with a photo; sign history."""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import date
from typing import Any

from geoalchemy2.shape import from_shape
from geoalchemy2.shape import to_shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from gis import contracts
from gis.contracts import check
from gis.crs import STORAGE_SRID
from gis.errors import InvalidInput
from gis.history import record
from gis.history import snapshot
from gis.models import AuditLog
from gis.models import utcnow
from gis.rows import check_version
from gis.rows import flush_or_conflict
from gis.rows import get_or_raise
from placenames.models import FormerName
from placenames.models import PlaceName
from placenames.models import Sign
from placenames.models import WorkOrder
from placenames.signs.photos import check_photo
from placenames.signs.photos import save_photo
from placenames.signs.store import get_sign
from placenames.signs.store import sign_point
from placenames.signs.store import standard_face
from placenames.signs.store import update_sign

REASONS = ("damaged", "missing", "wrong_text", "renamed", "other")
STATUSES = ("open", "assigned", "done", "closed", "rejected")
#: Step → (statuses it may start from, status it leads to).
#: What a work order's texts accept (its reason, contact, assignee; the notes its history keeps).
WORK_ORDER_CONTRACTS = {
    "reason": contracts.choice(REASONS, required=True),
    "description": contracts.text(2000, multiline=True),
    "reporter_contact": contracts.of(WorkOrder, "reporter_contact"),
    "assignee": contracts.of(WorkOrder, "assignee"),
    "note": contracts.text(2000, multiline=True),
    "reject_reason": contracts.text(500),
}

TRANSITIONS = {
    "assign": (("open", "assigned"), "assigned"),
    "resolve": (("assigned",), "done"),
    "close": (("done",), "closed"),
    "reject": (("open", "assigned"), "rejected"),
}


# -- work orders ------------------------------------------------------------------------------------


def report(
    session: Session,
    *,
    actor: str,
    reason: str,
    description: str | None = None,
    sign_id: int | None = None,
    lon: float | None = None,
    lat: float | None = None,
    reporter_contact: str | None = None,
    photos: Iterable[bytes] = (),
    public: bool = False,
    instance_dir: str | os.PathLike[str] | None = None,
) -> WorkOrder:
    """Open a work order for a damaged, missing or wrong sign.

    A report from the public (``public=True``) needs a location, a description and a photo;
    an officer's report needs a sign or a location. Every input is validated before anything
    is written (photos are checked first, stored content-addressed).
    """
    if reason not in REASONS:
        raise InvalidInput(f"reason {str(reason)[:20]!r} is not one of {', '.join(REASONS)}", field="reason")
    text = check(WORK_ORDER_CONTRACTS["description"], description, field="description")
    contact = check(WORK_ORDER_CONTRACTS["reporter_contact"], reporter_contact, field="reporter_contact")
    photos = list(photos)
    for i, data in enumerate(photos, 1):
        try:
            check_photo(data)
        except InvalidInput as exc:
            raise InvalidInput(f"photo {i}: {exc}", field="photo", row=i) from None
    point = sign_point({"lon": lon, "lat": lat}) if lon is not None or lat is not None else None
    if public:
        missing = [
            what
            for what, value in (("location", point), ("description", text), ("photo", photos))
            if not value
        ]
        if missing:
            raise InvalidInput(f"a public report needs {', '.join(missing)}", field=missing[0])
    sign = get_sign(session, sign_id) if sign_id is not None else None
    if sign is None and point is None:
        raise InvalidInput("a report needs the sign or its location", field="sign_id")
    if point is None:
        point = to_shape(sign.geom)
    stored = [save_photo(data, instance_dir=instance_dir) for data in photos]
    order = WorkOrder(
        sign_id=sign.id if sign else None,
        reason=reason,
        reported_by=actor,
        reporter_contact=contact,
        description=text,
        status="open",
        photos=stored,
        history=[_event(actor, "reported", note=text, photos=stored, public=public)],
        geom=from_shape(point, srid=STORAGE_SRID),
        author=actor,
        source="public" if public else "manual",
    )
    session.add(order)
    session.flush()
    record(session, actor=actor, action="create", obj=order, reason=f"report: {reason}")
    return order


def assign(
    session: Session, order_id: int, *, actor: str, assignee: str, expected_version: int | None = None
) -> WorkOrder:
    """Assign a work order to a maintainer."""
    order, before = _step(session, order_id, "assign", expected_version)
    who = check(WORK_ORDER_CONTRACTS["assignee"], assignee, field="assignee")
    if not who:
        raise InvalidInput("an assignee is needed", field="assignee")
    order.assignee = who
    return _finish(session, order, before, actor, "assigned", note=f"assigned to {who}")


def resolve(
    session: Session,
    order_id: int,
    *,
    actor: str,
    action: str,
    note: str | None = None,
    photos: Iterable[bytes] = (),
    sign_changes: dict[str, Any] | None = None,
    expected_version: int | None = None,
    instance_dir: str | os.PathLike[str] | None = None,
) -> WorkOrder:
    """Record the repair (``action='repaired'``) or replacement (``'replaced'``) of the sign.

    The sign becomes ``good`` and inspected today; a replacement also sets the install date. A
    repair or replacement for a ``renamed`` order puts the current standard name on the sign (Chinese,
    romanization, Mongolian where the name has one); ``sign_changes`` may set other text.
    """
    order, before = _step(session, order_id, "resolve", expected_version)
    if action not in ("repaired", "replaced"):
        raise InvalidInput("action must be 'repaired' or 'replaced'", field="action")
    text = check(WORK_ORDER_CONTRACTS["note"], note, field="note")
    photos = list(photos)
    for data in photos:
        check_photo(data)
    if order.sign_id is not None:
        sign = get_sign(session, order.sign_id)
        changes: dict[str, Any] = {
            "condition": "good",
            "last_inspected": date.today(),
            **(sign_changes or {}),
        }
        if action == "replaced":
            changes.setdefault("install_date", date.today())
        if order.reason == "renamed":
            changes = {**_renamed_face(session, sign), **changes}
        update_sign(
            session,
            sign.id,
            actor=actor,
            changes=changes,
            expected_version=None,
            reason=f"work order {order.id}: {action}",
        )
    stored = [save_photo(data, instance_dir=instance_dir) for data in photos]
    order.photos = [*order.photos, *stored]
    return _finish(session, order, before, actor, action, note=text, photos=stored)


def close(
    session: Session,
    order_id: int,
    *,
    actor: str,
    photo: bytes | None,
    note: str | None = None,
    expected_version: int | None = None,
    instance_dir: str | os.PathLike[str] | None = None,
) -> WorkOrder:
    """Close a resolved work order; a photo of the finished sign is required."""
    order, before = _step(session, order_id, "close", expected_version)
    if not photo:
        raise InvalidInput("closing a work order needs a photo of the finished sign", field="photo")
    check_photo(photo)
    text = check(WORK_ORDER_CONTRACTS["note"], note, field="note")
    stored = save_photo(photo, instance_dir=instance_dir)
    order.photos = [*order.photos, stored]
    if order.sign_id is not None:
        sign = get_sign(session, order.sign_id)
        sign_before = snapshot(sign)
        sign.photos = [*(sign.photos or []), stored]
        flush_or_conflict(session, sign)
        record(
            session,
            actor=actor,
            action="update",
            obj=sign,
            before=sign_before,
            reason=f"work order {order.id} closed",
        )
    return _finish(session, order, before, actor, "closed", note=text, photos=[stored])


def reject(
    session: Session, order_id: int, *, actor: str, reason: str, expected_version: int | None = None
) -> WorkOrder:
    """Reject a report (duplicate, not a sign problem, ...) with a reason."""
    order, before = _step(session, order_id, "reject", expected_version)
    text = check(WORK_ORDER_CONTRACTS["reject_reason"], reason, field="reason")
    if not text:
        raise InvalidInput("rejecting a report needs a reason", field="reason")
    return _finish(session, order, before, actor, "rejected", note=text)


def work_list_for_renaming(
    session: Session,
    *,
    place_name_id: int,
    actor: str,
    old_names: Iterable[str] = (),
    reason: str | None = None,
    district_code: str | None = None,
) -> list[WorkOrder]:
    """After a renaming, open a ``renamed`` work order for every sign still showing an old name.

    The names store calls this when a name changes. Signs linked to the place whose Chinese
    text differs from the current name, and unlinked signs showing one of ``old_names`` (in
    ``district_code``'s district when given), are listed; a sign that already has an unfinished
    ``renamed`` order is not listed twice.
    """
    place = get_or_raise(session, PlaceName, place_name_id)
    olds = {n for n in old_names if n and n != place.name}
    linked = select(Sign).where(Sign.place_name_id == place_name_id, Sign.text_zh != place.name)
    signs = list(session.scalars(linked))
    if olds:
        unlinked = select(Sign).where(Sign.place_name_id.is_(None), Sign.text_zh.in_(olds))
        if district_code:
            unlinked = unlinked.where(Sign.division_code.like(district_code[:6] + "%"))
        signs += list(session.scalars(unlinked))
    busy = set(
        session.scalars(
            select(WorkOrder.sign_id).where(
                WorkOrder.reason == "renamed", WorkOrder.status.in_(("open", "assigned", "done"))
            )
        )
    )
    orders = []
    for sign in sorted({s.id: s for s in signs}.values(), key=lambda s: s.id):
        if sign.id in busy:
            continue
        note = f"sign shows {sign.text_zh}, the standard name is now {place.name}"
        order = WorkOrder(
            sign_id=sign.id,
            reason="renamed",
            reported_by=actor,
            description=note,
            status="open",
            photos=[],
            history=[_event(actor, "reported", note=note)],
            geom=sign.geom,
            author=actor,
        )
        session.add(order)
        orders.append(order)
    session.flush()
    for order in orders:
        record(
            session,
            actor=actor,
            action="create",
            obj=order,
            reason=reason or f"renaming of place {place_name_id}",
        )
    return orders


def orders(session: Session, *, status: str | None = None, sign_id: int | None = None) -> list[dict]:
    """Work orders (newest first) as dicts with lon/lat."""
    q = select(WorkOrder)
    if status:
        q = q.where(WorkOrder.status == status)
    if sign_id is not None:
        q = q.where(WorkOrder.sign_id == sign_id)
    out = []
    for order in session.scalars(q.order_by(WorkOrder.id.desc())):
        point = to_shape(order.geom) if order.geom is not None else None
        out.append(
            {
                "id": order.id,
                "sign_id": order.sign_id,
                "reason": order.reason,
                "status": order.status,
                "reported_by": order.reported_by,
                "assignee": order.assignee,
                "description": order.description,
                "photos": order.photos,
                "history": order.history,
                "version": order.version,
                "lon": point.x if point else None,
                "lat": point.y if point else None,
            }
        )
    return out


def sign_history(session: Session, sign_id: int) -> list[dict]:
    """Every recorded change of a sign and of its work orders, oldest first."""
    get_sign(session, sign_id)
    order_ids = [str(i) for i in session.scalars(select(WorkOrder.id).where(WorkOrder.sign_id == sign_id))]
    q = select(AuditLog).where(
        ((AuditLog.table_name == "sign") & (AuditLog.row_key == str(sign_id)))
        | ((AuditLog.table_name == "work_order") & AuditLog.row_key.in_(order_ids))
    )
    return [
        {
            "at": e.at,
            "actor": e.actor,
            "action": e.action,
            "table": e.table_name,
            "row": e.row_key,
            "reason": e.reason,
            "changes": _changes(e.before, e.after),
        }
        for e in session.scalars(q.order_by(AuditLog.at, AuditLog.id))
    ]


def _renamed_face(session: Session, sign: Sign) -> dict[str, Any]:
    """The standard name's text lines for a sign left showing an old name (linked, or by former name)."""
    place = session.get(PlaceName, sign.place_name_id) if sign.place_name_id is not None else None
    if place is None:
        owners = set(session.scalars(select(FormerName.place_name_id).where(FormerName.name == sign.text_zh)))
        if len(owners) != 1:
            return {}
        place = session.get(PlaceName, owners.pop())
    face = standard_face(place)
    return {k: v for k, v in face.items() if v is not None or k != "text_mongolian"}


def _step(session: Session, order_id: int, step: str, expected_version: int | None) -> tuple[WorkOrder, dict]:
    order = get_or_raise(session, WorkOrder, order_id)
    check_version(order, expected_version)
    allowed, _ = TRANSITIONS[step]
    if order.status not in allowed:
        raise InvalidInput(f"work order {order.id} is {order.status}: cannot {step} it", field="status")
    return order, snapshot(order)


def _finish(
    session: Session, order: WorkOrder, before: dict, actor: str, action: str, **event: Any
) -> WorkOrder:
    step = {
        "assigned": "assign",
        "repaired": "resolve",
        "replaced": "resolve",
        "closed": "close",
        "rejected": "reject",
    }[action]
    order.status = TRANSITIONS[step][1]
    order.history = [*order.history, _event(actor, action, **event)]
    order.author = actor
    flush_or_conflict(session, order)
    record(session, actor=actor, action="update", obj=order, before=before, reason=action)
    return order


def _event(actor: str, action: str, **extra: Any) -> dict[str, Any]:
    return {
        "at": utcnow().isoformat(timespec="seconds"),
        "actor": actor,
        "action": action,
        **{k: v for k, v in extra.items() if v not in (None, [], "")},
    }


def _changes(before: dict | None, after: dict | None) -> dict:
    before, after = before or {}, after or {}
    return {
        k: [before.get(k), after.get(k)]
        for k in sorted(set(before) | set(after))
        if k not in ("version", "updated_at") and before.get(k) != after.get(k)
    }
