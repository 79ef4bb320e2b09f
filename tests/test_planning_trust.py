"""Indicators a planner can trust: opening years, entered values, years outside the data, beds both
ways, the floor-area standards named and progress that is never negative."""

from __future__ import annotations

import json
from datetime import date

import facilities_fixtures as fx
import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session

from cli.main import main
from facilities import usecases
from facilities.indicators import BY_ID
from facilities.indicators import progress_towards
from gis.crs import transformer
from gis.db import make_engine
from gis.errors import InvalidInput


def _seed(session) -> None:
    fx.seed_divisions(session)
    fx.seed_facilities_and_entries(session, actor="t")


def _city(session, year: int, **kw) -> dict:
    report = usecases.indicator_report(session, year=year, **kw)
    return report | {"by_id": {i["id"]: i for i in report["units"][0]["indicators"]}}


def _station(session, **attrs):
    lon, lat = transformer(4545, 4490).transform(fx.X0 + 3500, fx.Y0 + 500)
    return usecases.add_facility(
        session, actor="p", kind="home_care_station", name="新站", lon=lon, lat=lat, beds=20, **attrs
    )


def test_a_facility_without_an_opening_year_never_moves_the_baseline(session):
    _seed(session)
    before = _city(session, 2020)
    _station(session)
    after = _city(session, 2020)
    assert after["by_id"]["3"]["value"] == before["by_id"]["3"]["value"] == 50
    assert after["by_id"]["4"]["detail"]["beds"] == before["by_id"]["4"]["detail"]["beds"]
    assert after["notes"]["opening_year"] | {"rule": None, "rule_zh": None} == {
        "rule": None, "rule_zh": None, "counted": 0, "not_yet": 1,
    }  # fmt: skip
    now = _city(session, date.today().year)
    assert now["by_id"]["3"]["value"] == 75 and now["notes"]["opening_year"]["counted"] == 1


def test_a_facility_with_an_opening_year_counts_from_it(session):
    _seed(session)
    _station(session, year_opened=2020)
    assert _city(session, 2020)["by_id"]["3"]["value"] == 75


def test_entering_a_computed_indicator_is_refused_naming_it(session):
    with pytest.raises(InvalidInput) as err:
        usecases.enter_indicator(
            session, actor="p", number=4, year=2021, value=40, value_source="区民政局统计"
        )
    assert err.value.field == "number"
    assert "indicator 4" in str(err.value) and BY_ID["4"].name_zh in str(err.value)


def test_a_year_outside_the_data_is_refused(session):
    _seed(session)
    usecases_population(session, 2023)
    for year in (1990, 2019, 2024):
        with pytest.raises(InvalidInput, match="outside the data") as err:
            usecases.indicator_report(session, year=year)
        assert err.value.field == "year"
    assert _city(session, 2021)["data_years"] == [2020, 2023]


def usecases_population(session, year: int) -> None:
    from facilities import store

    store.upsert_population(
        session, actor="t", division_code="150302001001", year=year, source="synthetic",
        households=1000, residents=2500, aged_60plus=1000,
    )  # fmt: skip


def test_entered_values_carry_their_source_and_date(session):
    _seed(session)
    by_id = _city(session, 2020)["by_id"]
    assert by_id["7"]["origin"] == "entered" and by_id["3"]["origin"] == "computed"
    assert by_id["7"]["entered"]["source"] and by_id["7"]["entered"]["year"] == 2020
    assert by_id["12"]["origin"] == "entered" and by_id["12"]["entered"] is None


def test_beds_are_reported_both_ways_with_the_plan_s_choice(session):
    _seed(session)
    d = _city(session, 2020)["by_id"]["4"]["detail"]
    inst, comm, both = d["institutions"], d["community"], d["combined"]
    assert inst["beds"] + comm["beds"] == both["beds"] == d["beds"] == 200
    assert inst["beds"] == 160  # the running institution; the rest are community facilities
    assert d["counted"] == "combined" and "combined" in d["rule"]


def test_the_floor_area_standards_are_named(session):
    _seed(session)
    report = usecases.indicator_report(session, year=2020, standards=True)
    assert set(report["standards"]) == {"indicator_8", "per_unit", "plan_100pct"}
    assert len(report["below_standard"]) == 2 and report["checked_units"] == 6


@pytest.mark.parametrize(
    ("iid", "value", "expected"),
    [
        ("3", 66, (0.0, None)),  # the baseline itself
        ("3", 65, (0.0, "below_baseline")),  # never negative
        ("3", 83, (50.0, None)),
        ("3", 100, (100.0, "target_reached")),
        ("6", 49, (49.0, None)),  # no baseline: from 0
        ("4", None, (None, None)),
    ],
)
def test_progress_runs_from_baseline_to_target(iid, value, expected):
    assert progress_towards(BY_ID[iid], value) == expected


def test_progress_when_the_baseline_already_meets_the_target():
    from dataclasses import replace

    met = replace(BY_ID["3"], baseline_2020=100, target_2025=90)
    assert progress_towards(met, 95) == (100.0, "baseline_met")
    assert progress_towards(met, 80) == (0.0, "baseline_met")
    lower = replace(BY_ID["3"], baseline_2020=20, target_2025=10, higher_is_better=False)
    assert progress_towards(lower, 15) == (50.0, None)
    assert progress_towards(lower, 25) == (0.0, "below_baseline")


@pytest.fixture
def city_url(fresh_db_url):
    engine = make_engine(fresh_db_url)
    with Session(engine) as session:
        _seed(session)
        usecases_population(session, 2022)
        session.commit()
    engine.dispose()
    return fresh_db_url


def _cli(url: str, *args: str):
    return CliRunner().invoke(main, ["--database-url", url, "--actor", "planner", *args])


def test_adding_a_facility_without_an_opening_year_says_when_it_counts(city_url):
    lon, lat = transformer(4545, 4490).transform(fx.X0 + 3500, fx.Y0 + 500)
    added = _cli(city_url, "facilities", "add", "--kind", "home_care_station", "--name", "新站",
                 "--lon", str(lon), "--lat", str(lat))  # fmt: skip
    assert added.exit_code == 0, added.output
    assert f"no opening year given: it counts in the indicators from {date.today().year}" in added.output


def test_the_command_line_labels_entered_values_and_refuses_what_it_cannot_answer(city_url):
    text = _cli(city_url, "indicators", "--year", "2020", "--standards")
    assert text.exit_code == 0, text.output
    assert "录入 entered: 7 = 1.2 (value of 2020)" in text.output and "计算 computed" in text.output
    assert "养老机构 institutions" in text.output and "合计 combined" in text.output
    assert "指标8" in text.output and "100 % 达标" in text.output
    old = _cli(city_url, "indicators", "--year", "1990")
    assert (
        old.exit_code == 1
        and "year 1990: outside the data (population figures cover 2020–2022)" in old.output
    )
    refused = _cli(
        city_url, "facilities", "enter-indicator", "--number", "4", "--year", "2021", "--value", "40",
        "--source", "统计", "--format", "json",
    )  # fmt: skip
    assert refused.exit_code == 1
    error = json.loads(refused.output)["error"]
    assert error["kind"] == "invalid" and error["field"] == "number" and "indicator 4" in error["message"]
