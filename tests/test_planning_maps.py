"""What a planned change does to the service circles, as the what-if and siting maps draw it (both backends)."""

from __future__ import annotations

import facilities_fixtures as fx
import pytest

from facilities import planning
from facilities import store
from facilities.whatif import Scenario
from gis.crs import METRIC_CRS
from gis.crs import transformer


@pytest.fixture
def city(session):
    fx.seed_divisions(session)
    fx.seed_facilities_and_entries(session, actor="t")
    return session


def _lonlat(x: float, y: float) -> tuple[float, float]:
    return transformer(4545, 4490).transform(fx.X0 + x, fx.Y0 + y)


def _km2(layer) -> float:
    return float(layer.to_crs(METRIC_CRS).area.sum()) / 1e6


def test_an_added_station_covers_new_ground_and_a_removed_one_leaves_a_gap(city):
    station = store.facilities_gdf(city, kinds=["home_care_station"]).iloc[0]  # at (500, 500), community 1
    lon, lat = _lonlat(3500, 500)  # the middle of community 4, far from every station
    scenario = Scenario(
        add=[{"kind": "home_care_station", "lon": lon, "lat": lat}], remove=[int(station["id"])]
    )
    layers = planning.coverage_change(
        city, year=2024, kinds=["home_care_station"], scenario=scenario, radius_m=300
    )
    assert len(layers["proposed"]) == 1 and len(layers["removed"]) == 1 and len(layers["facilities"]) == 0
    assert all(layer.crs.to_epsg() == 4490 for key, layer in layers.items() if hasattr(layer, "crs"))
    # The new circle (300 m, inside community 4) is all new ground; the old one's ground is lost.
    circle = 3.14159 * 0.3**2
    assert _km2(layers["newly_covered"]) == pytest.approx(circle, rel=0.02)
    assert _km2(layers["no_longer_covered"]) == pytest.approx(circle, rel=0.02)
    assert layers["uncovered_km2"]["after"] == pytest.approx(layers["uncovered_km2"]["before"], abs=0.02)
    assert (
        layers["newly_covered"]
        .to_crs(METRIC_CRS)
        .geometry.iloc[0]
        .contains(layers["proposed"].to_crs(METRIC_CRS).geometry.iloc[0])
    )


def test_no_change_draws_nothing_new(city):
    layers = planning.coverage_change(
        city, year=2024, kinds=["home_care_station"], scenario=Scenario(), radius_m=300
    )
    assert len(layers["proposed"]) == len(layers["removed"]) == 0
    assert layers["newly_covered"].empty and layers["no_longer_covered"].empty
    assert len(layers["facilities"]) == len(layers["areas"]) == 1
    assert layers["uncovered_km2"]["after"] == layers["uncovered_km2"]["before"] > 0


def test_the_legend_names_new_ground_only_when_there_is_some(city, tmp_path):
    from webmap import create_app
    from webmap import maps

    lon, lat = _lonlat(-5000, -5000)  # outside every community: covers nothing counted
    outside = planning.coverage_change(city, year=2024, kinds=["home_care_station"], radius_m=300,
                                       scenario=Scenario(add=[{"kind": "home_care_station", "lon": lon,
                                                                "lat": lat}]))  # fmt: skip
    lon, lat = _lonlat(3500, 500)
    inside = planning.coverage_change(city, year=2024, kinds=["home_care_station"], radius_m=300,
                                      scenario=Scenario(add=[{"kind": "home_care_station", "lon": lon,
                                                               "lat": lat}]))  # fmt: skip
    assert outside["newly_covered"].empty and not inside["newly_covered"].empty
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'w.sqlite'}",
                      "INSTANCE_PATH": str(tmp_path / "i"), "BABEL_DEFAULT_LOCALE": "en"})  # fmt: skip
    with app.test_request_context("/"):
        html_out = maps.change_map(outside, title="t", proposed_label="Added").get_root().render()
        html_in = maps.change_map(inside, title="t", proposed_label="Added").get_root().render()
    assert "Newly covered" not in html_out and "Newly covered" in html_in
