"""Smart-marker telemetry ingest: authenticate, validate, refuse and count bad messages, store the rest.

Every message carries the device's monotonic sequence number ``seq``; a message whose ``seq`` is
not above the highest accepted from its device is a replay (same number) or out of order (lower),
whatever its timestamp. A device that can sign adds ``sig``, the hex HMAC-SHA256 of the message's
canonical JSON (:func:`canonical`) keyed with the SHA-256 digest of its token.

The web app's endpoint (``webmap/telemetry_bp.py``) and ``wuhai-gis boundaries telemetry ingest`` call
:func:`receive`, which commits; the MQTT subscriber calls :func:`ingest` and commits itself.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
import secrets
from collections import Counter
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from types import MappingProxyType

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from boundaries.alarms import AlarmRules
from boundaries.alarms import check_message
from boundaries.alarms import raise_alarm
from boundaries.models import BoundaryMarker
from boundaries.models import MarkerDevice
from boundaries.models import MarkerTelemetry
from boundaries.models import TelemetryRejectCount
from gis import contracts
from gis.crs import METRIC_SRID
from gis.crs import STORAGE_SRID
from gis.crs import WUHAI_EXTENT
from gis.crs import transformer
from gis.dialects import dialect_name
from gis.errors import Conflict
from gis.errors import DomainError
from gis.errors import Forbidden
from gis.errors import InvalidInput
from gis.errors import NotFound
from gis.history import record
from gis.history import snapshot
from gis.rows import flush_or_conflict
from gis.rows import get_or_raise

REASONS = ("malformed", "unauthenticated", "out_of_range", "replay", "out_of_order", "too_many")
REQUIRED = ("device_id", "seq", "ts", "lon", "lat", "tilt_deg", "battery_pct")
OPTIONAL = ("vibration", "sig")
MAX_SEQ = 2**63 - 1
MAX_BATCH = 1000
#: Messages older than this (device clock, buffered uploads) are refused as out of range.
MAX_AGE = timedelta(days=30)
MAX_CLOCK_SKEW = timedelta(minutes=5)
#: What each field of a telemetry message accepts, checked alike for the HTTP endpoint, the MQTT
#: subscriber and ``boundaries telemetry ingest`` (:func:`ingest`). A device id or sequence number
#: that breaks its contract is counted as ``malformed``, a number outside its range as ``out_of_range``.
TELEMETRY_CONTRACTS = MappingProxyType(
    {
        "device_id": contracts.text(
            40,
            required=True,
            pattern=r"^[\w-]{1,40}$",
            says="1–40 letters, digits, '-' or '_'",
            note="a registered, active device",
        ),
        "ts": contracts.text(
            required=True,
            note="ISO 8601 with a time zone, or epoch seconds; not more than 5 minutes ahead, not older than 30 days",
        ),
        "seq": contracts.integer(
            0, MAX_SEQ, required=True, note="rising with every message the device sends (gaps allowed)"
        ),
        "lon": contracts.number(WUHAI_EXTENT[0], WUHAI_EXTENT[2], required=True, note="inside Wuhai"),
        "lat": contracts.number(WUHAI_EXTENT[1], WUHAI_EXTENT[3], required=True, note="inside Wuhai"),
        "tilt_deg": contracts.number(0, 90, required=True),
        "battery_pct": contracts.number(0, 100, required=True),
        "vibration": contracts.number(0, 1000),
        "sig": contracts.text(
            64,
            pattern=r"^[0-9a-fA-F]{64}$",
            says="64 hex digits",
            note="the HMAC-SHA256 of the message's canonical JSON (the object without `sig` — and without"
            " `token` over MQTT —, keys sorted, no spaces, UTF-8) keyed with the SHA-256 digest of the device token",
        ),
    }
)
_DUMMY_HASH = "sha256:" + "0" * 64


@dataclass
class IngestResult:
    """What happened to one request: stored messages, refusals by reason, alarms raised."""

    accepted: int = 0
    refused: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    alarms: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.refused

    @property
    def http_status(self) -> int:
        """Suggested HTTP status: 200 if anything was stored, else by the (first) refusal reason."""
        if self.accepted:
            return 200
        for reason, status in (
            ("unauthenticated", 401),
            ("too_many", 413),
            ("malformed", 400),
            ("out_of_range", 422),
            ("replay", 409),
            ("out_of_order", 409),
        ):
            if self.refused.get(reason):
                return status
        return 400

    def as_dict(self) -> dict:
        return {
            "accepted": self.accepted,
            "refused": dict(self.refused),
            "errors": self.errors[:20],
            "alarms": self.alarms,
        }


def hash_token(token: str) -> str:
    """The stored form of a device token (tokens are 256-bit random, so a plain SHA-256 suffices)."""
    return "sha256:" + hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(session: Session, *, actor: str, device_id: str) -> str:
    """Give a device a new random token (returned once, stored hashed); the old one stops working."""
    device = session.scalar(select(MarkerDevice).where(MarkerDevice.device_id == device_id))
    if device is None:
        raise NotFound(f"no device {device_id[:40]!r}", field="device_id")
    before = snapshot(device)
    token = secrets.token_urlsafe(32)
    device.token_hash = hash_token(token)
    flush_or_conflict(session, f"device {device_id}")
    record(session, actor=actor, action="update", obj=device, before=before, reason="token rotated")
    return token


def register_device(
    session: Session,
    *,
    actor: str,
    device_id: str,
    marker_id: int,
    token: str | None = None,
    source: str = "manual",
) -> tuple[MarkerDevice, str]:
    """Attach a telemetry device to a marker; returns the device and its token (shown once)."""
    if not device_id or len(device_id) > 40 or not device_id.replace("-", "").replace("_", "").isalnum():
        raise InvalidInput(
            f"device id must be 1–40 letters, digits, '-' or '_', got {str(device_id)[:40]!r}",
            field="device_id",
        )
    marker = get_or_raise(session, BoundaryMarker, marker_id, what="boundary marker")
    token = token or secrets.token_urlsafe(32)
    device = MarkerDevice(
        device_id=device_id, marker_id=marker_id, token_hash=hash_token(token), author=actor, source=source
    )
    session.add(device)
    if not marker.smart:
        marker.smart = True
    flush_or_conflict(session, f"device {device_id}")
    record(session, actor=actor, action="insert", obj=device)
    return device, token


def ingest(
    session: Session,
    payload,
    *,
    token: str,
    channel: str = "http",
    now: datetime | None = None,
    rules: AlarmRules | None = None,
) -> IngestResult:
    """Validate and store one message (a dict) or a batch (a list of dicts from one device).

    Each message is checked for schema, ranges, the device's token (hash compared in constant time),
    its signature when it has one, and its sequence number (above the device's last accepted one,
    increasing through the batch; the device row is locked, or compared and set, so that two
    requests cannot both pass) and timestamp (a unique constraint). Refused messages are
    counted per reason in ``telemetry_reject_count``; none is stored. Messages over an alarm
    threshold raise an alarm. The session is flushed, not committed.

    Parameters
    ----------
    session
        Open session; the caller commits.
    payload
        A message dict or a list of them.
    token
        The device token presented with the request (header or MQTT payload).
    channel
        ``'http'`` or ``'mqtt'``.

    Returns
    -------
    IngestResult
    """
    now = now or datetime.now(UTC)
    rules = rules or AlarmRules()
    result = IngestResult()
    messages = payload if isinstance(payload, list) else [payload]
    if not messages or len(messages) > MAX_BATCH:
        result.refused["too_many" if messages else "malformed"] += max(len(messages), 1)
        result.errors.append(f"a batch holds 1–{MAX_BATCH} messages, got {len(messages)}")
        _count(session, result, now=now, device=None)
        return result
    valid: list[dict] = []
    for i, msg in enumerate(messages):
        parsed, reason, error = _validate(msg, now=now)
        if parsed is None:
            result.refused[reason] += 1
            result.errors.append(f"message {i}: {error}")
        else:
            valid.append(parsed)
    device_ids = {m["device_id"] for m in valid}
    devices = _devices(session, {m["device_id"] for m in valid}) if valid else {}
    presented = hash_token(token if isinstance(token, str) else "")
    authorised: list[dict] = []
    for m in valid:
        dev = devices.get(m["device_id"])
        good = hmac.compare_digest(presented, dev.token_hash if dev is not None else _DUMMY_HASH)
        if dev is None or not dev.active or not good:
            result.refused["unauthenticated"] += 1
            result.errors.append(f"device {m['device_id'][:40]}: unknown device or wrong token")
        elif m["sig"] is not None and not _signature_ok(m, dev.token_hash):
            result.refused["unauthenticated"] += 1
            result.errors.append(f"device {m['device_id'][:40]}: seq {m['seq']}: signature does not match")
        else:
            authorised.append(m)
    authorised = _in_sequence(session, authorised, devices, result)
    if authorised:
        _store(session, authorised, devices, result, now=now, channel=channel, rules=rules)
    _count(session, result, now=now, device=next(iter(device_ids), None))
    return result


def canonical(message: dict) -> bytes:
    """The bytes a device signs: the message without ``sig`` as compact JSON with sorted keys (UTF-8)."""
    body = {k: v for k, v in message.items() if k != "sig"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sign(message: dict, token: str) -> str:
    """The ``sig`` of a message for a device holding ``token`` (what a signing device computes)."""
    key = hashlib.sha256(token.encode("utf-8")).digest()
    return hmac.new(key, canonical(message), hashlib.sha256).hexdigest()


#: The error of a refused request, by the first refusal reason it had.
_REFUSAL_ERRORS: tuple[tuple[str, type[DomainError]], ...] = (
    ("unauthenticated", Forbidden),
    ("too_many", InvalidInput),
    ("malformed", InvalidInput),
    ("out_of_range", InvalidInput),
    ("replay", Conflict),
    ("out_of_order", Conflict),
)


def receive(
    session: Session,
    body: bytes | str | None,
    *,
    token: str | None,
    channel: str = "http",
    now: datetime | None = None,
    rules: AlarmRules | None = None,
    strict: bool = False,
) -> IngestResult:
    """Take one upload as it arrives (a JSON body and the token it was sent with) and commit it.

    The stored messages and the refusal counters are committed together, so refusals are counted
    even when nothing is stored. A request none of whose messages was stored (``strict``: any of
    whose messages was refused) then raises the error of its first refusal: :class:`Forbidden`
    for an unknown device, a wrong token or signature, :class:`Conflict` for a replay or a message
    out of order, :class:`InvalidInput` for a malformed, out-of-range or oversized body; its
    details hold the report (accepted, refused per reason, errors, alarms).
    """
    result = ingest(
        session,
        decode_body(body),
        token=token or "",
        channel=channel,
        now=now,
        rules=rules or AlarmRules.from_settings(),
    )
    session.commit()
    if not result.accepted or (strict and result.refused):
        raise refusal_error(result)
    return result


def decode_body(body: bytes | str | None) -> object:
    """A request body as JSON (``None``, counted as malformed, when it is not UTF-8 JSON)."""
    if body is None:
        return None
    try:
        return json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None


def refusal_error(result: IngestResult) -> DomainError:
    """The domain error of a request with refused messages; its details hold the report."""
    reasons = ", ".join(f"{n} {reason}" for reason, n in sorted(result.refused.items()))
    stored = f"{result.accepted} stored" if result.accepted else "nothing stored"
    for reason, kind in _REFUSAL_ERRORS:
        if result.refused.get(reason):
            first = result.errors[0] if result.errors else reason
            return kind(f"{stored} ({reasons} refused): {first}", details=[result.as_dict()])
    return InvalidInput("nothing stored: the request held no message", details=[result.as_dict()])


def reject_counts(session: Session) -> dict[str, int]:
    """Refused messages so far, per reason."""
    counts = dict.fromkeys(REASONS, 0)
    counts.update({r.reason: r.count for r in session.scalars(select(TelemetryRejectCount))})
    return counts


def telemetry_count(session: Session, *, device_id: str | None = None) -> int:
    """Stored messages (of one device or all)."""
    q = select(func.count()).select_from(MarkerTelemetry)
    if device_id:
        q = q.where(MarkerTelemetry.device_id == device_id)
    return int(session.scalar(q) or 0)


def _validate(msg, *, now: datetime) -> tuple[dict | None, str, str]:
    if not isinstance(msg, dict):
        return None, "malformed", "a message must be a JSON object"
    missing = [k for k in REQUIRED if k not in msg]
    extra = [k for k in msg if k not in REQUIRED + OPTIONAL]
    if missing or extra:
        return None, "malformed", f"missing {missing} / unknown {[str(k)[:20] for k in extra]}"
    rules = TELEMETRY_CONTRACTS
    dev = msg["device_id"]
    if not isinstance(dev, str) or not re.fullmatch(rules["device_id"].pattern, dev):
        return None, "malformed", f"device_id must be {rules['device_id'].says}"
    seq = msg["seq"]
    if isinstance(seq, bool) or not isinstance(seq, int) or contracts.number_problem(rules["seq"], seq)[0]:
        return None, "malformed", f"seq must be an integer {_span(rules['seq'])}"
    sig = msg.get("sig")
    if sig is not None and (not isinstance(sig, str) or not re.fullmatch(rules["sig"].pattern, sig)):
        return None, "malformed", "sig must be 64 hex digits (HMAC-SHA256)"
    try:
        ts = _parse_ts(msg["ts"])
    except ValueError as exc:
        return None, "malformed", str(exc)
    numbers = {}
    for k in ("lon", "lat", "tilt_deg", "battery_pct", "vibration"):
        v = msg.get(k)
        if v is None and k == "vibration":
            numbers[k] = None
            continue
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            return None, "malformed", f"{k} must be a finite number"
        numbers[k] = float(v)
    if ts > now + MAX_CLOCK_SKEW or ts < now - MAX_AGE:
        return None, "out_of_range", f"ts {ts.isoformat()} is in the future or older than {MAX_AGE.days} days"
    if any(contracts.number_problem(rules[k], numbers[k])[0] for k in ("lon", "lat")):
        return None, "out_of_range", f"position ({numbers['lon']}, {numbers['lat']}) outside the Wuhai area"
    for k in ("tilt_deg", "battery_pct", "vibration"):
        if numbers[k] is not None and contracts.number_problem(rules[k], numbers[k])[0]:
            return None, "out_of_range", f"{k} must be {_span(rules[k])}"
    signed = canonical(msg) if sig is not None else None
    return {"device_id": dev, "seq": seq, "sig": sig, "signed": signed, "ts": ts, **numbers}, "", ""


def _span(contract: contracts.Contract) -> str:
    """A contract's range as the refusal messages state it (``0–90``)."""
    return (
        f"{contract.minimum:g}–{contract.maximum:g}"
        if contract.kind == "float"
        else f"{contract.minimum}–{contract.maximum}"
    )


def _signature_ok(message: dict, token_hash: str) -> bool:
    """Whether the message's ``sig`` is the HMAC of its canonical bytes under the device's key."""
    key = bytes.fromhex(token_hash.removeprefix("sha256:"))
    expected = hmac.new(key, message["signed"], hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, message["sig"].lower())


def _in_sequence(session: Session, messages: list[dict], devices: dict, result: IngestResult) -> list[dict]:
    """The messages whose ``seq`` rises above each device's last one; moves ``last_seq`` on.

    The rest are refused as replays (the last number again) or out of order (a lower one). The
    new ``last_seq`` is compared and set, so a concurrent request that got there first turns
    this one's messages into replays rather than letting both pass.
    """
    kept: list[dict] = []
    by_device: dict[str, list[dict]] = {}
    for m in messages:
        by_device.setdefault(m["device_id"], []).append(m)
    dt = MarkerDevice.__table__
    for dev_id, msgs in by_device.items():
        old = devices[dev_id].last_seq
        last, fresh = old, []
        for m in msgs:
            if last is not None and m["seq"] <= last:
                reason = "replay" if m["seq"] == last else "out_of_order"
                result.refused[reason] += 1
                result.errors.append(
                    f"device {dev_id}: seq {m['seq']} {reason.replace('_', ' ')} (last {last})"
                )
                continue
            last = m["seq"]
            fresh.append(m)
        if not fresh:
            continue
        same = dt.c.last_seq.is_(None) if old is None else dt.c.last_seq == old
        moved = session.execute(update(dt).where(dt.c.device_id == dev_id).where(same).values(last_seq=last))
        if moved.rowcount != 1:
            result.refused["replay"] += len(fresh)
            result.errors.append(f"device {dev_id}: {len(fresh)} message(s) raced a concurrent request")
            continue
        kept.extend(fresh)
    return kept


def _parse_ts(value) -> datetime:
    if isinstance(value, bool):
        raise ValueError("ts must be an ISO 8601 time with zone or epoch seconds")
    if isinstance(value, int | float):
        if not math.isfinite(value) or not 0 < value < 4e9:
            raise ValueError("ts epoch seconds out of range")
        return datetime.fromtimestamp(value, UTC)
    if not isinstance(value, str) or len(value) > 40:
        raise ValueError("ts must be an ISO 8601 time with zone or epoch seconds")
    try:
        ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"ts {value[:40]!r} is not ISO 8601") from exc
    if ts.tzinfo is None:
        raise ValueError(f"ts {value[:40]!r} has no time zone")
    return ts.astimezone(UTC)


def _store(
    session: Session,
    messages: list[dict],
    devices: dict,
    result: IngestResult,
    *,
    now: datetime,
    channel: str,
    rules: AlarmRules,
) -> None:
    to_m = transformer(STORAGE_SRID, METRIC_SRID)
    xs = [devices[m["device_id"]].x for m in messages] + [m["lon"] for m in messages]
    ys = [devices[m["device_id"]].y for m in messages] + [m["lat"] for m in messages]
    mx, my = to_m.transform(xs, ys)
    n = len(messages)
    rows = [
        {
            **{k: v for k, v in m.items() if k not in ("seq", "sig", "signed")},
            "received_at": now,
            "displacement_m": round(math.hypot(mx[n + i] - mx[i], my[n + i] - my[i]), 3),
            "channel": channel,
        }
        for i, m in enumerate(messages)
    ]
    stored = _insert_new(session, rows)
    result.accepted += len(stored)
    replays = len(rows) - len(stored)
    if replays:
        result.refused["replay"] += replays
        result.errors.append(f"{replays} message(s) replayed (same device and ts)")
    kept = {(d, _utc(t)) for d, t in stored}
    latest: dict[str, datetime] = {}
    for r in rows:
        if (r["device_id"], r["ts"]) not in kept:
            continue
        latest[r["device_id"]] = max(latest.get(r["device_id"], r["ts"]), r["ts"])
        for rule, value in check_message(r, rules):
            dev = devices[r["device_id"]]
            alarm = raise_alarm(
                session, device_id=dev.device_id, marker_id=dev.marker_id, rule=rule, value=value, at=r["ts"]
            )
            if alarm is not None:
                result.alarms.append(alarm.id)
    dt = MarkerDevice.__table__
    for dev_id, ts in (
        latest.items() if dialect_name(session) != "postgresql" else ()
    ):  # PostGIS: done by the insert
        session.execute(
            update(dt)
            .where(dt.c.device_id == dev_id)
            .where((dt.c.last_seen.is_(None)) | (dt.c.last_seen < ts))
            .values(last_seen=ts)
        )


def _devices(session: Session, ids: set[str]) -> dict:
    """Device rows with their marker's recorded position, in one query."""
    d, m = MarkerDevice, BoundaryMarker
    q = (
        select(
            d.device_id,
            d.token_hash,
            d.active,
            d.marker_id,
            d.last_seq,
            func.ST_X(m.geom).label("x"),
            func.ST_Y(m.geom).label("y"),
        )
        .join(m, m.id == d.marker_id)
        .where(d.device_id.in_(sorted(ids)))
        .with_for_update(of=d)
    )
    return {row.device_id: row for row in session.execute(q)}


_PG_INSERT = text(
    "INSERT INTO marker_telemetry (device_id, ts, received_at, lon, lat, tilt_deg, battery_pct, vibration, "
    "displacement_m, channel) "
    "SELECT u.device_id, u.ts, :received_at, u.lon, u.lat, u.tilt_deg, u.battery_pct, u.vibration, u.displacement_m, "
    ":channel FROM unnest(CAST(:device_id AS varchar[]), CAST(:ts AS timestamptz[]), CAST(:lon AS float8[]), "
    "CAST(:lat AS float8[]), CAST(:tilt_deg AS float8[]), CAST(:battery_pct AS float8[]), CAST(:vibration AS float8[]), "
    "CAST(:displacement_m AS float8[])) AS u(device_id, ts, lon, lat, tilt_deg, battery_pct, vibration, displacement_m) "
    "ON CONFLICT (device_id, ts) DO NOTHING RETURNING device_id, ts"
)
#: The same, plus each device's ``last_seen`` moved forward in the same statement (one round trip).
_PG_INSERT_SEEN = text(
    f"WITH ins AS ({_PG_INSERT.text}), "
    "seen AS (UPDATE marker_device AS d SET last_seen = s.ts FROM "
    "(SELECT device_id, max(ts) AS ts FROM ins GROUP BY device_id) AS s "
    "WHERE d.device_id = s.device_id AND (d.last_seen IS NULL OR d.last_seen < s.ts) RETURNING d.id) "
    "SELECT device_id, ts FROM ins"
)
_COLUMNS = ("device_id", "ts", "lon", "lat", "tilt_deg", "battery_pct", "vibration", "displacement_m")


def _insert_new(session: Session, rows: list[dict]) -> list[tuple[str, datetime]]:
    """Insert the rows whose (device, ts) is new; return the keys actually stored.

    PostGIS gets one ``INSERT … SELECT FROM unnest(arrays)`` (a short statement the server can
    prepare once); SpatiaLite a multi-row ``INSERT … ON CONFLICT DO NOTHING RETURNING``.
    """
    if dialect_name(session) == "postgresql":
        params = {c: [r[c] for r in rows] for c in _COLUMNS}
        params.update(received_at=rows[0]["received_at"], channel=rows[0]["channel"])
        return [tuple(r) for r in session.execute(_PG_INSERT_SEEN, params)]
    table = MarkerTelemetry.__table__
    stmt = sqlite_insert(table).on_conflict_do_nothing(index_elements=["device_id", "ts"])
    stmt = stmt.returning(table.c.device_id, table.c.ts)
    if len(rows) == 1:
        return [tuple(r) for r in session.execute(stmt.values(rows[0]))]
    return [tuple(r) for r in session.execute(stmt, rows)]


def _utc(ts: datetime) -> datetime:
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def _count(session: Session, result: IngestResult, *, now: datetime, device: str | None) -> None:
    if not result.refused:
        return
    table = TelemetryRejectCount.__table__
    ins = pg_insert if dialect_name(session) == "postgresql" else sqlite_insert
    detail = result.errors[0][:200] if result.errors else None
    for reason, n in sorted(result.refused.items()):
        stmt = ins(table).values(reason=reason, count=n, last_at=now, last_device=device, last_detail=detail)
        stmt = stmt.on_conflict_do_update(
            index_elements=["reason"],
            set_={
                "count": table.c.count + stmt.excluded.count,
                "last_at": now,
                "last_device": device,
                "last_detail": detail,
            },
        )
        session.execute(stmt)
