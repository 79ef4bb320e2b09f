"""A renaming as a legal procedure: proposed, reviewed, approved, announced; what follows it."""

from __future__ import annotations

from datetime import date

import pytest
from geoalchemy2.shape import from_shape
from names_fixtures import HBW
from names_fixtures import TOWN
from names_fixtures import seed_divisions
from shapely.geometry import LineString
from shapely.geometry import Point
from sqlalchemy import select

from gis.errors import Conflict
from gis.errors import InvalidInput
from gis.models import AuditLog
from gis.models import RoadSegment
from gis.roads import roads_gdf
from placenames import exchange  # noqa: F401  (the exchange reads the same columns)
from placenames import queries
from placenames import store
from placenames import usecases
from placenames.models import Sign
from placenames.models import WorkOrder
from placenames.signs import workorders
from placenames.signs.geocode import geocode


@pytest.fixture
def street(session):
    seed_divisions(session)
    pn = store.propose(session, actor="o", name="光明路", category_code="253", division_code=TOWN,
                       geom=LineString([(106.80, 39.67), (106.82, 39.67)]))  # fmt: skip
    store.review(session, pn.id, actor="r")
    store.approve(session, pn.id, actor="h", authority="乌海市人民政府", document="乌政字〔2009〕5号",
                  approval_date=date(2009, 5, 1))  # fmt: skip
    store.announce(session, pn.id, actor="h", announcement_date=date(2009, 6, 1))
    for i in range(3):
        line = LineString([(106.80 + i * 0.005, 39.67), (106.805 + i * 0.005, 39.67)])
        session.add(RoadSegment(name="光明路", division_code=HBW, geom=from_shape(line, srid=4490)))
    session.add(Sign(kind="street", place_name_id=pn.id, text_zh="光明路", text_romanized="GUANGMING LU",
                     geom=from_shape(Point(106.801, 39.6701), srid=4490)))  # fmt: skip
    session.add(Sign(kind="house_number", place_name_id=pn.id, text_zh="光明路", house_number="12",
                     geom=from_shape(Point(106.806, 39.6701), srid=4490)))  # fmt: skip
    session.flush()
    return pn


def _through_approval(session, pn):
    r = usecases.propose_renaming(session, pn.id, actor="o", new_name="明德路", reason="重名")
    usecases.review_renaming(session, r.id, actor="r")
    usecases.approve_renaming(session, r.id, actor="h", authority="乌海市人民政府", document="乌政字〔2026〕9号",
                              approval_date=date(2026, 11, 1))  # fmt: skip
    return r


def test_the_old_name_stays_standard_until_announced(session, street):
    r = _through_approval(session, street)
    assert r.status == "approved"
    assert store.get(session, street.id).name == "光明路"
    assert set(roads_gdf(session, name="光明路")["id"]) and not len(roads_gdf(session, name="明德路"))
    with pytest.raises(Conflict):
        usecases.propose_renaming(session, street.id, actor="o", new_name="明理路", reason="x")


def test_announcement_renames_name_roads_and_opens_work_orders(session, street):
    r = _through_approval(session, street)
    outcome = usecases.announce_renaming(session, r.id, actor="h", announcement_date=date(2026, 12, 1))
    pn = outcome.place
    assert (pn.name, pn.romanized) == ("明德路", "Mingde Lu")
    assert (pn.approval_doc_no, pn.approval_date, pn.announcement_date) == (
        "乌政字〔2026〕9号", date(2026, 11, 1), date(2026, 12, 1))  # fmt: skip
    d = queries.to_dict(session, pn, with_history=True)
    assert d["former_names"][0]["name"] == "光明路"
    assert d["former_names"][0]["valid_to"] == "2026-12-01"
    assert d["history_events"][-1]["action"] == "rename"
    assert len(roads_gdf(session, name="明德路")) == 3 and not len(roads_gdf(session, name="光明路"))
    road_audits = session.scalars(select(AuditLog).where(AuditLog.table_name == "road_segment")).all()
    assert len(road_audits) == 3
    assert len(outcome.work_orders) == 2
    hit = geocode(session, "光明路12号")
    assert hit["road"] == "明德路" and "renamed to 明德路 on 2026-12-01" in hit["note"]
    assert geocode(session, "明德路12号")["note"] is None
    for order in outcome.work_orders:
        workorders.assign(session, order.id, actor="h", assignee="m")
        workorders.resolve(session, order.id, actor="m", action="repaired")
    signs = session.scalars(select(Sign)).all()
    assert {s.text_zh for s in signs} == {"明德路"}
    assert {s.text_romanized for s in signs} == {"MINGDE LU"}
    assert {o.status for o in session.scalars(select(WorkOrder))} == {"done"}


def test_steps_out_of_order_are_refused(session, street):
    r = usecases.propose_renaming(session, street.id, actor="o", new_name="明德路", reason="重名")
    with pytest.raises(InvalidInput):
        usecases.announce_renaming(session, r.id, actor="h")
    with pytest.raises(InvalidInput):
        usecases.approve_renaming(session, r.id, actor="h", authority="a", document="d")


def test_a_one_step_rename_reaches_roads_and_plates_too(session, street):
    outcome = usecases.rename(session, street.id, actor="o", new_name="明德路", reason="更正")
    assert len(outcome.work_orders) == 2
    assert len(roads_gdf(session, name="明德路")) == 3 and not len(roads_gdf(session, name="光明路"))
    plate = session.scalars(select(Sign).where(Sign.kind == "house_number")).one()
    assert (plate.text_zh, plate.house_number) == ("明德路", "12")
    assert geocode(session, "明德路12号")["sign_id"] == plate.id
