"""House-number assignment along a street centre line (pure, tiny inline GeoDataFrames)."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import LineString
from shapely.geometry import Point

from placenames.signs.numbering import NumberingRule
from placenames.signs.numbering import propose_numbers
from placenames.signs.numbering import street_line

X0, Y0 = 500000.0, 4400000.0


def _street(*coords):
    return gpd.GeoSeries([LineString([(X0 + x, Y0 + y) for x, y in coords])], crs=4545)


def _points(*xy, crs=4545, **columns):
    return gpd.GeoDataFrame(columns, geometry=[Point(X0 + x, Y0 + y) for x, y in xy], crs=crs)


EAST = _street((0, 0), (300, 0))  # drawn west to east: left is north
ENTRANCES = _points((10, 10), (20, -10), (40, 10), (50, -10), (120, 10), (250, -10))


def test_left_odd_right_even_ascending_from_start():
    out = propose_numbers(EAST, ENTRANCES)
    assert out["house_number"].tolist() == ["1", "2", "3", "4", "5", "6"]
    assert out["side"].tolist() == ["left", "right"] * 3
    assert (out["status"] == "new").all()


def test_right_odd_rule():
    out = propose_numbers(EAST, ENTRANCES, rule=NumberingRule(odd_side="right"))
    assert out["house_number"].tolist() == ["2", "1", "4", "3", "6", "5"]


def test_beijing_rule_numbers_east_to_west():
    out = propose_numbers(EAST, ENTRANCES, rule=NumberingRule(direction="beijing"))
    # running east→west, north is on the right: odd numbers go south (left), from the east end
    assert out.set_index(out.index)["house_number"].tolist() == ["6", "5", "4", "3", "2", "1"]
    assert out["position_m"].tolist() == [290.0, 280.0, 260.0, 250.0, 180.0, 50.0]


def test_beijing_rule_numbers_north_to_south():
    north = _street((0, 0), (0, 300))
    line = street_line(north, rule=NumberingRule(direction="beijing"))
    assert line.coords[0][1] > line.coords[-1][1]


def test_spacing_reserves_numbers_for_empty_frontage():
    out = propose_numbers(EAST, _points((5, 10), (65, 10), (70, 10)), rule=NumberingRule(spacing_m=20))
    assert out["house_number"].tolist() == ["1", "7", "9"]
    assert out["reserved"].tolist() == [[], [3, 5], []]


def test_insertion_uses_reserved_number_then_sub_numbers():
    existing = _points((10, 10), (30, 10), (90, 10), house_number=["1", "3", "7"])
    new = _points((20, 10), (50, 10), (25, 10))
    out = propose_numbers(EAST, new, existing=existing)
    assert out["house_number"].tolist() == ["1-1", "5", "1-2"]
    assert out.loc[0, "note"] == "inserted after 1"


@pytest.mark.parametrize(("style", "expected"), [("dash", "12-1"), ("fu", "12附1")])
def test_sub_number_style(style, expected):
    existing = _points((10, -10), (30, -10), house_number=["12", "14"])
    out = propose_numbers(EAST, _points((20, -10)), existing=existing, rule=NumberingRule(sub_style=style))
    assert out["house_number"].tolist() == [expected]


def test_entrance_at_existing_plate_keeps_its_number_and_conflict_before_first():
    existing = _points((10, 10), house_number=["1"])
    out = propose_numbers(EAST, _points((10.3, 10), (5, 10)), existing=existing)
    assert out["status"].tolist() == ["existing", "conflict"]
    assert out.loc[0, "house_number"] == "1"
    assert "no free number before 1" in out.loc[1, "note"]


def test_multi_segment_street_follows_first_segment_direction_and_inputs_untouched():
    segments = gpd.GeoSeries(
        [LineString([(X0 + 300, Y0), (X0 + 150, Y0)]), LineString([(X0, Y0), (X0 + 150, Y0)])], crs=4545
    )
    before = ENTRANCES.copy()
    out = propose_numbers(segments, ENTRANCES)
    assert out["position_m"].tolist()[0] == 290.0
    assert ENTRANCES.equals(before)


def test_other_crs_and_missing_crs():
    lonlat = ENTRANCES.to_crs(4490)
    out = propose_numbers(EAST.to_crs(4490), lonlat)
    assert out.crs == lonlat.crs
    assert out["house_number"].tolist() == ["1", "2", "3", "4", "5", "6"]
    with pytest.raises(ValueError, match="no CRS"):
        propose_numbers(EAST, gpd.GeoDataFrame(geometry=[Point(0, 0)]))


@pytest.mark.parametrize(
    "kwargs", [{"direction": "west"}, {"odd_side": "up"}, {"spacing_m": 0}, {"sub_style": "x"}]
)
def test_rule_validation(kwargs):
    with pytest.raises(ValueError):
        NumberingRule(**kwargs)


def test_existing_plate_keeps_its_own_text():
    existing = _points((10, 10), house_number=["1附1"])
    out = propose_numbers(EAST, _points((10.2, 10)), existing=existing)
    assert out["house_number"].tolist() == ["1附1"]
    assert out["status"].tolist() == ["existing"]
