"""Joint inspection rounds: findings, displacement, GNSS import, sign-off, read-only completion, due lines."""

from __future__ import annotations

from datetime import date

import pytest
from _bounds_world import build

from boundaries import inspections
from gis.errors import NotFound
from gis.errors import ReadOnly


def start_round(session, **kw):
    build(session)
    rnd = inspections.create_round(
        session,
        actor="t",
        line_code="1564",
        round_no=5,
        title="蒙宁线乌海段第五轮联合检查",
        parties=["内蒙古自治区", "宁夏回族自治区"],
        start_date=date(2022, 4, 18),
        **kw,
    )
    inspections.set_status(session, actor="t", round_id=rnd.id, status="in_progress")
    return rnd


def test_round_scope_and_findings(session):
    rnd = start_round(session, tolerance_m=1.0)
    assert len(rnd.marker_ids) == 4
    ok = inspections.record_finding(
        session,
        actor="t",
        round_id=rnd.id,
        marker_number="1564001Q",
        condition="intact",
        lon=106.9,
        lat=39.52 + 0.3 / 111_000,
    )
    assert ok.displacement_m == pytest.approx(0.3, abs=0.02) and not ok.flagged
    moved = inspections.record_finding(
        session,
        actor="t",
        round_id=rnd.id,
        marker_number="1564002Q",
        condition="moved",
        lon=106.9 + 2.5 / 85_900,
        lat=39.54,
    )
    assert moved.displacement_m == pytest.approx(2.5, abs=0.1) and moved.flagged
    missing = inspections.record_finding(
        session, actor="t", round_id=rnd.id, marker_number="1564003Q", condition="missing"
    )
    assert missing.displacement_m is None
    with pytest.raises(ValueError, match="condition must be one of"):
        inspections.record_finding(
            session, actor="t", round_id=rnd.id, marker_number="1564004Q", condition="fine"
        )
    with pytest.raises(ValueError, match="both lon and lat"):
        inspections.record_finding(
            session, actor="t", round_id=rnd.id, marker_number="1564004Q", condition="intact", lon=106.9
        )


def test_gnss_import_is_all_or_nothing(session):
    rnd = start_round(session)
    bad = b"number,lon,lat\n1564001Q,106.9,39.52\n1564099Q,106.9,39.53\n"
    with pytest.raises(NotFound, match="no boundary marker"):
        inspections.import_fixes(session, actor="t", round_id=rnd.id, content=bad, filename="day1.csv")
    assert inspections.effective_records(session, rnd.id) == []
    gpx = (
        b'<gpx><wpt lat="39.52" lon="106.9"><name>1564001Q</name></wpt>'
        b'<wpt lat="39.54001" lon="106.9"><name>1564002Q</name><ele>1101</ele></wpt></gpx>'
    )
    recs = inspections.import_fixes(session, actor="t", round_id=rnd.id, content=gpx, filename="day1.gpx")
    assert [r.measured_source for r in recs] == ["gpx", "gpx"] and recs[1].flagged
    assert recs[1].measured_elevation_m == 1101


def test_complete_round_read_only_and_corrections(session):
    rnd = start_round(session)
    for i in range(1, 5):
        inspections.record_finding(
            session,
            actor="t",
            round_id=rnd.id,
            marker_number=f"1564{i:03d}Q",
            condition="intact",
            lon=106.9,
            lat=39.5 + 0.02 * i,
        )
    with pytest.raises(ValueError, match="not signed by"):
        inspections.complete_round(session, actor="t", round_id=rnd.id, on=date(2022, 10, 1))
    inspections.add_segment_note(
        session, actor="t", round_id=rnd.id, segment="1564-002", kind="construction", note="新建道路"
    )
    inspections.sign_off(
        session, actor="t", round_id=rnd.id, party="内蒙古自治区", signer="甲", on=date(2022, 9, 30)
    )
    with pytest.raises(ValueError, match="already signed"):
        inspections.sign_off(
            session, actor="t", round_id=rnd.id, party="内蒙古自治区", signer="甲", on=date(2022, 9, 30)
        )
    with pytest.raises(ValueError, match="not a party"):
        inspections.sign_off(
            session, actor="t", round_id=rnd.id, party="乌海市", signer="乙", on=date(2022, 9, 30)
        )
    inspections.sign_off(
        session, actor="t", round_id=rnd.id, party="宁夏回族自治区", signer="乙", on=date(2022, 9, 30)
    )
    inspections.complete_round(session, actor="t", round_id=rnd.id, on=date(2022, 10, 1))
    with pytest.raises(ReadOnly):
        inspections.record_finding(
            session, actor="t", round_id=rnd.id, marker_number="1564001Q", condition="damaged"
        )
    with pytest.raises(ReadOnly):
        inspections.add_segment_note(session, actor="t", round_id=rnd.id, segment="x", kind="other", note="y")
    first = inspections.effective_records(session, rnd.id)[0]
    fix = inspections.record_finding(
        session,
        actor="t",
        round_id=rnd.id,
        marker_number="1564001Q",
        condition="damaged",
        supersedes_id=first.id,
        notes="更正：桩体有裂缝",
    )
    with pytest.raises(ValueError, match="already superseded"):
        inspections.record_finding(
            session,
            actor="t",
            round_id=rnd.id,
            marker_number="1564001Q",
            condition="intact",
            supersedes_id=first.id,
        )
    effective = {r.marker_id: r for r in inspections.effective_records(session, rnd.id)}
    assert effective[first.marker_id].id == fix.id
    summary = inspections.summary(session, rnd.id)
    assert summary["stats"]["inspected"] == 4 and summary["by_condition"] == {"damaged": 1, "intact": 3}
    assert [p["number"] for p in summary["problems"]] == ["1564001Q"] and summary["markers"][0]["corrected"]


def test_due_lines(session):
    build(session, markers=False)
    due = {d["line_code"]: d for d in inspections.due_lines(session, year=2026)}
    assert due["1564"]["due"] and due["1564"]["last_completed_year"] is None
    rnd = inspections.create_round(
        session,
        actor="t",
        line_code="1564",
        round_no=4,
        title="第四轮",
        parties=["甲", "乙"],
        status="in_progress",
    )
    for p in ("甲", "乙"):
        inspections.sign_off(session, actor="t", round_id=rnd.id, party=p, signer=p, on=date(2023, 1, 1))
    inspections.complete_round(session, actor="t", round_id=rnd.id, on=date(2023, 6, 1))
    due = {d["line_code"]: d for d in inspections.due_lines(session, year=2026)}
    assert (due["1564"]["due_year"], due["1564"]["due"], due["1564"]["last_round_no"]) == (2028, False, 4)
    assert due["150302150303"]["due"]


def test_round_needs_parties(session):
    build(session)
    with pytest.raises(ValueError, match="at least two parties"):
        inspections.create_round(session, actor="t", line_code="1564", round_no=1, title="x", parties=["甲"])
    with pytest.raises(NotFound, match="no boundary line"):
        inspections.create_round(
            session, actor="t", line_code="9999", round_no=1, title="x", parties=["甲", "乙"]
        )
