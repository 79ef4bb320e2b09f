"""The plan's indicators on a tiny inline city (no database)."""

from __future__ import annotations

import facilities_fixtures as fx
import pandas as pd
import pytest

from facilities.indicators import IndicatorInputs
from facilities.indicators import compute_indicators
from facilities.indicators import floor_area_checks
from facilities.indicators import indicator_frame


def _inputs(year: int = 2020, facilities=None) -> IndicatorInputs:
    return IndicatorInputs(
        year=year,
        city_code=fx.CITY,
        city_name="乌海市",
        units=fx.units(),
        towns=fx.towns(),
        districts=fx.districts(),
        facilities=fx.facilities() if facilities is None else facilities,
        entries=fx.entries(),
    )


def _by_id(result: dict) -> dict:
    return {i["id"]: i for i in result["indicators"]}


def test_city_values_come_from_the_data():
    (city,) = compute_indicators(_inputs())
    ind = _by_id(city)
    # communities 1 and 2 hold a home-care station / street centre: 2 of 4 urban communities
    assert ind["3"]["exact"] == 50.0 and ind["3"]["detail"] == {"served": 2, "communities": 4}
    assert ind["3b"]["exact"] == 50.0
    # beds: 10 + 20 + 10 + 160 = 200 (the institution under construction is not counted) / 4200 elderly
    assert ind["4"]["detail"]["beds"] == 200
    assert ind["4"]["exact"] == pytest.approx(1000 * 200 / 4200, abs=1e-3)
    assert ind["5"]["exact"] == pytest.approx(100 * 80 / 200)
    # volunteer site flag in community 1 and a volunteer_site facility in community 3
    assert ind["6"]["detail"] == {"with_volunteer_site": 2, "facilities": 6}
    assert ind["8"]["exact"] == pytest.approx(100 * 4020 / 10400, abs=1e-3)
    assert ind["9"]["detail"] == {"towns_covered": 1, "towns": 2}
    assert ind["10"]["exact"] == 0.0
    assert ind["11"]["detail"] == {"units_covered": 1, "units": 2}
    assert ind["7"]["value"] == 1.2 and ind["2"]["value"] == 80
    assert ind["1"]["value"] is None and ind["12"]["value"] is None
    assert [i["number"] for i in city["indicators"]] == [1, 2, 3, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]


def test_planned_facilities_count_once_due():
    (city,) = compute_indicators(_inputs(2024), include_planned=True)
    assert _by_id(city)["4"]["detail"]["beds"] == 300
    (city,) = compute_indicators(_inputs(2022), include_planned=True)
    assert _by_id(city)["4"]["detail"]["beds"] == 200


def test_levels():
    towns = compute_indicators(_inputs(), level="town")
    assert [t["code"] for t in towns] == [fx.TOWN_A, fx.TOWN_B]
    a, b = (_by_id(t) for t in towns)
    assert a["3"]["exact"] == 50.0 and a["3b"]["exact"] is None
    assert b["3b"]["exact"] == 50.0 and b["9"]["exact"] == 0.0 and a["9"]["exact"] == 100.0
    comms = compute_indicators(_inputs(), level="community")
    assert len(comms) == 6  # the quasi-unit is not counted
    assert _by_id(comms[0])["3"]["exact"] == 100.0 and _by_id(comms[2])["3"]["exact"] == 0.0
    (district,) = compute_indicators(_inputs(), level="district")
    assert _by_id(district)["11"]["exact"] == 0.0  # the institution is the city's


def test_served_rule_is_configurable():
    served = pd.Series(True, index=fx.units()["code"])
    (city,) = compute_indicators(_inputs(), served=served)
    assert _by_id(city)["3"]["exact"] == 100.0


def test_progress_and_target():
    (city,) = compute_indicators(_inputs())
    ind = _by_id(city)
    # measured on the value at the plan's precision (48 beds), from the baseline (37) to the target (60)
    assert ind["4"]["value"] == 48
    assert ind["4"]["progress_pct"] == pytest.approx(100 * (48 - 37) / (60 - 37), abs=0.1)
    assert ind["4"]["met"] is False and ind["11"]["met"] is False


def test_floor_area_checks_list_the_communities_below_standard():
    df = floor_area_checks(fx.units(), fx.facilities(), year=2020).set_index("code")
    assert df.loc["150302001001", "meets"]  # 400 m² for 1000 households = 40/100
    assert df.loc["150302001002", "meets"]  # 700 m² for 2000 = 35/100
    assert not df.loc["150302001003", "meets"]  # 800 m² for 3000 = 26.7/100
    assert df.loc["150302001003", "problem"] == "26.7 m²/100 households < 30"
    assert df.loc["150302001004", "required_per_100hh"] == 50.0  # rebuilt: 1500/4000 = 37.5 < 50
    assert not df.loc["150302001004", "meets"]
    assert df.loc["150302100201", "meets"] and df.loc["150302100202", "meets"]


def test_indicator_frame_for_maps():
    towns = compute_indicators(_inputs(), level="community")
    gdf = indicator_frame(towns, fx.units())
    assert len(gdf) == 6 and "urban_elderly_coverage" in gdf.columns and gdf.crs == fx.units().crs


def test_bad_inputs():
    with pytest.raises(ValueError, match="level"):
        compute_indicators(_inputs(), level="province")
    no_crs = fx.units().set_crs(None, allow_override=True)
    with pytest.raises(ValueError, match="CRS"):
        compute_indicators(
            IndicatorInputs(2020, fx.CITY, "x", no_crs, fx.towns(), fx.districts(), fx.facilities())
        )


@pytest.mark.parametrize(
    ("x", "decimals", "expected"),
    [(65.714, 0, 66), (84.6, 0, 85), (92.5, 0, 93), (1.25, 1, 1.3), (36.88, 0, 37)],
)
def test_plan_rounding(x, decimals, expected):
    from facilities.indicators import round_half_up

    assert round_half_up(x, decimals) == expected
