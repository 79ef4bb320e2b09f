"""Core storage: geometry round trips and index-backed spatial queries agree on both backends."""

from __future__ import annotations

import pytest
from geoalchemy2.shape import from_shape
from geoalchemy2.shape import to_shape
from shapely.geometry import LineString
from sqlalchemy import func
from sqlalchemy import select

from gis.dialects import bbox_filter
from gis.dialects import nearest_order
from gis.history import record
from gis.models import AuditLog
from gis.models import RoadSegment


@pytest.fixture
def roads(session):
    rows = [
        RoadSegment(
            name="人民路",
            road_class="primary",
            geom=from_shape(LineString([(106.80, 39.66), (106.82, 39.66)]), srid=4490),
        ),
        RoadSegment(
            name="海北大街",
            road_class="street",
            geom=from_shape(LineString([(106.81, 39.68), (106.81, 39.70)]), srid=4490),
        ),
        RoadSegment(
            name="乌达路",
            road_class="street",
            geom=from_shape(LineString([(106.70, 39.50), (106.72, 39.51)]), srid=4490),
        ),
    ]
    session.add_all(rows)
    session.flush()
    return rows


def test_geometry_round_trip(session, roads):
    got = session.get(RoadSegment, roads[0].id)
    session.expire(got)
    assert to_shape(got.geom).equals(LineString([(106.80, 39.66), (106.82, 39.66)]))
    assert session.scalar(select(func.ST_SRID(RoadSegment.geom)).where(RoadSegment.id == roads[0].id)) == 4490


@pytest.mark.parametrize(
    ("bbox", "expected"),
    [
        ((106.79, 39.65, 106.83, 39.67), {"人民路"}),
        ((106.79, 39.65, 106.83, 39.71), {"人民路", "海北大街"}),
        ((106.60, 39.40, 106.75, 39.55), {"乌达路"}),
        ((107.0, 40.0, 107.1, 40.1), set()),
    ],
)
def test_bbox_filter_uses_index_and_agrees(session, roads, bbox, expected):
    table = RoadSegment.__table__
    names = set(session.scalars(select(RoadSegment.name).where(bbox_filter(session, table, bbox))))
    assert names == expected


def test_within_and_distance(session, roads):
    envelope = func.ST_GeomFromText(
        "POLYGON((106.79 39.65,106.83 39.65,106.83 39.67,106.79 39.67,106.79 39.65))", 4490
    )
    within = set(session.scalars(select(RoadSegment.name).where(func.ST_Within(RoadSegment.geom, envelope))))
    assert within == {"人民路"}
    nearest = session.scalars(
        select(RoadSegment.name).order_by(nearest_order(session, RoadSegment.__table__, 106.705, 39.503))
    ).first()
    assert nearest == "乌达路"


def test_version_and_audit(session, roads):
    road = roads[0]
    assert road.version == 1
    road.name = "人民北路"
    session.flush()
    assert road.version == 2
    record(session, actor="tester", action="update", obj=road, before={"name": "人民路"}, reason="test")
    session.flush()
    entry = session.scalars(select(AuditLog).where(AuditLog.table_name == "road_segment")).one()
    assert entry.after["name"] == "人民北路"
    assert entry.after["geom"].startswith("LINESTRING")
    with pytest.raises(PermissionError):
        record(session, actor="", action="update", obj=road)


def test_audit_snapshot_hides_secrets(session):
    from gis.history import snapshot
    from gis.models import User

    user = User(username="officer", password_hash="scrypt:secret", api_token_hash="abc123", roles=["admin"])
    session.add(user)
    session.flush()
    snap = snapshot(user)
    assert snap["username"] == "officer"
    assert snap["password_hash"] == "(hidden)"
    assert snap["api_token_hash"] == "(hidden)"
    assert "secret" not in str(snap) and "abc123" not in str(snap)
