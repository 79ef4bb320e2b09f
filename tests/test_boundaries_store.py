"""Divisions as of a date, events, lines, marker validation, disputes (both backends)."""

from __future__ import annotations

from datetime import date

import pytest
from _bounds_world import build
from shapely.geometry import LineString
from shapely.geometry import Point
from sqlalchemy import select

from boundaries import divisions
from boundaries import store
from boundaries.models import Division
from gis.errors import Forbidden
from gis.errors import StaleVersion
from gis.models import AuditLog


def test_lines_are_derived_with_codes_and_lengths(session):
    build(session, markers=False)
    lines = store.lines_gdf(session)
    assert list(zip(lines["code"], lines["line_code"], lines["level"], strict=True)) == [
        ("150302-150303", "150302150303", "district"),
        ("150303-640205", "1564", "provincial"),
    ]
    assert lines["length_km"].tolist() == pytest.approx([11.1, 11.1], abs=0.05)


def test_save_line_updates_by_party_pair_and_records(session):
    ids = build(session, markers=False)["line_ids"]
    line = store.save_line(
        session,
        actor="officer",
        values={"left_code": "640205000000", "right_code": "150303000000", "agreement": "《测试协议书》"},
    )
    assert line.id == ids["1564"] and line.agreement == "《测试协议书》"
    audit = session.scalars(
        select(AuditLog).where(AuditLog.table_name == "boundary_line", AuditLog.actor == "officer")
    ).all()
    assert len(audit) == 1 and audit[0].before["agreement"] != "《测试协议书》"


def test_divisions_as_of_and_events(session):
    build(session, markers=False)
    session.add(
        Division(code="150302006000", name="卡布其街道", level="town", parent_code="150302000000", author="t")
    )
    session.add(
        Division(code="150302008000", name="林荫街道", level="town", parent_code="150302000000", author="t")
    )
    session.flush()
    store.add_division_event(
        session,
        actor="officer",
        event_date=date(2021, 1, 1),
        event="abolished",
        division_code="150302006000",
        old_name="卡布其街道",
        related_codes=["150302008000"],
    )
    store.add_division_event(
        session,
        actor="officer",
        event_date=date(2021, 1, 1),
        event="created",
        division_code="150302008000",
        new_name="林荫街道",
        related_codes=["150302006000"],
    )
    names = lambda d: sorted(divisions.divisions_gdf(session, levels=("town",), as_of=d)["name"])  # noqa: E731
    assert names(date(2020, 6, 30)) == ["卡布其街道"]
    assert names(date(2021, 1, 1)) == ["林荫街道"]
    assert names(None) == ["林荫街道"]
    events = store.division_events(session, code="150302008000")
    assert [e["event"] for e in events] == ["abolished", "created"]
    with pytest.raises(ValueError, match="event must be one of"):
        store.add_division_event(
            session, actor="o", event_date=date(2021, 1, 1), event="vanished", division_code="150302008000"
        )


def test_marker_validation_on_entry(session):
    ids = build(session)["line_ids"]
    with pytest.raises(ValueError, match="does not match the line"):
        store.add_marker(session, actor="t", number="15031506001Q", line_id=ids["1564"], lon=106.9, lat=39.55)
    with pytest.raises(ValueError, match="swapped"):
        store.add_marker(session, actor="t", number="1564009Q", line_id=ids["1564"], lon=39.55, lat=106.9)
    with pytest.raises(ValueError, match="twin marker needs side_code"):
        store.add_marker(session, actor="t", number="1564009A", line_id=ids["1564"], lon=106.9, lat=39.55)
    with pytest.raises(ValueError, match="reference object"):
        store.add_marker(
            session,
            actor="t",
            number="1564009Q",
            line_id=ids["1564"],
            lon=106.9,
            lat=39.55,
            reference_objects=[{"name": "电线杆", "bearing_deg": 400, "distance_m": 10}],
        )
    m = store.add_marker(
        session,
        actor="t",
        number="1564009a",
        line_id=ids["1564"],
        lon=106.9001,
        lat=39.55,
        side_code="640205000000",
        reference_objects=[{"name": "电线杆", "bearing_deg": 45, "distance_m": 30}],
    )
    assert (m.number, m.marker_type, m.group_key, m.seq) == ("1564009A", "A", "1564009", 9)


def test_marker_update_version_conflict(session):
    build(session)
    m = store.marker_by_number(session, "1564001Q")
    v = m.version
    store.update_marker(session, actor="a", number="1564001Q", expected_version=v, status="damaged")
    with pytest.raises(StaleVersion, match="someone else changed it"):
        store.update_marker(session, actor="b", number="1564001Q", expected_version=v, status="intact")
    with pytest.raises(ValueError, match="cannot change"):
        store.update_marker(session, actor="b", number="1564001Q", number2="x")
    assert store.marker_by_number(session, "1564001Q").status == "damaged"


def test_disputes_need_a_role(session):
    ids = build(session, markers=False)["line_ids"]
    geom = LineString([(106.9, 39.52), (106.9, 39.54)])
    with pytest.raises(Forbidden):
        store.add_dispute(
            session, actor="x", viewer_roles=("public",), title="t", parties=["a", "b"], geometry=geom
        )
    d = store.add_dispute(
        session,
        actor="inspector",
        viewer_roles=("boundary_inspector",),
        title="争议段",
        parties=["海南区", "惠农区"],
        geometry=geom,
        line_id=ids["1564"],
    )
    with pytest.raises(ValueError, match="polygon or a line"):
        store.add_dispute(
            session, actor="x", viewer_roles=("admin",), title="t", parties=["a"], geometry=Point(106.9, 39.5)
        )
    with pytest.raises(Forbidden):
        store.list_disputes(session, viewer_roles=("placename_officer",))
    store.dispute_action(
        session,
        actor="inspector",
        viewer_roles=("admin",),
        dispute_id=d.id,
        action="双方会谈",
        on=date(2024, 5, 1),
        status="negotiating",
        document="会谈纪要",
    )
    listed = store.list_disputes(session, viewer_roles=("admin",))
    assert (
        listed["status"].tolist() == ["negotiating"] and listed["actions"].iloc[0][0]["action"] == "双方会谈"
    )


def test_bbox_queries_use_the_spatial_index(session):
    build(session)
    box_ = (106.89, 39.53, 106.91, 39.57)
    assert store.markers_gdf(session, bbox=box_)["number"].tolist() == ["1564002Q", "1564003Q"]
    assert store.lines_gdf(session, bbox=(106.95, 39.5, 106.99, 39.6)).empty
    assert store.lines_gdf(session, bbox=(106.85, 39.55, 106.95, 39.56))["line_code"].tolist() == ["1564"]
