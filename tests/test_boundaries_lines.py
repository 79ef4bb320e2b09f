"""Pure functions of boundaries.lines: shared edges, codes, compass words, descriptions."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import LineString
from shapely.geometry import Point
from shapely.geometry import box

from boundaries.lines import classify_pair
from boundaries.lines import compass_word
from boundaries.lines import derive_lines
from boundaries.lines import describe
from boundaries.lines import format_bearing
from boundaries.lines import orient


@pytest.mark.parametrize(
    ("bearing", "word"),
    [
        (0, "北"),
        (11.24, "北"),
        (11.25, "北偏东北"),
        (348.74, "北偏西北"),
        (348.75, "北"),
        (359.9, "北"),
        (22.5, "北偏东北"),
        (33.76, "东北"),
        (45, "东北"),
        (67.5, "东偏东北"),
        (90, "东"),
        (112.5, "东偏东南"),
        (135, "东南"),
        (157.5, "南偏东南"),
        (180, "南"),
        (202.5, "南偏西南"),
        (225, "西南"),
        (247.5, "西偏西南"),
        (270, "西"),
        (292.5, "西偏西北"),
        (315, "西北"),
        (337.5, "北偏西北"),
        (-90, "西"),
        (450, "东"),
    ],
)
def test_compass_word(bearing, word):
    assert compass_word(bearing) == word


def test_compass_word_refuses_nan():
    with pytest.raises(ValueError):
        compass_word(float("nan"))


def test_format_bearing():
    assert format_bearing(42.1) == "42°06′" and format_bearing(359.999) == "0°00′"


@pytest.mark.parametrize(
    ("a", "b", "level", "line_code", "line_name"),
    [
        ("150303000000", "640205000000", "provincial", "1564", "蒙宁线乌海段"),
        ("640221000000", "150303000000", "provincial", "1564", "蒙宁线乌海段"),
        ("150302000000", "150624000000", "city", "15031506", "乌鄂线"),
        ("152921000000", "150304000000", "city", "15031529", "乌阿线"),
        ("150303000000", "150302000000", "district", "150302150303", "海勃湾区—海南区界线"),
    ],
)
def test_classify_pair(a, b, level, line_code, line_name):
    names = {
        "150302000000": "海勃湾区",
        "150303000000": "海南区",
        "150304000000": "乌达区",
        "150624000000": "鄂托克旗",
        "152921000000": "阿拉善左旗",
        "640205000000": "惠农区",
        "640221000000": "平罗县",
    }
    ident = classify_pair(a, names[a], b, names[b])
    assert (ident.level, ident.line_code, ident.line_name) == (level, line_code, line_name)
    assert ident.code == "-".join(sorted([a[:6], b[:6]]))
    assert ident.agreement.startswith("《") and ident.agreement.endswith("行政区域界线协议书》")


def test_classify_pair_refuses_bad_codes():
    with pytest.raises(ValueError, match="12 digits"):
        classify_pair("1503", "x", "150303000000", "y")
    with pytest.raises(ValueError, match="two different"):
        classify_pair("150303000000", "x", "150303000000", "y")


def test_derive_lines_from_polygons():
    # three units side by side (about 8.5 km wide each at this latitude): two in the city, one neighbour
    gdf = gpd.GeoDataFrame(
        {
            "code": ["150302000000", "150303000000", "150624000000"],
            "name": ["海勃湾区", "海南区", "鄂托克旗"],
        },
        geometry=[
            box(106.7, 39.5, 106.8, 39.6),
            box(106.8, 39.5, 106.9, 39.6),
            box(106.9, 39.5, 107.0, 39.6),
        ],
        crs=4490,
    )
    lines = derive_lines(gdf)
    assert list(lines["code"]) == ["150302-150303", "150303-150624"]
    assert list(lines["level"]) == ["district", "city"]
    assert lines.crs.to_epsg() == 4490
    # a meridian segment of 0.1° latitude is about 11.1 km
    assert lines["length_km"].tolist() == pytest.approx([11.1, 11.1], abs=0.05)
    assert lines.geometry.iloc[0].equals(
        lines.geometry.iloc[0].__class__([LineString([(106.8, 39.5), (106.8, 39.6)])])
    ) or (lines.geometry.iloc[0].hausdorff_distance(LineString([(106.8, 39.5), (106.8, 39.6)])) < 1e-9)
    # corner contact only (no shared length) gives no line
    touch = gpd.GeoDataFrame(
        {"code": ["150302000000", "150304000000"], "name": ["a", "b"]},
        geometry=[box(0.0, 0.0, 1.0, 1.0), box(1.0, 1.0, 2.0, 2.0)],
        crs=4490,
    )
    assert derive_lines(touch).empty


def test_derive_lines_needs_crs():
    with pytest.raises(ValueError, match="no CRS"):
        derive_lines(gpd.GeoDataFrame({"code": [], "name": []}, geometry=[]))


def test_orient_west_east_and_north_south():
    assert orient(LineString([(2, 0), (0, 0.5)])).coords[0] == (0, 0.5)
    assert orient(LineString([(0, 0), (0.1, 2)])).coords[0] == (0.1, 2)


def test_describe_legs():
    line = gpd.GeoSeries([LineString([(106.8, 39.5), (106.8, 39.6), (106.9, 39.6)])], crs=4490)
    markers = gpd.GeoDataFrame(
        {"number": ["1564003Q", "1564001Q", "1564002Q"]},
        geometry=[Point(106.9, 39.6), Point(106.8, 39.5), Point(106.8, 39.6)],
        crs=4490,
    )
    legs = describe(line, markers)
    assert [(g["from"], g["to"]) for g in legs] == [("1564001Q", "1564002Q"), ("1564002Q", "1564003Q")]
    assert legs[0]["direction"] == "北" and legs[1]["direction"] == "东"
    assert legs[0]["along_m"] == pytest.approx(11100, rel=0.01)
    assert "1564001Q号界桩起" in legs[0]["text"] and "北方向" in legs[0]["text"]
