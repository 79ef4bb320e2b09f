"""Service circles and road networks on the tiny inline city (no database)."""

from __future__ import annotations

import facilities_fixtures as fx
import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString
from shapely.geometry import Point

from facilities.circles import CircleRule
from facilities.circles import coverage
from facilities.circles import life_circles
from facilities.circles import residential_points
from facilities.circles import served_by_circles
from facilities.circles import service_areas
from facilities.circles import uncovered_areas
from facilities.network import build_network
from facilities.network import reach
from facilities.network import read_road_layer
from facilities.network import to_networkx
from gis.crs import METRIC_CRS


def test_network_is_noded_and_densified():
    net = build_network(fx.roads(), max_edge_m=100)
    assert net.lengths.max() <= 100.0 + 1e-6
    assert net.lengths.sum() == pytest.approx(4000 + 3500, rel=1e-9)
    import networkx as nx

    assert nx.number_connected_components(to_networkx(net)) == 1


def test_unnoded_crossing_lines_need_node():
    cross = gpd.GeoDataFrame(
        geometry=[LineString([(0, 537), (1000, 537)]), LineString([(537, 0), (537, 1000)])], crs=METRIC_CRS
    )
    import networkx as nx

    assert nx.number_connected_components(to_networkx(build_network(cross))) == 2
    assert nx.number_connected_components(to_networkx(build_network(cross, node=True))) == 1


def test_reach_adds_access_and_respects_the_limit():
    net = build_network(fx.roads())
    src = np.array([[fx.X0, fx.Y0 + 500]])
    targets = np.array(
        [[fx.X0 + 1000, fx.Y0 + 1500], [fx.X0 + 3000, fx.Y0 + 2030], [fx.X0 + 3900, fx.Y0 + 500]]
    )
    dist, which = reach(net, src, targets, limit_m=3500)
    assert dist[0] == pytest.approx(2000, abs=1e-6)  # 1000 along the street, 1000 up the lane
    assert np.isinf(dist[1]) and np.isinf(dist[2]) and list(which) == [0, -1, -1]
    far, _ = reach(net, src, targets, limit_m=5000)
    assert far[1] == pytest.approx(1000 + 1500 + 2000 + 30, abs=1e-6)  # street, lane, 30 m access
    assert far[2] == pytest.approx(3900, abs=1e-6)


def test_residential_points_keep_the_totals():
    pts = residential_points(fx.units(), households_per_point=50, seed=1)
    by_unit = pts.groupby("unit_code")[["households", "aged_60plus"]].sum()
    assert (
        by_unit.loc["150302001004", "households"] == 4000
        and by_unit.loc["150302100201", "aged_60plus"] == 100
    )
    assert len(pts) == (1000 + 2000 + 3000 + 4000 + 200 + 200) // 50
    units = fx.units().set_index("code")
    assert all(
        units.loc[c, "geometry"].contains(g) for c, g in zip(pts["unit_code"], pts.geometry, strict=True)
    )
    again = residential_points(fx.units(), households_per_point=50, seed=1)
    assert again.geometry.equals(pts.geometry)


@pytest.mark.parametrize("method", ["straight", "network"])
def test_coverage_per_community(method):
    pts = residential_points(fx.units(), households_per_point=20, seed=2)
    net = build_network(fx.roads()) if method == "network" else None
    rule = CircleRule(method=method, urban_minutes=15, rural_minutes=30)
    points, summary = coverage(fx.units(), fx.facilities(), pts, rule=rule, net=net)
    s = summary.set_index("unit_code")
    assert (s["households_covered"] + s["households_uncovered"] == s["households"]).all()
    # the stations stand in communities 1-2, 1000 m reach: community 4 (3000-4000 m east) is out of reach
    assert s.loc["150302001004", "households_covered"] == 0 and s.loc["150302001001", "covered_share"] > 0.5
    if method == "network":  # network distances are never shorter than straight lines
        straight, _ = coverage(fx.units(), fx.facilities(), pts, rule=CircleRule(), net=None)
        assert points["covered"].sum() <= straight["covered"].sum()
    assert points.loc[points["covered"], "facility_id"].notna().all()


def test_served_by_circles_feeds_the_indicator():
    pts = residential_points(fx.units(), households_per_point=20, seed=2)
    served = served_by_circles(fx.units(), fx.facilities(), pts, rule=CircleRule(urban_minutes=15))
    assert served["150302001001"] and not served["150302001004"]


@pytest.mark.parametrize("method", ["straight", "network"])
def test_service_areas_and_uncovered(method):
    fac = fx.facilities()
    fac = fac[fac["kind"] == "home_care_station"]
    net = build_network(fx.roads()) if method == "network" else None
    areas = service_areas(fac, limit_m=500, method=method, net=net)
    assert len(areas) == 1 and areas.crs == METRIC_CRS
    area = areas.geometry.iloc[0]
    assert area.contains(Point(fx.X0 + 500, fx.Y0 + 500)) and not area.contains(
        Point(fx.X0 + 1500, fx.Y0 + 500)
    )
    if method == "straight":
        assert area.area == pytest.approx(np.pi * 500**2, rel=0.01)
    gaps = uncovered_areas(fx.units(), areas).set_index("code")
    assert gaps.loc["150302001003", "area_m2"] == pytest.approx(1e6, rel=1e-6)  # untouched
    assert gaps.loc["150302001001", "area_m2"] < 1e6


def test_life_circles_and_rule_checks():
    fac = fx.facilities().iloc[:1]
    circles = life_circles(fac, rule=CircleRule())
    assert list(circles["minutes"]) == [5, 10, 15] and list(circles["limit_m"]) == [300, 500, 1000]
    assert CircleRule(rural_mode="drive", drive_kmh=30).limit_m(30, "drive") == 15000
    with pytest.raises(ValueError):
        CircleRule(method="teleport")


def test_read_road_layer_gpkg(tmp_path):
    path = tmp_path / "roads.gpkg"
    fx.roads().to_file(path, driver="GPKG")
    net = build_network(read_road_layer(path))
    assert net.lengths.sum() == pytest.approx(7500, rel=1e-6)
    with pytest.raises(ValueError, match="no such file"):
        read_road_layer(tmp_path / "missing.shp")
    bad = tmp_path / "bad.gpkg"
    bad.write_bytes(b"not a geopackage")
    with pytest.raises(ValueError, match="cannot read"):
        read_road_layer(bad)


def test_residential_points_follow_the_streets():
    pts = residential_points(fx.units(), households_per_point=50, seed=1, roads=fx.roads(), setback_m=40)
    near = pts.geometry.distance(fx.roads().union_all())
    on_street = pts["unit_code"].str.startswith("1503020010")  # the street crosses every urban community
    assert (near[on_street] <= 40 * 2**0.5 + 1e-6).all()
    assert pts.groupby("unit_code")["households"].sum().loc["150302001003"] == 3000


def test_catchments_partition_the_reached_streets():
    from facilities.circles import catchment_areas

    fac = fx.facilities()
    fac = fac[fac["kind"].isin(["home_care_station", "street_elderly_center"])]
    net = build_network(fx.roads())
    catch = catchment_areas(fac, net, limit_m=1000)
    areas = service_areas(fac, limit_m=1000, method="network", net=net)
    assert list(catch["id"]) == [1, 2]
    # each catchment lies inside its facility's full service area; together they cover both areas' streets
    for c, a in zip(catch.geometry, areas.geometry, strict=True):
        assert a.buffer(1).contains(c)
    assert catch.geometry.iloc[0].contains(Point(fx.X0 + 200, fx.Y0 + 500))
    assert catch.geometry.iloc[1].contains(Point(fx.X0 + 1800, fx.Y0 + 500))


OSM_XML = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="test">
  <node id="1" lat="39.650" lon="106.800" version="1"/>
  <node id="2" lat="39.650" lon="106.810" version="1"/>
  <node id="3" lat="39.660" lon="106.810" version="1"/>
  <node id="4" lat="39.660" lon="106.820" version="1"/>
  <way id="10" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="residential"/><tag k="name" v="人民路"/></way>
  <way id="11" version="1"><nd ref="3"/><nd ref="4"/><tag k="waterway" v="river"/></way>
</osm>
"""


def test_osm_extract_keeps_the_highways(tmp_path):
    # GDAL's OSM driver reads .osm XML and .pbf alike
    path = tmp_path / "extract.osm"
    path.write_text(OSM_XML, encoding="utf-8")
    roads = read_road_layer(path)
    assert list(roads["name"]) == ["人民路"] and roads.crs.to_epsg() == 4326
    net = build_network(roads)
    assert net.lengths.sum() == pytest.approx(860 + 1112, rel=0.02)  # 0.01° of longitude and of latitude


def test_layer_without_crs_is_refused(tmp_path):
    path = tmp_path / "roads.shp"
    fx.roads().to_file(path)
    path.with_suffix(".prj").unlink()
    with pytest.raises(ValueError, match="no CRS"):
        read_road_layer(path)
