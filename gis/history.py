"""Recording writes in the audit log: who, when, what changed and why."""

from __future__ import annotations

import zlib
from datetime import date
from datetime import datetime
from typing import Any

from geoalchemy2.elements import WKBElement
from geoalchemy2.elements import WKTElement
from geoalchemy2.shape import to_shape
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from gis.errors import require_actor
from gis.models import AuditLog

_SKIP = {"created_at", "updated_at"}
_GENERATION = "SELECT max(id), max(at) FROM audit_log"
#: Columns never copied into the audit log (secrets stay in their own table only).
_SECRET_SUFFIXES = ("password_hash", "token_hash", "_secret")


def snapshot(obj: Any) -> dict[str, Any]:
    """A JSON-ready dict of a mapped object's column values (geometry as WKT)."""
    state = inspect(obj)
    out: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        if attr.key in _SKIP:
            continue
        if attr.key.endswith(_SECRET_SUFFIXES):
            out[attr.key] = "(hidden)" if getattr(obj, attr.key) else None
            continue
        value = getattr(obj, attr.key)
        out[attr.key] = _jsonable(value)
    return out


def row_key(obj: Any) -> str:
    """The primary key of a mapped object as text."""
    identity = inspect(obj).identity
    if identity is None:
        pk = inspect(obj).mapper.primary_key
        return "/".join(str(getattr(obj, c.key)) for c in pk)
    return "/".join(str(v) for v in identity)


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, list[Any]]:
    """Changed keys as ``{key: [old, new]}``."""
    before = before or {}
    after = after or {}
    return {
        k: [before.get(k), after.get(k)]
        for k in sorted(set(before) | set(after))
        if k != "version" and before.get(k) != after.get(k)
    }


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    obj: Any,
    before: dict[str, Any] | None = None,
    reason: str | None = None,
    document: str | None = None,
) -> AuditLog:
    """Append an audit-log entry for a write of ``obj`` (call after ``session.flush()``)."""
    require_actor(actor)
    after = None if action == "delete" else snapshot(obj)
    entry = AuditLog(
        actor=actor,
        action=action,
        table_name=inspect(obj).mapper.local_table.name,
        row_key=row_key(obj),
        before=before,
        after=after,
        reason=reason,
        document=document,
    )
    session.add(entry)
    return entry


def _jsonable(value: Any) -> Any:
    if isinstance(value, WKBElement | WKTElement):
        return to_shape(value).wkt
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def generation(bind: Session | Connection) -> str:
    """The data generation: id and time of the latest audit entry (``"0"`` before any write).

    Every write is recorded in ``audit_log`` in the writer's transaction, so the value moves
    whenever committed data changes, whichever process wrote; caches of derived results (OGC
    API pages, products on disk, the map's initial view) key on it. The time tells apart two
    databases that reached the same id (a reload). Two index lookups on both backends.
    """
    conn = bind.connection() if isinstance(bind, Session) else bind
    last_id, last_at = conn.exec_driver_sql(_GENERATION).one()
    if last_id is None:
        return "0"
    return f"{int(last_id)}-{zlib.crc32(str(last_at).encode()):08x}"
