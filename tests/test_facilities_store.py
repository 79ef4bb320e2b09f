"""Facility registry storage on both backends: validation, history, conflicts, runs."""

from __future__ import annotations

import facilities_fixtures as fx
import pytest
from sqlalchemy import select

from facilities import store
from facilities.indicators import compute_indicators
from gis.crs import transformer
from gis.errors import InvalidInput
from gis.errors import NotFound
from gis.errors import StaleVersion
from gis.models import AuditLog


def _lonlat(x: float, y: float) -> tuple[float, float]:
    return transformer(4545, 4490).transform(fx.X0 + x, fx.Y0 + y)


def test_add_locates_the_community_and_records(session):
    fx.seed_divisions(session)
    lon, lat = _lonlat(1500, 500)
    fac = store.add_facility(
        session,
        actor="planner",
        kind="home_care_station",
        name="社区2服务站",
        lon=lon,
        lat=lat,
        beds=12,
        nursing_beds=3,
    )
    assert fac.division_code == "150302001002"
    assert fac.service_minutes == 15  # the kind's default
    log = session.scalars(select(AuditLog).where(AuditLog.table_name == "facility")).all()
    assert [(a.actor, a.action) for a in log] == [("planner", "create")]
    gdf = store.facilities_gdf(session)
    assert len(gdf) == 1 and gdf.crs.to_epsg() == 4490 and gdf.iloc[0]["beds"] == 12


@pytest.mark.parametrize(
    ("attrs", "message"),
    [
        ({"kind": "castle"}, "not a facility kind"),
        ({"name": "<script>alert(1)</script>"}, "markup or script"),
        ({"name": "a\x07b"}, "control character"),
        ({"name": "x" * 201}, "at most 200"),
        ({"name": "x'; DROP TABLE facility; --"}, "SQL fragment"),
        ({"kind": "community_service", "floor_area_m2": 250}, "≥ 300 m²"),
        ({"beds": 10, "nursing_beds": 11, "kind": "elderly_institution"}, "nursing_beds"),
        ({"beds": 5, "kind": "welfare_lottery"}, "has no beds"),
        ({"status": "under_construction"}, "planned_year"),
        ({"lon": 39.5, "lat": 106.8}, "swapped"),
        ({"lon": 116.4, "lat": 39.9}, "outside Wuhai"),
    ],
)
def test_bad_facilities_are_refused(session, attrs, message):
    lon, lat = _lonlat(500, 500)
    values = {"kind": "home_care_station", "name": "站", "lon": lon, "lat": lat} | attrs
    with pytest.raises(InvalidInput, match=message):
        store.add_facility(session, actor="planner", **values)


def test_move_update_remove_with_versions(session):
    fx.seed_divisions(session)
    lon, lat = _lonlat(500, 500)
    fac = store.add_facility(session, actor="a", kind="home_care_station", name="站", lon=lon, lat=lat)
    assert fac.division_code == "150302001001"
    lon2, lat2 = _lonlat(2500, 500)
    store.update_facility(session, fac.id, actor="b", lon=lon2, lat=lat2, expected_version=1)
    assert fac.division_code == "150302001003" and fac.version == 2
    with pytest.raises(StaleVersion, match="version 2, not 1"):
        store.update_facility(session, fac.id, actor="c", name="新站", expected_version=1)
    store.update_facility(session, fac.id, actor="c", name="新站", expected_version=2)
    store.remove_facility(session, fac.id, actor="d", expected_version=3, reason="closed")
    actions = session.scalars(
        select(AuditLog.action).where(AuditLog.table_name == "facility").order_by(AuditLog.id)
    ).all()
    assert actions == ["create", "move", "update", "delete"]
    with pytest.raises(NotFound):
        store.get_facility(session, fac.id)


def test_indicator_inputs_from_the_database(session):
    fx.seed_divisions(session)
    fx.seed_facilities_and_entries(session, actor="t")
    store.upsert_population(
        session,
        actor="t",
        division_code="150302001001",
        year=2021,
        source="synthetic",
        households=1000,
        residents=2500,
        aged_60plus=2400,
    )
    inputs = store.indicator_inputs(session, year=2020)
    (city,) = compute_indicators(inputs)
    ind = {i["id"]: i for i in city["indicators"]}
    assert ind["3"]["exact"] == 50.0 and ind["4"]["detail"]["beds"] == 200 and ind["7"]["value"] == 1.2
    assert ind["8"]["exact"] == pytest.approx(100 * 4020 / 10400, abs=1e-3)
    later = store.indicator_inputs(session, year=2021)
    (city,) = compute_indicators(later)
    assert {i["id"]: i for i in city["indicators"]}["4"]["detail"]["aged_60plus"] == 4200 - 400 + 2400


def test_runs_round_trip(session):
    result = fx.units().iloc[:2][["code", "geometry"]].assign(covered=[10, 20])
    run = store.save_run(
        session,
        actor="p",
        kind="circles",
        title="t",
        parameters={"minutes": 15},
        inputs={"n": 2},
        summary={"covered": 30},
        result=result,
    )
    again, gdf = store.load_run(session, run.id)
    assert (
        again.parameters == {"minutes": 15} and list(gdf["covered"]) == [10, 20] and gdf.crs.to_epsg() == 4490
    )
    assert store.list_runs(session, kind="circles")[0].id == run.id


def test_towns_count_only_in_the_years_they_existed(session):
    from datetime import date

    from boundaries.models import Division

    fx.seed_divisions(session)
    session.add(
        Division(
            code="150302006000",
            name="旧街道",
            level="town",
            kind="街道",
            parent_code=fx.DISTRICT,
            valid_to=date(2021, 1, 1),
        )
    )
    session.add(
        Division(
            code="150302008000",
            name="新街道",
            level="town",
            kind="街道",
            parent_code=fx.DISTRICT,
            valid_from=date(2021, 1, 1),
        )
    )
    session.flush()
    codes_2020 = set(store.indicator_inputs(session, year=2020).towns["code"])
    codes_2021 = set(store.indicator_inputs(session, year=2021).towns["code"])
    assert "150302006000" in codes_2020 and "150302008000" not in codes_2020
    assert "150302008000" in codes_2021 and "150302006000" not in codes_2021
