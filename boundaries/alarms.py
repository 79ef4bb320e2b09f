"""Smart-marker alarm rules (tilt, displacement, silence, low battery) and the alarm life cycle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from datetime import timedelta

from sqlalchemy import and_
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from boundaries.models import MarkerAlarm
from boundaries.models import MarkerDevice
from boundaries.models import MarkerTelemetry
from gis import settings
from gis.errors import InvalidInput
from gis.history import record
from gis.history import snapshot
from gis.rows import check_version
from gis.rows import flush_or_conflict
from gis.rows import get_or_raise

SYSTEM_ACTOR = "system:telemetry"
RULES = ("tilt", "displacement", "silence", "battery")


@dataclass(frozen=True)
class AlarmRules:
    """Thresholds: tilt (degrees), displacement (m, default ``MARKER_TOLERANCE_M``), silence, battery (%)."""

    tilt_deg: float = 5.0
    displacement_m: float = float(settings.BY_NAME["MARKER_TOLERANCE_M"].default or 1.0)
    silence: timedelta = timedelta(hours=2)
    battery_pct: float = 20.0

    @classmethod
    def from_settings(cls) -> AlarmRules:
        """Rules with the displacement threshold from the ``MARKER_TOLERANCE_M`` setting."""
        return cls(displacement_m=float(settings.get("MARKER_TOLERANCE_M") or 1.0))


def check_message(msg: dict, rules: AlarmRules) -> list[tuple[str, float]]:
    """The rules one message breaks, with the offending value."""
    broken = []
    if msg.get("tilt_deg") is not None and msg["tilt_deg"] > rules.tilt_deg:
        broken.append(("tilt", msg["tilt_deg"]))
    if msg.get("displacement_m") is not None and msg["displacement_m"] > rules.displacement_m:
        broken.append(("displacement", msg["displacement_m"]))
    if msg.get("battery_pct") is not None and msg["battery_pct"] < rules.battery_pct:
        broken.append(("battery", msg["battery_pct"]))
    return broken


def raise_alarm(
    session: Session, *, device_id: str, marker_id: int | None, rule: str, value: float | None, at: datetime
) -> MarkerAlarm | None:
    """Open an alarm unless one for the same device and rule is still open or acknowledged."""
    if rule not in RULES:
        raise InvalidInput(f"alarm rule must be one of {RULES}, got {rule!r}", field="rule")
    existing = session.scalar(
        select(MarkerAlarm.id).where(
            MarkerAlarm.device_id == device_id, MarkerAlarm.rule == rule, MarkerAlarm.state != "closed"
        )
    )
    if existing is not None:
        return None
    alarm = MarkerAlarm(
        device_id=device_id,
        marker_id=marker_id,
        rule=rule,
        raised_at=at,
        value=value,
        state="open",
        history=[{"at": at.isoformat(), "state": "open", "by": SYSTEM_ACTOR, "value": value}],
        author=SYSTEM_ACTOR,
    )
    session.add(alarm)
    session.flush()
    record(session, actor=SYSTEM_ACTOR, action="insert", obj=alarm, reason=f"rule {rule}")
    return alarm


def evaluate(
    session: Session, *, now: datetime | None = None, rules: AlarmRules | None = None
) -> list[MarkerAlarm]:
    """Check every active device's latest message and its silence; open the alarms that are due."""
    now = now or datetime.now(UTC)
    rules = rules or AlarmRules()
    t = MarkerTelemetry
    latest = select(t.device_id, func.max(t.ts).label("ts")).group_by(t.device_id).subquery()
    last_rows = {
        row.device_id: row
        for row in session.execute(
            select(t.device_id, t.ts, t.tilt_deg, t.battery_pct, t.displacement_m).join(
                latest, and_(t.device_id == latest.c.device_id, t.ts == latest.c.ts)
            )
        )
    }
    raised = []
    for dev in session.scalars(
        select(MarkerDevice).where(MarkerDevice.active.is_(True)).order_by(MarkerDevice.device_id)
    ):
        row = last_rows.get(dev.device_id)
        checks: list[tuple[str, float | None]] = []
        last = _utc(row.ts) if row is not None else _utc(dev.created_at) if dev.created_at else None
        if last is not None and now - last > rules.silence:
            checks.append(("silence", round((now - last).total_seconds() / 3600.0, 2)))
        if row is not None:
            checks.extend(check_message(row._asdict(), rules))
        for rule, value in checks:
            alarm = raise_alarm(
                session, device_id=dev.device_id, marker_id=dev.marker_id, rule=rule, value=value, at=now
            )
            if alarm is not None:
                raised.append(alarm)
    return raised


def list_alarms(session: Session, *, state: str | None = None, device_id: str | None = None) -> list[dict]:
    """Alarms, newest first, optionally of one state or device."""
    q = select(MarkerAlarm).order_by(MarkerAlarm.raised_at.desc(), MarkerAlarm.id.desc())
    if state:
        q = q.where(MarkerAlarm.state == state)
    if device_id:
        q = q.where(MarkerAlarm.device_id == device_id)
    cols = [
        "id",
        "device_id",
        "marker_id",
        "rule",
        "raised_at",
        "value",
        "state",
        "acknowledged_by",
        "closed_by",
        "history",
        "version",
    ]
    return [{c: getattr(a, c) for c in cols} for a in session.scalars(q)]


def acknowledge(
    session: Session,
    *,
    actor: str,
    alarm_id: int,
    note: str | None = None,
    expected_version: int | None = None,
) -> MarkerAlarm:
    """Acknowledge an open alarm."""
    return _transition(
        session,
        actor=actor,
        alarm_id=alarm_id,
        to="acknowledged",
        allowed=("open",),
        note=note,
        expected_version=expected_version,
    )


def close(
    session: Session,
    *,
    actor: str,
    alarm_id: int,
    note: str | None = None,
    expected_version: int | None = None,
) -> MarkerAlarm:
    """Close an open or acknowledged alarm (a new breach then raises a new alarm)."""
    return _transition(
        session,
        actor=actor,
        alarm_id=alarm_id,
        to="closed",
        allowed=("open", "acknowledged"),
        note=note,
        expected_version=expected_version,
    )


def _transition(
    session: Session,
    *,
    actor: str,
    alarm_id: int,
    to: str,
    allowed: tuple[str, ...],
    note: str | None,
    expected_version: int | None,
) -> MarkerAlarm:
    alarm = get_or_raise(session, MarkerAlarm, alarm_id, what="alarm")
    check_version(alarm, expected_version, what=f"alarm {alarm.id}")
    if alarm.state not in allowed:
        raise InvalidInput(f"alarm {alarm_id} is {alarm.state}; cannot move it to {to}")
    if note is not None and (len(note) > 500 or any(ord(c) < 32 and c not in "\n\t" for c in note)):
        raise InvalidInput(f"alarm {alarm_id}: note must be at most 500 printable characters", field="note")
    before = snapshot(alarm)
    alarm.state = to
    if to == "acknowledged":
        alarm.acknowledged_by = actor
    else:
        alarm.closed_by = actor
    alarm.history = [
        *alarm.history,
        {"at": datetime.now(UTC).isoformat(), "state": to, "by": actor, "note": note},
    ]
    flush_or_conflict(session, f"alarm {alarm.id}")
    record(session, actor=actor, action="update", obj=alarm, before=before, reason=note)
    return alarm


def _utc(ts: datetime) -> datetime:
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
