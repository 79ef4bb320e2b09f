"""What a user does with boundaries, from the command line or the web: one function per act.

Each function checks the actor, does the act through the store (audit entries included) and
flushes; the front end commits and presents the result.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from datetime import date
from typing import Any

from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from boundaries import alarms
from boundaries import inspections
from boundaries import store
from boundaries import telemetry
from boundaries.divisions import get_division
from boundaries.markers import check_line_offset
from boundaries.markers import line_offset_m
from boundaries.models import BoundaryLine
from boundaries.models import BoundaryMarker
from boundaries.models import Dispute
from boundaries.models import InspectionRecord
from boundaries.models import InspectionRound
from boundaries.models import MarkerAlarm
from boundaries.models import MarkerDevice
from gis import history
from gis.errors import InvalidInput
from gis.errors import require_actor
from gis.rows import check_version
from gis.rows import flush_or_conflict
from gis.rows import geometry_of

# -- markers ------------------------------------------------------------------------------------


def add_marker(
    session: Session,
    actor: str,
    *,
    number: str,
    line_code: str,
    lon: float,
    lat: float,
    side_code: str | None = None,
    material: str | None = None,
    elevation_m: float | None = None,
    justification: str | None = None,
) -> BoundaryMarker:
    """Register a marker on the line section ``line_code`` (number checked against GB/T 17796).

    A marker farther than the tolerance from its line needs ``justification`` (kept in its history).
    """
    actor = require_actor(actor)
    line = store.line_by_code(session, line_code)
    return store.add_marker(
        session,
        actor=actor,
        number=number,
        line_id=line.id,
        lon=lon,
        lat=lat,
        side_code=side_code,
        material=material,
        elevation_m=elevation_m,
        justification=justification,
    )


def update_marker(
    session: Session,
    actor: str,
    *,
    number: str,
    expected_version: int | None = None,
    reason: str | None = None,
    **changes: Any,
) -> BoundaryMarker:
    """Change a marker's status, material, elevation, photos, reference objects or position."""
    actor = require_actor(actor)
    changes = {k: v for k, v in changes.items() if v is not None}
    if not changes:
        raise InvalidInput(f"marker {number}: nothing to change")
    return store.update_marker(
        session, actor=actor, number=number, expected_version=expected_version, reason=reason, **changes
    )


#: A marker's line, sequence, type and group follow from its number (GB/T 17796).
_MARKER_BY_NUMBER = ("line_id", "seq", "marker_type", "group_key")


def edit_marker(
    session: Session,
    actor: str,
    *,
    number: str,
    changes: Mapping[str, Any],
    expected_version: int | None,
    lon: float | None = None,
    lat: float | None = None,
    reason: str | None = None,
    justification: str | None = None,
) -> BoundaryMarker:
    """Change a marker's recorded fields (blank ones cleared) and, with ``lon``/``lat``, its position.

    The fields given by the number (line, sequence, type, group) are not changed: another number
    is another marker. A new position farther than the tolerance from the marker's line needs
    ``justification``, as when the marker is registered.
    """
    actor = require_actor(actor)
    fixed = sorted(set(changes) & set(_MARKER_BY_NUMBER))
    if fixed:
        raise InvalidInput(
            f"marker {number}: its line, sequence number, type and group follow from its number; "
            "a marker with another number is another marker",
            field=fixed[0],
        )
    marker = store.marker_by_number(session, number)
    check_version(marker, expected_version)
    values = dict(changes)
    if (lon is None) != (lat is None):
        raise InvalidInput(f"marker {number}: give both lon and lat", field="lon")
    if lon is not None:
        point = store.point_lonlat(lon, lat, what=f"marker {number}")
        line_geom = geometry_of(session.get(BoundaryLine, marker.line_id))
        if line_geom is not None:
            check_line_offset(number, line_offset_m(point, line_geom), justification=justification)
        values.update(lon=lon, lat=lat)
    if not values:
        raise InvalidInput(f"marker {number}: nothing to change")
    return store.update_marker(
        session, actor=actor, number=number, expected_version=expected_version, reason=reason, **values
    )


# -- boundary lines -----------------------------------------------------------------------------

#: Line fields an edit may change (the inspection year follows from completed rounds).
LINE_EDITABLE = (
    "name", "level", "left_code", "left_name", "right_code", "right_name", "line_code", "line_name",
    "agreement", "length_km", "inspection_cycle_years",
)  # fmt: skip


def update_line(
    session: Session,
    actor: str,
    *,
    code: str,
    changes: Mapping[str, Any],
    expected_version: int | None,
    geometry: BaseGeometry | None = None,
    reason: str | None = None,
    justification: str | None = None,
) -> BoundaryLine:
    """Correct a boundary line section's attributes or course (stale version refused, audited).

    The year of the last joint inspection is set by completing a round, not here. The line code
    of a section that has markers stays (their numbers carry it). A new course that leaves one of
    the section's markers farther than the tolerance needs ``justification``.
    """
    actor = require_actor(actor)
    line = store.line_by_code(session, code)
    check_version(line, expected_version)
    values = dict(changes)
    if "last_inspection_year" in values:
        raise InvalidInput(
            f"line {code}: the last inspection year is set by completing an inspection round "
            "(boundaries rounds complete), not by an edit",
            field="last_inspection_year",
        )
    other = sorted(set(values) - set(LINE_EDITABLE))
    if other:
        raise InvalidInput(f"line {code}: cannot change {', '.join(other)}", field=other[0])
    markers = store.markers_gdf(session, line_ids=[line.id])
    if "line_code" in values and len(markers):
        raise InvalidInput(
            f"line {code}: its {len(markers)} markers are numbered with line code {line.line_code}; "
            "the line code stays",
            field="line_code",
        )
    left = values.get("left_code", line.left_code)
    if left == values.get("right_code", line.right_code):
        raise InvalidInput(f"line {code}: the two sides must be different divisions", field="right_code")
    if geometry is not None:
        for number, point in zip(markers["number"], markers.geometry, strict=True):
            check_line_offset(number, line_offset_m(point, geometry), justification=justification)
    return _write_update(session, line, values, geometry, actor=actor, reason=reason, label=f"line {code}")


# -- divisions ----------------------------------------------------------------------------------

#: Division fields an edit may change; the name, level, parent and period change by dated events.
DIVISION_EDITABLE = (
    "kind", "in_wuhai", "urban_rural", "households", "population", "population_60plus", "pinyin",
)  # fmt: skip


def update_division(
    session: Session,
    actor: str,
    *,
    code: str,
    changes: Mapping[str, Any],
    expected_version: int | None,
    geometry: BaseGeometry | None = None,
    reason: str | None = None,
) -> Any:
    """Correct the attributes or the outline of a division's row (stale version refused, audited).

    A division's row holds one unit over its validity period (``valid_from``..``valid_to``): an
    edit corrects that row. Its name, level, parent and period change only by dated division
    events (renamed, merged, split, abolished...), which keep the history, so an edit refuses them.
    """
    actor = require_actor(actor)
    division = get_division(session, code)
    check_version(division, expected_version)
    values = dict(changes)
    dated = sorted(set(values) & {"name", "level", "parent_code", "valid_from", "valid_to"})
    if dated:
        raise InvalidInput(
            f"division {code}: {dated[0]} changes by a dated division event (renamed, merged, split, "
            "abolished...), not by an edit",
            field=dated[0],
        )
    other = sorted(set(values) - set(DIVISION_EDITABLE))
    if other:
        raise InvalidInput(f"division {code}: cannot change {', '.join(other)}", field=other[0])
    return _write_update(
        session, division, values, geometry, actor=actor, reason=reason, label=f"division {code}"
    )


def _write_update(
    session: Session, obj, values: dict, geometry, *, actor: str, reason: str | None, label: str
):
    """Write checked ``values`` and ``geometry`` onto ``obj``, flush with the version check, record history."""
    if not values and geometry is None:
        raise InvalidInput(f"{label}: nothing to change")
    before = history.snapshot(obj)
    for key, value in values.items():
        setattr(obj, key, value)
    if geometry is not None:
        obj.geom = store.to_db_geom(geometry)
    obj.author = actor
    flush_or_conflict(session, obj)
    history.record(session, actor=actor, action="update", obj=obj, before=before, reason=reason)
    return obj


# -- inspection rounds --------------------------------------------------------------------------


def create_round(
    session: Session,
    actor: str,
    *,
    line_code: str,
    round_no: int,
    title: str,
    parties: Iterable[str],
    start_date: date | None = None,
    tolerance_m: float = 1.0,
) -> InspectionRound:
    """Plan a joint inspection of a line (every section and marker of it)."""
    return inspections.create_round(
        session,
        actor=require_actor(actor),
        line_code=line_code,
        round_no=round_no,
        title=title,
        parties=[p for p in parties if p],
        start_date=start_date,
        tolerance_m=tolerance_m,
    )


def start_round(session: Session, actor: str, round_id: int) -> InspectionRound:
    """Move a planned round to in progress."""
    return inspections.set_status(
        session, actor=require_actor(actor), round_id=round_id, status="in_progress"
    )


def note_segment(
    session: Session, actor: str, round_id: int, *, segment: str, kind: str, note: str
) -> InspectionRound:
    """Note a change found along a segment of the round's line."""
    return inspections.add_segment_note(
        session, actor=require_actor(actor), round_id=round_id, segment=segment, kind=kind, note=note
    )


def sign_round(
    session: Session, actor: str, round_id: int, *, party: str, signer: str, on: date
) -> InspectionRound:
    """Record a party's signature on the round's results."""
    return inspections.sign_off(
        session, actor=require_actor(actor), round_id=round_id, party=party, signer=signer, on=on
    )


def complete_round(session: Session, actor: str, round_id: int, *, on: date) -> InspectionRound:
    """Close a round (every marker inspected, every party signed); its lines count as inspected."""
    return inspections.complete_round(session, actor=require_actor(actor), round_id=round_id, on=on)


def record_finding(
    session: Session,
    actor: str,
    round_id: int,
    *,
    marker_number: str,
    condition: str,
    lon: float | None = None,
    lat: float | None = None,
    elevation_m: float | None = None,
    notes: str | None = None,
    photos: Iterable[str] = (),
    supersedes_id: int | None = None,
) -> InspectionRecord:
    """Record one marker's finding in a round (a correction when ``supersedes_id`` is given)."""
    return inspections.record_finding(
        session,
        actor=require_actor(actor),
        round_id=round_id,
        marker_number=marker_number,
        condition=condition,
        lon=lon,
        lat=lat,
        elevation_m=elevation_m,
        notes=notes,
        photos=list(photos),
        supersedes_id=supersedes_id,
    )


def upload_gnss(
    session: Session, actor: str, round_id: int, *, content: bytes, filename: str, condition: str = "found"
) -> list[InspectionRecord]:
    """Record the measured positions of a GNSS export (CSV or GPX) in a round, all rows or none."""
    if not filename:
        raise InvalidInput("choose a CSV or GPX file", field="file")
    return inspections.import_fixes(
        session,
        actor=require_actor(actor),
        round_id=round_id,
        content=content,
        filename=filename,
        condition=condition or "found",
    )


# -- smart markers ------------------------------------------------------------------------------


def acknowledge_alarm(
    session: Session,
    actor: str,
    alarm_id: int,
    *,
    note: str | None = None,
    expected_version: int | None = None,
) -> MarkerAlarm:
    """Acknowledge an open alarm (refused when it changed since ``expected_version``)."""
    return alarms.acknowledge(
        session, actor=require_actor(actor), alarm_id=alarm_id, note=note, expected_version=expected_version
    )


def close_alarm(
    session: Session,
    actor: str,
    alarm_id: int,
    *,
    note: str | None = None,
    expected_version: int | None = None,
) -> MarkerAlarm:
    """Close an open or acknowledged alarm (refused when it changed since ``expected_version``)."""
    return alarms.close(
        session, actor=require_actor(actor), alarm_id=alarm_id, note=note, expected_version=expected_version
    )


#: The alarm acts by name, as the front ends offer them.
ALARM_ACTS = {"acknowledge": acknowledge_alarm, "close": close_alarm}


def register_device(
    session: Session, actor: str, *, device_id: str, marker_number: str
) -> tuple[MarkerDevice, str]:
    """Fit a telemetry device to a marker; returns the device and its token (shown once)."""
    actor = require_actor(actor)
    marker = store.marker_by_number(session, marker_number)
    return telemetry.register_device(session, actor=actor, device_id=device_id, marker_id=marker.id)


def rotate_token(session: Session, actor: str, device_id: str) -> str:
    """Give a device a new token (returned once); the old one stops working."""
    return telemetry.issue_token(session, actor=require_actor(actor), device_id=device_id)


# -- disputes -----------------------------------------------------------------------------------


def dispute_action(
    session: Session,
    actor: str,
    roles: Iterable[str],
    dispute_id: int,
    *,
    action: str,
    on: date,
    status: str | None = None,
    document: str | None = None,
    expected_version: int | None = None,
) -> Dispute:
    """Append an action (meeting, survey, agreement...) to a dispute, optionally changing its status."""
    if not action or not action.strip():
        raise InvalidInput("say what was done", field="action")
    return store.dispute_action(
        session,
        actor=require_actor(actor),
        viewer_roles=tuple(roles),
        dispute_id=dispute_id,
        action=action.strip(),
        on=on,
        status=status,
        document=document,
        expected_version=expected_version,
    )


def register_dispute(
    session: Session,
    actor: str,
    roles: Iterable[str],
    *,
    title: str,
    parties: list[str],
    geometry: BaseGeometry | None = None,
    line_code: str | None = None,
    description: str | None = None,
    document: str | None = None,
) -> Dispute:
    """Register a dispute over an area or a line section; without a geometry, the whole section is meant."""
    actor = require_actor(actor)
    line = store.line_by_code(session, line_code) if line_code else None
    if geometry is None:
        if line is None:
            raise InvalidInput(
                "give the disputed area or line (geometry) or a line section code", field="geometry"
            )
        geometry = geometry_of(line)
    return store.add_dispute(
        session,
        actor=actor,
        viewer_roles=tuple(roles),
        title=title,
        parties=parties,
        geometry=geometry,
        line_id=line.id if line is not None else None,
        description=(description or "").strip() or None,
        documents=[document.strip()] if document and document.strip() else [],
    )


def update_dispute(
    session: Session,
    actor: str,
    roles: Iterable[str],
    dispute_id: int,
    *,
    expected_version: int | None,
    reason: str | None,
    title: str | None = None,
    parties: list[str] | None = None,
    description: str | None = None,
    geometry: BaseGeometry | None = None,
) -> Dispute:
    """Correct a dispute's title, parties, description or geometry, saying why (history kept)."""
    if not reason or not reason.strip():
        raise InvalidInput("say why the dispute is changed", field="reason")
    if title is None and parties is None and description is None and geometry is None:
        raise InvalidInput(f"dispute {dispute_id}: nothing to change")
    return store.update_dispute(
        session,
        actor=require_actor(actor),
        viewer_roles=tuple(roles),
        dispute_id=dispute_id,
        expected_version=expected_version,
        reason=reason.strip(),
        title=title,
        parties=parties,
        description=description,
        geometry=geometry,
    )


def close_dispute(
    session: Session,
    actor: str,
    roles: Iterable[str],
    dispute_id: int,
    *,
    outcome: str,
    on: date,
    document: str | None = None,
    expected_version: int | None = None,
) -> Dispute:
    """Close a dispute with its outcome (agreement, ruling...) and the document that settles it."""
    if not outcome or not outcome.strip():
        raise InvalidInput("say how the dispute was settled", field="outcome")
    return dispute_action(
        session,
        actor,
        roles,
        dispute_id,
        action=f"closed: {outcome.strip()}",
        on=on,
        status="closed",
        document=document,
        expected_version=expected_version,
    )
