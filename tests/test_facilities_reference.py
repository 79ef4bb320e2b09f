"""Reference step 5 on the real divisions of the base step: the plan's 2020 column comes out of the data."""

from __future__ import annotations

import pytest
from conftest import only_backends
from sqlalchemy import func
from sqlalchemy import select

from data.reference import DEFAULT_SEED
from data.reference import base
from data.reference import facilities as reference_facilities
from facilities import store
from facilities.indicators import compute_indicators
from facilities.indicators import floor_area_checks
from facilities.models import Facility
from facilities.models import PopulationStat


@pytest.mark.slow
@only_backends("spatialite")
def test_reference_facilities_reproduce_the_plan(session):
    base.load(session, actor="ref", rng_seed=DEFAULT_SEED)
    first = reference_facilities.load(session, actor="ref", rng_seed=DEFAULT_SEED)
    assert first["facilities_added"] == first["facilities"]
    inputs = store.indicator_inputs(session, year=2020)
    (city,) = compute_indicators(inputs)
    values = {i["id"]: i["value"] for i in city["indicators"]}
    assert values == {
        "1": None,
        "2": 80,
        "3": 66,
        "3b": 85,
        "4": 37,
        "5": 37,
        "6": values["6"],
        "7": 1.2,
        "8": 33,
        "9": 30,
        "10": 15,
        "11": 25,
        "12": None,
    }
    detail = {i["id"]: i["detail"] for i in city["indicators"]}
    assert detail["4"]["beds"] == 3354 and detail["5"]["nursing_beds"] == 1237
    assert detail["3"] == {"served": 46, "communities": 70} and detail["3b"] == {"served": 11, "villages": 13}
    fac = inputs.facilities
    kinds = fac["kind"].value_counts()
    assert (
        kinds["home_care_station"] == 46
        and kinds["street_elderly_center"] == 5
        and kinds["rural_elderly_center"] == 9
    )
    assert (
        kinds["mutual_aid_home"] == 2 and kinds["welfare_lottery"] == 129 and kinds["marriage_registry"] == 3
    )
    inst = fac[fac["kind"] == "elderly_institution"]
    assert (inst["status"] == "running").sum() == 9 and (inst["status"] == "under_construction").sum() == 3
    areas = fac.loc[fac["kind"] == "community_service", "floor_area_m2"]
    assert len(areas) == 83 and areas.min() >= 300
    assert ((areas < 500).sum(), ((areas >= 500) & (areas <= 1000)).sum(), (areas > 1000).sum()) == (
        28,
        29,
        26,
    )
    assert (fac["source"] == "synthetic").all()
    # every facility inside the community it names
    units = inputs.units.set_index("code")
    inside = [
        units.loc[c, "geometry"].contains(g) for c, g in zip(fac["division_code"], fac.geometry, strict=True)
    ]
    assert all(inside)
    checks = floor_area_checks(inputs.units, fac, year=2020)
    assert len(checks) == 83 and checks["problem"].notna().sum() == (~checks["meets"]).sum()
    years = session.scalars(select(PopulationStat.year).distinct().order_by(PopulationStat.year)).all()
    assert years == [2020, 2021, 2022, 2023, 2024, 2025]
    again = reference_facilities.load(session, actor="ref", rng_seed=DEFAULT_SEED)
    assert (again["facilities_added"], again["facilities_updated"], again["facilities_removed"]) == (0, 0, 0)
    assert session.scalar(select(func.count()).select_from(Facility)) == first["facilities"]
