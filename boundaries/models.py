"""Tables for divisions, boundary lines, markers, joint inspections, smart-marker telemetry and disputes."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from datetime import datetime
from types import MappingProxyType

from sqlalchemy import JSON
from sqlalchemy import BigInteger
from sqlalchemy import CheckConstraint
from sqlalchemy import Date
from sqlalchemy import DateTime
from sqlalchemy import Float
from sqlalchemy import ForeignKey
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from gis import contracts
from gis.models import Base
from gis.models import Tracked
from gis.models import geometry

DIVISION_LEVELS = ("province", "city", "district", "town", "community", "village")


class Division(Base, Tracked):
    """An administrative or statistical unit, keyed by its 12-digit statistical code."""

    __tablename__ = "division"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    level: Mapped[str] = mapped_column(String(12))
    kind: Mapped[str | None] = mapped_column(String(20), nullable=True)  # 街道/镇/居委会/村委会/...
    parent_code: Mapped[str | None] = mapped_column(
        ForeignKey("division.code", ondelete="RESTRICT"), nullable=True, index=True
    )
    in_wuhai: Mapped[bool] = mapped_column(default=True)
    urban_rural: Mapped[str | None] = mapped_column(String(5), nullable=True)
    households: Mapped[int | None] = mapped_column(Integer, nullable=True)
    population: Mapped[int | None] = mapped_column(Integer, nullable=True)
    population_60plus: Mapped[int | None] = mapped_column(Integer, nullable=True)
    pinyin: Mapped[str | None] = mapped_column(String(200), nullable=True)
    valid_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    geom = geometry("MULTIPOLYGON")

    __table_args__ = (
        CheckConstraint("length(code) = 12", name="code_length"),
        CheckConstraint("level IN ('province','city','district','town','community','village')", name="level"),
        CheckConstraint("urban_rural IS NULL OR urban_rural IN ('urban','rural')", name="urban_rural"),
        CheckConstraint("households IS NULL OR households >= 0", name="households"),
        CheckConstraint("population IS NULL OR population >= 0", name="population"),
        CheckConstraint(
            "population_60plus IS NULL OR population IS NULL OR population_60plus <= population",
            name="population_60plus",
        ),
    )


class DivisionEvent(Base, Tracked):
    """A dated change of a division: created, renamed, merged, split, abolished."""

    __tablename__ = "division_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_date: Mapped[date] = mapped_column(Date)
    event: Mapped[str] = mapped_column(String(12))
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    old_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    new_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    related_codes: Mapped[list] = mapped_column(JSON, default=list)
    document: Mapped[str | None] = mapped_column(String(200), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (
        CheckConstraint(
            "event IN ('created','renamed','merged','split','abolished','recoded','reshaped')",
            name="event",
        ),
    )


class BoundaryLine(Base, Tracked):
    """An administrative boundary line between two units (derived from their shared edge)."""

    __tablename__ = "boundary_line"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(12))
    left_code: Mapped[str] = mapped_column(String(12))
    left_name: Mapped[str] = mapped_column(String(100))
    right_code: Mapped[str] = mapped_column(String(12))
    right_name: Mapped[str] = mapped_column(String(100))
    line_code: Mapped[str | None] = mapped_column(String(20), nullable=True, index=True)
    line_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    agreement: Mapped[str | None] = mapped_column(String(200), nullable=True)
    length_km: Mapped[float | None] = mapped_column(Float, nullable=True)
    last_inspection_year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    inspection_cycle_years: Mapped[int] = mapped_column(Integer, default=5)
    geom = geometry("MULTILINESTRING", nullable=False)

    __table_args__ = (
        CheckConstraint("level IN ('provincial','city','district')", name="level"),
        CheckConstraint("left_code <> right_code", name="distinct_parties"),
    )


class BoundaryMarker(Base, Tracked):
    """A boundary marker (界桩), numbered per GB/T 17796-2009."""

    __tablename__ = "boundary_marker"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("boundary_line.id", ondelete="RESTRICT"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    marker_type: Mapped[str] = mapped_column(String(1))
    group_key: Mapped[str | None] = mapped_column(String(24), nullable=True, index=True)
    side_code: Mapped[str | None] = mapped_column(String(12), nullable=True)
    material: Mapped[str | None] = mapped_column(String(30), nullable=True)
    elevation_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    reference_objects: Mapped[list] = mapped_column(JSON, default=list)
    photos: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(12), default="intact")
    smart: Mapped[bool] = mapped_column(default=False)
    public: Mapped[bool] = mapped_column(default=True)
    geom = geometry("POINT", nullable=False)

    __table_args__ = (
        CheckConstraint("marker_type IN ('Q','A','B','C','D','E')", name="marker_type"),
        CheckConstraint("seq > 0 AND seq < 1000", name="seq"),
        CheckConstraint(
            "status IN ('intact','damaged','moved','missing','rebuilt','planned')", name="status"
        ),
    )


class InspectionRound(Base, Tracked):
    """A joint inspection round (联检) of one boundary line."""

    __tablename__ = "inspection_round"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("boundary_line.id", ondelete="RESTRICT"), index=True)
    round_no: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    parties: Mapped[list] = mapped_column(JSON, default=list)
    start_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    end_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(12), default="planned")
    tolerance_m: Mapped[float] = mapped_column(Float, default=1.0)
    line_ids: Mapped[list] = mapped_column(JSON, default=list)
    marker_ids: Mapped[list] = mapped_column(JSON, default=list)
    segment_notes: Mapped[list] = mapped_column(JSON, default=list)
    signoffs: Mapped[list] = mapped_column(JSON, default=list)

    __table_args__ = (
        UniqueConstraint("line_id", "round_no", name="uq_inspection_round_line_round"),
        CheckConstraint("status IN ('planned','in_progress','completed')", name="status"),
    )


class InspectionRecord(Base, Tracked):
    """The finding for one marker in one inspection round."""

    __tablename__ = "inspection_record"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("inspection_round.id", ondelete="RESTRICT"), index=True)
    marker_id: Mapped[int] = mapped_column(ForeignKey("boundary_marker.id", ondelete="RESTRICT"), index=True)
    condition: Mapped[str] = mapped_column(String(12))
    inspected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    displacement_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    flagged: Mapped[bool] = mapped_column(default=False)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    photos: Mapped[list] = mapped_column(JSON, default=list)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_record.id"), nullable=True)
    measured_source: Mapped[str | None] = mapped_column(String(8), nullable=True)
    measured_elevation_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    measured_geom = geometry("POINT")

    __table_args__ = (
        CheckConstraint(
            "condition IN ('found','intact','damaged','moved','missing','rebuilt')", name="condition"
        ),
    )


class MarkerDevice(Base, Tracked):
    """A smart marker's telemetry device and its hashed token."""

    __tablename__ = "marker_device"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_id: Mapped[str] = mapped_column(String(40), unique=True)
    marker_id: Mapped[int] = mapped_column(ForeignKey("boundary_marker.id", ondelete="RESTRICT"), index=True)
    token_hash: Mapped[str] = mapped_column(String(128))
    active: Mapped[bool] = mapped_column(default=True)
    last_seen: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    #: The highest message sequence number accepted from the device (replays and reordering are refused).
    last_seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class MarkerTelemetry(Base):
    """One telemetry message from a smart marker (append-only; unique per device and time)."""

    __tablename__ = "marker_telemetry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_id: Mapped[str] = mapped_column(String(40))
    ts: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    tilt_deg: Mapped[float | None] = mapped_column(Float, nullable=True)
    battery_pct: Mapped[float | None] = mapped_column(Float, nullable=True)
    vibration: Mapped[float | None] = mapped_column(Float, nullable=True)
    displacement_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    channel: Mapped[str] = mapped_column(String(8), default="http")

    __table_args__ = (UniqueConstraint("device_id", "ts", name="uq_marker_telemetry_device_ts"),)


class TelemetryRejectCount(Base):
    """How many telemetry messages were refused, per reason (a persisted counter)."""

    __tablename__ = "telemetry_reject_count"

    reason: Mapped[str] = mapped_column(String(20), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    last_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_device: Mapped[str | None] = mapped_column(String(40), nullable=True)
    last_detail: Mapped[str | None] = mapped_column(String(200), nullable=True)


class MarkerAlarm(Base, Tracked):
    """An alarm raised by a telemetry rule; acknowledged and closed with history."""

    __tablename__ = "marker_alarm"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_id: Mapped[str] = mapped_column(String(40), index=True)
    marker_id: Mapped[int | None] = mapped_column(ForeignKey("boundary_marker.id"), nullable=True)
    rule: Mapped[str] = mapped_column(String(20))
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    state: Mapped[str] = mapped_column(String(12), default="open")
    acknowledged_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    history: Mapped[list] = mapped_column(JSON, default=list)

    __table_args__ = (
        CheckConstraint("rule IN ('tilt','displacement','silence','battery')", name="rule"),
        CheckConstraint("state IN ('open','acknowledged','closed')", name="state"),
    )


class Dispute(Base, Tracked):
    """A disputed area or line section (争议), visible only to authorised roles."""

    __tablename__ = "dispute"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    line_id: Mapped[int | None] = mapped_column(ForeignKey("boundary_line.id"), nullable=True)
    parties: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(12), default="open")
    documents: Mapped[list] = mapped_column(JSON, default=list)
    actions: Mapped[list] = mapped_column(JSON, default=list)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    geom = geometry("GEOMETRY")

    __table_args__ = (CheckConstraint("status IN ('open','negotiating','resolved','closed')", name="status"),)


#: Marker types: Q single (单立); A/B twin (同号双立); C/D/E triple (同号三立).
MARKER_TYPES = ("Q", "A", "B", "C", "D", "E")
MARKER_STATUSES = ("intact", "damaged", "moved", "missing", "rebuilt", "planned")
LINE_LEVELS = ("provincial", "city", "district")
#: A marker number (GB/T 17796): line code (4, 8 or 12 digits), 3-digit sequence, type letter.
MARKER_NUMBER_PATTERN = r"^(?P<line>\d{4}|\d{8}|\d{12})(?P<seq>\d{3})(?P<type>[QABCDE])$"
_CODE12 = contracts.division_code()

DIVISION_CONTRACTS = contracts.declare(
    Division,
    {
        "code": replace(_CODE12, required=True),
        "name": contracts.text(required=True),
        "level": contracts.choice(DIVISION_LEVELS, required=True),
        "kind": contracts.text(),
        "parent_code": _CODE12,
        "in_wuhai": contracts.Contract("bool"),
        "urban_rural": contracts.choice(("urban", "rural")),
        "households": contracts.integer(0),
        "population": contracts.integer(0),
        "population_60plus": contracts.integer(0, note="at most population"),
        "pinyin": contracts.text(),
        "valid_from": contracts.Contract("date"),
        "valid_to": contracts.Contract("date"),
    },
)
BOUNDARY_LINE_CONTRACTS = contracts.declare(
    BoundaryLine,
    {
        "code": contracts.text(required=True),
        "name": contracts.text(required=True),
        "level": contracts.choice(LINE_LEVELS, required=True),
        "left_code": contracts.text(required=True, note="not the right code"),
        "left_name": contracts.text(required=True),
        "right_code": contracts.text(required=True),
        "right_name": contracts.text(required=True),
        "line_code": contracts.text(),
        "line_name": contracts.text(),
        "agreement": contracts.text(),
        "length_km": contracts.number(0),
        "last_inspection_year": contracts.integer(1949, 2100),
        "inspection_cycle_years": contracts.integer(1, 20),
    },
)
BOUNDARY_MARKER_CONTRACTS = contracts.declare(
    BoundaryMarker,
    {
        "number": contracts.text(required=True, note="GB/T 17796 form, checked against its line when added"),
        "line_id": contracts.integer(1, required=True),
        "seq": contracts.integer(1, 999, required=True),
        "marker_type": contracts.choice(MARKER_TYPES, required=True),
        "group_key": contracts.text(),
        "side_code": contracts.text(),
        "material": contracts.text(),
        "elevation_m": contracts.number(-100, 9000),
        "reference_objects": contracts.Contract("list", note="objects with name, bearing_deg, distance_m"),
        "status": contracts.choice(MARKER_STATUSES),
        "smart": contracts.Contract("bool"),
        "public": contracts.Contract("bool"),
    },
    managed=("photos",),
)
#: Texts inspection rounds and disputes keep in their lists (parties, segment notes, sign-offs,
#: actions, documents) and the free texts of their forms.
ROUND_CONTRACTS = MappingProxyType(
    {
        "parties": contracts.text(500, multiline=True, note="one party a line"),
        "title": contracts.of(InspectionRound, "title"),
        "round_no": contracts.integer(1),
        "tolerance_m": contracts.number(0),
        "segment": contracts.text(60),
        "segment_note": contracts.text(1000, multiline=True),
        "party": contracts.text(100),
        "signer": contracts.text(60),
        "condition": contracts.of(InspectionRecord, "condition"),
        "notes": contracts.text(2000, multiline=True),
        "supersedes_id": contracts.integer(1),
        "alarm_note": contracts.text(500, multiline=True),
    }
)
DISPUTE_CONTRACTS = MappingProxyType(
    {
        "title": contracts.of(Dispute, "title"),
        "description": contracts.text(4000, multiline=True),
        "parties": contracts.text(1000, multiline=True, note="one party a line"),
        "action": contracts.text(500, multiline=True),
        "outcome": contracts.text(500, multiline=True),
        "reason": contracts.text(500, multiline=True),
        "status": contracts.text(20),
        "document": contracts.text(200),
    }
)
MARKER_FORM_CONTRACTS = MappingProxyType(
    {
        "justification": contracts.text(1000, multiline=True),
        "reason": contracts.text(200),
    }
)
