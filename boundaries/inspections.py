"""Joint inspections (联检): rounds, per-marker findings, segment notes, sign-off, due lines and summaries."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from boundaries.gnss import read_fixes
from boundaries.models import BoundaryLine
from boundaries.models import BoundaryMarker
from boundaries.models import InspectionRecord
from boundaries.models import InspectionRound
from boundaries.store import lines_of
from boundaries.store import marker_by_number
from boundaries.store import point_lonlat
from boundaries.store import to_db_geom
from gis.crs import METRIC_SRID
from gis.crs import STORAGE_SRID
from gis.crs import transformer
from gis.errors import InvalidInput
from gis.errors import ReadOnly
from gis.history import record
from gis.history import snapshot
from gis.rows import flush_or_conflict
from gis.rows import geometry_of
from gis.rows import get_or_raise

CONDITIONS = ("found", "intact", "damaged", "moved", "missing", "rebuilt")
PROBLEMS = ("damaged", "moved", "missing", "rebuilt")
ACTIONS = {
    "damaged": "修复界桩并更新登记表",
    "moved": "按原登记坐标复位界桩，双方共同确认",
    "missing": "按原坐标补埋界桩，重新测定坐标",
    "rebuilt": "更新界桩登记表和照片",
    "flagged": "复测坐标，核实位移原因",
}


def create_round(
    session: Session,
    *,
    actor: str,
    line_code: str,
    round_no: int,
    title: str,
    parties: list[str],
    start_date: date | None = None,
    end_date: date | None = None,
    tolerance_m: float = 1.0,
    status: str = "planned",
    source: str = "manual",
) -> InspectionRound:
    """Plan a round for a line (its GB/T code, covering all its sections) with all its markers in scope."""
    sections = lines_of(session, line_code)
    if not parties or len(parties) < 2:
        raise InvalidInput(
            f"round {title[:40]!r}: a joint inspection needs at least two parties", field="parties"
        )
    if not 0 < tolerance_m <= 100:
        raise InvalidInput(f"round {title[:40]!r}: tolerance must be 0–100 m", field="tolerance_m")
    if status not in ("planned", "in_progress"):
        raise InvalidInput(
            "a new round is planned or in progress; complete it with complete_round", field="status"
        )
    ids = [s.id for s in sections]
    markers = list(
        session.scalars(
            select(BoundaryMarker.id).where(BoundaryMarker.line_id.in_(ids)).order_by(BoundaryMarker.number)
        )
    )
    rnd = InspectionRound(
        line_id=ids[0],
        line_ids=ids,
        round_no=round_no,
        title=title,
        parties=list(parties),
        start_date=start_date,
        end_date=end_date,
        status=status,
        tolerance_m=tolerance_m,
        marker_ids=markers,
        segment_notes=[],
        signoffs=[],
        author=actor,
        source=source,
    )
    session.add(rnd)
    session.flush()
    record(session, actor=actor, action="insert", obj=rnd)
    return rnd


def list_rounds(session: Session, *, newest_first: bool = False) -> list[InspectionRound]:
    """Every inspection round, by id."""
    order = InspectionRound.id.desc() if newest_first else InspectionRound.id
    return list(session.scalars(select(InspectionRound).order_by(order)))


def get_round(session: Session, round_id: int) -> InspectionRound:
    """The round with id ``round_id``, or :class:`NotFound`."""
    return get_or_raise(session, InspectionRound, round_id, what="inspection round")


def record_finding(
    session: Session,
    *,
    actor: str,
    round_id: int,
    marker_number: str,
    condition: str,
    lon: float | None = None,
    lat: float | None = None,
    elevation_m: float | None = None,
    measured_source: str = "typed",
    inspected_at: datetime | None = None,
    notes: str | None = None,
    photos: list[str] | None = None,
    supersedes_id: int | None = None,
    source: str = "manual",
) -> InspectionRecord:
    """Record one marker's finding; displacement from the recorded position (m, EPSG:4545) is flagged over tolerance.

    Records are never edited: a correction is a new record with ``supersedes_id``. On a completed
    round only corrections are accepted.
    """
    rnd = get_round(session, round_id)
    marker = marker_by_number(session, marker_number)
    if marker.id not in rnd.marker_ids:
        raise InvalidInput(f"marker {marker.number} is not in the scope of round {rnd.id}", field="marker")
    if condition not in CONDITIONS:
        raise InvalidInput(
            f"marker {marker.number}: condition must be one of {', '.join(CONDITIONS)}", field="condition"
        )
    if rnd.status == "completed" and supersedes_id is None:
        raise ReadOnly(f"round {rnd.id} is completed and read-only; submit a correction (supersedes_id)")
    if rnd.status == "planned":
        raise InvalidInput(f"round {rnd.id} has not started; start it before recording findings")
    if supersedes_id is not None:
        old = session.get(InspectionRecord, supersedes_id)
        if old is None or old.round_id != rnd.id or old.marker_id != marker.id:
            raise InvalidInput(
                f"record {supersedes_id} is not a record of marker {marker.number} in round {rnd.id}",
                field="supersedes_id",
            )
        if session.scalar(select(InspectionRecord.id).where(InspectionRecord.supersedes_id == supersedes_id)):
            raise InvalidInput(
                f"record {supersedes_id} is already superseded; correct the newest record",
                field="supersedes_id",
            )
    if notes is not None and len(notes) > 2000:
        raise InvalidInput(f"marker {marker.number}: notes longer than 2000 characters", field="notes")
    displacement = None
    measured = None
    if (lon is None) != (lat is None):
        raise InvalidInput(f"marker {marker.number}: give both lon and lat", field="lon")
    if lon is not None:
        measured = point_lonlat(lon, lat, what=f"marker {marker.number} measurement")
        displacement = _displacement_m(geometry_of(marker), measured)
    rec = InspectionRecord(
        round_id=rnd.id,
        marker_id=marker.id,
        condition=condition,
        inspected_at=inspected_at or datetime.now(UTC),
        displacement_m=None if displacement is None else round(displacement, 3),
        flagged=bool(displacement is not None and displacement > rnd.tolerance_m),
        notes=notes,
        photos=list(photos or []),
        supersedes_id=supersedes_id,
        measured_source=measured_source if measured is not None else None,
        measured_elevation_m=elevation_m,
        measured_geom=None if measured is None else to_db_geom(measured),
        author=actor,
        source=source,
    )
    session.add(rec)
    session.flush()
    record(session, actor=actor, action="insert", obj=rec, reason="correction" if supersedes_id else None)
    return rec


def import_fixes(
    session: Session, *, actor: str, round_id: int, content: bytes, filename: str, condition: str = "found"
) -> list[InspectionRecord]:
    """Record findings from a GNSS CSV or GPX export (all rows or none)."""
    fixes = read_fixes(content, filename=filename)
    source = "gpx" if filename.lower().endswith(".gpx") else "csv"
    out = []
    with session.begin_nested():
        for fix in fixes:
            out.append(
                record_finding(
                    session,
                    actor=actor,
                    round_id=round_id,
                    marker_number=fix.number,
                    condition=fix.condition or condition,
                    lon=fix.lon,
                    lat=fix.lat,
                    elevation_m=fix.elevation_m,
                    measured_source=source,
                )
            )
    return out


def set_status(session: Session, *, actor: str, round_id: int, status: str) -> InspectionRound:
    """Move a round from planned to in_progress (completion goes through :func:`complete_round`)."""
    rnd = get_round(session, round_id)
    if status != "in_progress" or rnd.status != "planned":
        raise InvalidInput(f"round {round_id}: only planned -> in_progress here (it is {rnd.status})")
    return _update(session, actor, rnd, status=status, start_date=rnd.start_date or date.today())


def add_segment_note(
    session: Session, *, actor: str, round_id: int, segment: str, kind: str, note: str
) -> InspectionRound:
    """A change found along a segment (landform, construction across the line...)."""
    rnd = _open_round(session, round_id)
    if kind not in ("landform", "construction", "other"):
        raise InvalidInput("segment note kind must be landform, construction or other", field="kind")
    if not note or len(note) > 1000:
        raise InvalidInput("segment note must be 1–1000 characters", field="note")
    return _update(
        session,
        actor,
        rnd,
        segment_notes=[
            *rnd.segment_notes,
            {"segment": segment[:60], "kind": kind, "note": note, "by": actor},
        ],
    )


def sign_off(
    session: Session, *, actor: str, round_id: int, party: str, signer: str, on: date
) -> InspectionRound:
    """A party's signature on the round's results (once per party)."""
    rnd = _open_round(session, round_id)
    if party not in rnd.parties:
        raise InvalidInput(
            f"{party} is not a party of round {round_id} ({', '.join(rnd.parties)})", field="party"
        )
    if any(s["party"] == party for s in rnd.signoffs):
        raise InvalidInput(f"{party} has already signed round {round_id}", field="party")
    return _update(
        session,
        actor,
        rnd,
        signoffs=[*rnd.signoffs, {"party": party, "signer": signer[:60], "date": on.isoformat()}],
    )


def complete_round(session: Session, *, actor: str, round_id: int, on: date) -> InspectionRound:
    """Close a round: every marker inspected and every party signed; the round becomes read-only."""
    rnd = _open_round(session, round_id)
    missing = set(rnd.marker_ids) - {
        r.marker_id
        for r in session.scalars(select(InspectionRecord).where(InspectionRecord.round_id == rnd.id))
    }
    if missing:
        raise InvalidInput(f"round {round_id}: {len(missing)} marker(s) in scope have no finding yet")
    unsigned = set(rnd.parties) - {s["party"] for s in rnd.signoffs}
    if unsigned:
        raise InvalidInput(f"round {round_id}: not signed by {', '.join(sorted(unsigned))}")
    rnd = _update(session, actor, rnd, status="completed", end_date=on)
    for line in session.scalars(select(BoundaryLine).where(BoundaryLine.id.in_(rnd.line_ids))):
        if (line.last_inspection_year or 0) < on.year:
            before = snapshot(line)
            line.last_inspection_year = on.year
            session.flush()
            record(
                session,
                actor=actor,
                action="update",
                obj=line,
                before=before,
                reason=f"round {rnd.id} completed",
            )
    return rnd


def effective_records(session: Session, round_id: int) -> list[InspectionRecord]:
    """The current record per marker (records that no later record supersedes)."""
    recs = list(
        session.scalars(
            select(InspectionRecord)
            .where(InspectionRecord.round_id == round_id)
            .order_by(InspectionRecord.id)
        )
    )
    superseded = {r.supersedes_id for r in recs if r.supersedes_id}
    latest: dict[int, InspectionRecord] = {}
    for r in recs:
        if r.id not in superseded:
            latest[r.marker_id] = r
    return list(latest.values())


def summary(session: Session, round_id: int) -> dict:
    """Everything the report shows: round, marker table, displacement statistics, problems and actions."""
    rnd = get_round(session, round_id)
    markers = {
        m.id: m for m in session.scalars(select(BoundaryMarker).where(BoundaryMarker.id.in_(rnd.marker_ids)))
    }
    recs = {r.marker_id: r for r in effective_records(session, round_id)}
    table = []
    for mid in rnd.marker_ids:
        m = markers[mid]
        r = recs.get(mid)
        p = geometry_of(m)
        mp = geometry_of(r, "measured_geom") if r is not None else None
        table.append(
            {
                "number": m.number,
                "type": m.marker_type,
                "material": m.material,
                "lon": round(p.x, 7),
                "lat": round(p.y, 7),
                "elevation_m": m.elevation_m,
                "condition": r.condition if r else None,
                "measured_lon": round(mp.x, 7) if mp else None,
                "measured_lat": round(mp.y, 7) if mp else None,
                "displacement_m": r.displacement_m if r else None,
                "flagged": bool(r and r.flagged),
                "notes": r.notes if r else None,
                "record_id": r.id if r else None,
                "corrected": bool(r and r.supersedes_id),
            }
        )
    disp = np.array([t["displacement_m"] for t in table if t["displacement_m"] is not None], dtype=float)
    stats = {
        "measured": int(disp.size),
        "inspected": len(recs),
        "in_scope": len(table),
        "tolerance_m": rnd.tolerance_m,
        "flagged": int(sum(t["flagged"] for t in table)),
    }
    if disp.size:
        stats.update(
            mean_m=round(float(disp.mean()), 3),
            median_m=round(float(np.median(disp)), 3),
            p95_m=round(float(np.percentile(disp, 95)), 3),
            max_m=round(float(disp.max()), 3),
        )
    by_condition: dict[str, int] = {}
    for t in table:
        by_condition[t["condition"] or "未检查"] = by_condition.get(t["condition"] or "未检查", 0) + 1
    problems = [
        {
            "number": t["number"],
            "problem": t["condition"] if t["condition"] in PROBLEMS else "flagged",
            "displacement_m": t["displacement_m"],
            "notes": t["notes"],
            "action": ACTIONS[t["condition"] if t["condition"] in PROBLEMS else "flagged"],
        }
        for t in table
        if t["condition"] in PROBLEMS or t["flagged"]
    ]
    sections = list(
        session.scalars(
            select(BoundaryLine).where(BoundaryLine.id.in_(rnd.line_ids)).order_by(BoundaryLine.code)
        )
    )
    return {
        "round": {
            c: getattr(rnd, c)
            for c in (
                "id",
                "round_no",
                "title",
                "parties",
                "start_date",
                "end_date",
                "status",
                "tolerance_m",
                "segment_notes",
                "signoffs",
                "source",
            )
        },
        "line": {
            "line_code": sections[0].line_code,
            "line_name": sections[0].line_name,
            "sections": [{"code": s.code, "name": s.name, "length_km": s.length_km} for s in sections],
        },
        "markers": table,
        "stats": stats,
        "by_condition": by_condition,
        "problems": problems,
    }


def due_lines(session: Session, *, year: int | None = None) -> list[dict]:
    """Each line (GB/T code) with its last completed round, the year the next is due and whether it is due."""
    year = year or date.today().year
    lines: dict[str, list[BoundaryLine]] = {}
    for s in session.scalars(select(BoundaryLine).order_by(BoundaryLine.code)):
        lines.setdefault(s.line_code or s.code, []).append(s)
    rounds = list(session.scalars(select(InspectionRound)))
    out = []
    for code, sections in lines.items():
        ids = {s.id for s in sections}
        mine = [r for r in rounds if ids & set(r.line_ids or [r.line_id])]
        done = [r for r in mine if r.status == "completed" and r.end_date]
        last = max((r.end_date.year for r in done), default=None)
        if last is None:
            last = max((s.last_inspection_year or 0 for s in sections), default=0) or None
        cycle = min(s.inspection_cycle_years for s in sections)
        open_rounds = [r for r in mine if r.status != "completed"]
        due_year = (last + cycle) if last else year
        out.append(
            {
                "line_code": code,
                "line_name": sections[0].line_name or sections[0].name,
                "level": sections[0].level,
                "last_round_no": max((r.round_no for r in done), default=None),
                "last_completed_year": last,
                "cycle_years": cycle,
                "due_year": due_year,
                "due": due_year <= year,
                "open_round": None
                if not open_rounds
                else {
                    "id": open_rounds[0].id,
                    "round_no": open_rounds[0].round_no,
                    "status": open_rounds[0].status,
                },
            }
        )
    return out


def _displacement_m(recorded, measured) -> float:
    tr = transformer(STORAGE_SRID, METRIC_SRID)
    (x0, x1), (y0, y1) = tr.transform([recorded.x, measured.x], [recorded.y, measured.y])
    return float(np.hypot(x1 - x0, y1 - y0))


def _open_round(session: Session, round_id: int) -> InspectionRound:
    rnd = get_round(session, round_id)
    if rnd.status == "completed":
        raise ReadOnly(f"round {round_id} is completed and read-only")
    return rnd


def _update(session: Session, actor: str, rnd: InspectionRound, **changes) -> InspectionRound:
    before = snapshot(rnd)
    for k, v in changes.items():
        setattr(rnd, k, v)
    rnd.author = actor
    flush_or_conflict(session, rnd)
    record(session, actor=actor, action="update", obj=rnd, before=before)
    return rnd
