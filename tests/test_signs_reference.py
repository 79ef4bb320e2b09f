"""The reference sign layout agrees with the audit: clean plates and signs give no findings (pure)."""

from __future__ import annotations

import random

import geopandas as gpd
import pandas as pd
from shapely.geometry import LineString
from shapely.geometry import box

from data.reference.signs_gen import building_sites
from data.reference.signs_gen import plate_sites
from data.reference.signs_gen import street_sign_sites
from placenames.signs.audit import intersection_findings
from placenames.signs.audit import plate_findings

X0, Y0 = 36_400_000.0, 4_390_000.0


def _grid(n: int = 4, step: float = 300.0) -> gpd.GeoDataFrame:
    rows = []
    for i in range(n):
        for j in range(n - 1):
            rows.append((f"东西{i}路", (X0 + j * step, Y0 + i * step), (X0 + (j + 1) * step, Y0 + i * step)))
            rows.append((f"南北{i}街", (X0 + i * step, Y0 + (j + 1) * step), (X0 + i * step, Y0 + j * step)))
    return gpd.GeoDataFrame(
        {
            "name": [r[0] for r in rows],
            "road_class": "street",
            "street_key": [f"150302000000:{r[0]}" for r in rows],
        },
        geometry=[LineString([r[1], r[2]]) for r in rows],
        crs=3857,
    ).set_crs(4545, allow_override=True)


def _points(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        frame.assign(id=range(len(frame))), geometry=gpd.points_from_xy(frame["x"], frame["y"]), crs=4545
    )


def test_generated_plates_pass_the_audit_without_flaws():
    roads = _grid()
    plates = plate_sites(roads, spacing_m=30.0, rng=random.Random(1), bare_streets=0, flaw_share=0.0)
    assert set(plates["side"]) == {"left", "right"}
    assert (plates.loc[plates["side"] == "left", "number"] % 2 == 1).all()
    assert plate_findings(roads, _points(plates)).empty


def test_generated_flaws_are_found():
    roads = _grid()
    plates = plate_sites(roads, spacing_m=30.0, rng=random.Random(2), bare_streets=1, flaw_share=0.05)
    kinds = set(plate_findings(roads, _points(plates))["kind"])
    assert {"street_without_plates", "duplicate_number", "wrong_side", "number_gap"} <= kinds


def test_generated_street_signs_cover_every_node():
    roads = _grid()
    signs = street_sign_sites(roads, rng=random.Random(3), skip_share=0.0)
    assert intersection_findings(roads, _points(signs)).empty
    fewer = street_sign_sites(roads, rng=random.Random(3), skip_share=0.3)
    assert not intersection_findings(roads, _points(fewer)).empty


def test_building_sites_reach_the_count_and_number_per_estate():
    communities = gpd.GeoDataFrame(
        {"code": ["150302001001", "150302001002"]},
        geometry=[box(X0, Y0, X0 + 500, Y0 + 500), box(X0 + 600, Y0, X0 + 900, Y0 + 300)],
        crs=4545,
    )
    estates = {"150302001001": [("福海小区", X0 + 250, Y0 + 250)]}
    sites = building_sites(communities, count=200, rng=random.Random(4), estates=estates)
    assert len(sites) == 200
    first = sites[(sites["estate"] == "福海小区") & (sites["kind"] == "building")]["house_number"].astype(int)
    assert first.tolist() == list(range(1, len(first) + 1))
    assert sites.loc[sites["kind"] == "unit", "house_number"].str.match(r"^\d+-\d$").all()
