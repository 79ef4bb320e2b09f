"""Siting (MCLP, set covering; exact and greedy) and what-if scenarios on the tiny city."""

from __future__ import annotations

import facilities_fixtures as fx
import geopandas as gpd
import numpy as np
import pytest
from scipy.sparse import csc_matrix
from shapely.geometry import Point

from facilities.circles import residential_points
from facilities.indicators import IndicatorInputs
from facilities.network import build_network
from facilities.siting import candidate_sites
from facilities.siting import coverage_matrix
from facilities.siting import mclp
from facilities.siting import set_cover
from facilities.whatif import Scenario
from facilities.whatif import apply_scenario
from facilities.whatif import compare_scenario
from gis.crs import METRIC_CRS
from gis.crs import transformer

# 4 demand points, 3 candidates: A covers 0,1; B covers 1,2; C covers 3
COVER = csc_matrix(np.array([[1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 1]], dtype=bool))


@pytest.mark.parametrize("solver", ["exact", "greedy"])
def test_mclp_small(solver):
    res = mclp(COVER, np.array([5.0, 1.0, 4.0, 3.0]), p=2, solver=solver)
    assert sorted(res.selected) == [0, 1] and res.objective == 10.0
    assert res.solver == ("cbc" if solver == "exact" else "greedy")
    if solver == "exact":
        assert res.gap == 0.0


def test_greedy_can_be_worse_and_reports_a_gap():
    # greedy takes the middle candidate B first (gain 6, tie with C) then C: 10; the optimum is A + C = 11
    cover = csc_matrix(
        np.array([[1, 1, 0], [1, 1, 0], [0, 1, 1], [0, 1, 1], [1, 0, 0], [0, 0, 1]], dtype=bool)
    )
    w = np.array([2.0, 2.0, 1.0, 1.0, 1.0, 4.0])
    exact = mclp(cover, w, p=2, solver="exact")
    greedy = mclp(cover, w, p=2, solver="greedy")
    assert exact.objective == 11.0 and exact.gap == 0.0
    assert greedy.objective == 10.0 and greedy.gap is not None and greedy.gap > 0


def test_set_cover_and_uncoverable():
    cover = csc_matrix(np.vstack([COVER.toarray(), np.zeros((1, 3), bool)]))
    res = set_cover(cover, solver="exact")
    assert sorted(res.selected) == [0, 1, 2] and res.objective == 3 and res.uncoverable_weight == 1
    greedy = set_cover(cover, solver="greedy")
    assert len(greedy.selected) == 3 and greedy.covered_weight == 4


@pytest.mark.parametrize("method", ["straight", "network"])
def test_siting_on_the_tiny_city(method):
    units = fx.units()
    urban = units[units["urban_rural"] == "urban"]
    demand = residential_points(urban, households_per_point=100, seed=3)
    cands = candidate_sites(urban, method="grid", spacing_m=500)
    assert len(cands) == 16
    net = build_network(fx.roads()) if method == "network" else None
    cover = coverage_matrix(cands, demand, limit_m=1000, method=method, net=net)
    res = set_cover(cover)
    assert res.covered_weight + res.uncoverable_weight == len(demand)
    covered_rows = np.asarray(cover[:, res.selected].sum(axis=1)).ravel() > 0
    assert covered_rows.sum() == res.covered_weight
    if method == "straight":
        assert res.uncoverable_weight == 0 and 2 <= len(res.selected) <= 4


def test_candidates():
    units = fx.units()
    assert len(candidate_sites(units)) == len(units)
    pts = gpd.GeoDataFrame(geometry=[Point(fx.X0 + 10, fx.Y0 + 10)], crs=METRIC_CRS)
    assert len(candidate_sites(units, method="points", points=pts)) == 1
    with pytest.raises(ValueError):
        candidate_sites(units, method="hexagons")


def _inputs() -> IndicatorInputs:
    return IndicatorInputs(
        2020, fx.CITY, "乌海市", fx.units(), fx.towns(), fx.districts(), fx.facilities(), fx.entries()
    )


def test_whatif_add_move_remove():
    lon, lat = transformer(4545, 4490).transform(fx.X0 + 3500, fx.Y0 + 500)
    scenario = Scenario(
        add=[
            {
                "kind": "home_care_station",
                "name": "新站",
                "lon": lon,
                "lat": lat,
                "beds": 20,
                "nursing_beds": 10,
            }
        ],
        remove=[2],
    )
    (city,) = compare_scenario(_inputs(), scenario)
    ind = {i["id"]: i for i in city["indicators"]}
    # community 4 gains a station, community 2 loses its street centre: still 2 of 4
    assert ind["3"]["before_exact"] == 50.0 and ind["3"]["after_exact"] == 50.0
    assert ind["4"]["change"] == pytest.approx(1000 * (20 - 20) / 4200)
    lon2, lat2 = transformer(4545, 4490).transform(fx.X0 + 2500, fx.Y0 + 500)
    (city,) = compare_scenario(_inputs(), Scenario(move={1: (lon2, lat2)}))
    ind = {i["id"]: i for i in city["indicators"]}
    assert ind["3"]["after_exact"] == 50.0  # moved from community 1 to 3
    original = fx.facilities()
    apply_scenario(original, scenario, year=2020)
    assert len(original) == 15  # input untouched
    with pytest.raises(ValueError, match="not found"):
        apply_scenario(original, Scenario(remove=[999]), year=2020)
    with pytest.raises(ValueError, match="swapped"):
        apply_scenario(
            original, Scenario(add=[{"kind": "home_care_station", "lon": lat, "lat": lon}]), year=2020
        )
