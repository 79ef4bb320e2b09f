"""Topology checks on tiny inline layers (pure)."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import LineString
from shapely.geometry import MultiLineString
from shapely.geometry import Point
from shapely.geometry import box

from boundaries.topology import check_inside
from boundaries.topology import check_lines
from boundaries.topology import check_markers
from boundaries.topology import check_tiling

CITY = box(106.7, 39.5, 106.9, 39.6)


def units(*geoms, codes=("150302000000", "150303000000")):
    return gpd.GeoDataFrame(
        {
            "code": list(codes[: len(geoms)]),
            "name": ["甲", "乙"][: len(geoms)],
            "parent_code": ["150300000000"] * len(geoms),
        },
        geometry=list(geoms),
        crs=4490,
    )


def parent():
    return gpd.GeoDataFrame({"code": ["150300000000"], "name": ["乌海市"]}, geometry=[CITY], crs=4490)


def test_exact_tiling_has_no_findings():
    kids = units(box(106.7, 39.5, 106.8, 39.6), box(106.8, 39.5, 106.9, 39.6))
    assert check_tiling(parent(), kids).empty
    assert check_inside(kids, CITY).empty


def test_gap_and_overlap_are_located_and_measured():
    # a 0.001° (about 86 m) wide gap, and a 0.001° overlap elsewhere
    gap = units(box(106.7, 39.5, 106.799, 39.6), box(106.8, 39.5, 106.9, 39.6))
    found = check_tiling(parent(), gap)
    assert list(found["check"]) == ["gap"]
    assert found["measure"].iloc[0] == pytest.approx(86 * 11_100, rel=0.03)
    assert found.crs.to_epsg() == 4490 and found.geometry.iloc[0].centroid.x == pytest.approx(
        106.7995, abs=1e-4
    )
    overlap = units(box(106.7, 39.5, 106.801, 39.6), box(106.8, 39.5, 106.9, 39.6))
    found = check_tiling(parent(), overlap)
    assert sorted(found["check"]) == ["overlap"] and found["subject"].iloc[0] == "150302000000/150303000000"
    # below the tolerance nothing is reported
    assert check_tiling(parent(), overlap, tolerance_m2=2_000_000).empty


def test_unit_outside_city():
    kids = units(box(106.7, 39.5, 106.8, 39.61), box(106.8, 39.5, 106.9, 39.6))
    found = check_inside(kids, CITY)
    assert list(found["check"]) == ["outside_city"] and found["subject"].iloc[0] == "150302000000"


def test_lines_must_follow_shared_edges():
    kids = units(box(106.7, 39.5, 106.8, 39.6), box(106.8, 39.5, 106.9, 39.6))
    good = gpd.GeoDataFrame(
        {"code": ["150302-150303"], "left_code": ["150302000000"], "right_code": ["150303000000"]},
        geometry=[MultiLineString([[(106.8, 39.5), (106.8, 39.6)]])],
        crs=4490,
    )
    assert check_lines(good, kids).empty
    moved = good.set_geometry([MultiLineString([[(106.801, 39.5), (106.801, 39.6)]])], crs=4490)
    found = check_lines(moved, kids)
    assert list(found["check"]) == ["line_mismatch"] and found["measure"].iloc[0] == pytest.approx(86, abs=2)
    missing = good.iloc[0:0]
    assert list(check_lines(missing, kids)["check"]) == ["edge_without_line"]


def test_markers_on_their_line():
    lines = gpd.GeoDataFrame({"id": [1]}, geometry=[LineString([(106.8, 39.5), (106.8, 39.6)])], crs=4490)
    markers = gpd.GeoDataFrame(
        {
            "number": ["1564001Q", "1564002Q", "1564003A", "1564004Q"],
            "line_id": [1, 1, 1, 9],
            "marker_type": ["Q", "Q", "A", "Q"],
        },
        geometry=[Point(106.8, 39.55), Point(106.8003, 39.56), Point(106.8002, 39.57), Point(106.8, 39.58)],
        crs=4490,
    )
    found = check_markers(markers, lines)
    assert sorted(zip(found["check"], found["subject"], strict=True)) == [
        ("marker_off_line", "1564002Q"),
        ("marker_without_line", "1564004Q"),
    ]
