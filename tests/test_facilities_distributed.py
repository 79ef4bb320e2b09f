"""The circles on Dask give the single-process answers: every number and geometry, on the reference city."""

from __future__ import annotations

import facilities_fixtures as fx
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from facilities import circles
from facilities import distributed
from facilities import planning
from facilities.circles import CircleRule
from facilities.network import build_network
from gis.errors import InvalidInput


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The reference city (steps base + facilities) in a SpatiaLite file, and a session on it."""
    from data import schema
    from data.reference import load_reference
    from gis.db import make_engine
    from gis.db import make_session_factory

    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('ref') / 'wuhai.sqlite'}")
    schema.upgrade(engine)
    with make_session_factory(engine)() as session:
        load_reference(session, actor="test", steps=["base", "facilities"])
        session.commit()
        yield session
    engine.dispose()


@pytest.fixture(scope="module")
def cluster():
    from distributed import Client
    from distributed import LocalCluster

    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0") as lc,
        Client(lc) as client,
    ):
        yield client


def _inputs(session):
    from facilities import store
    from facilities.indicators import active_facilities
    from facilities.indicators import counted_units
    from facilities.kinds import RURAL_ELDERLY_KINDS
    from facilities.kinds import URBAN_ELDERLY_KINDS
    from gis.roads import roads_gdf

    units = counted_units(store.units_gdf(session, year=2020))
    fac = active_facilities(store.facilities_gdf(session), 2020)
    fac = fac[fac["kind"].isin(set(URBAN_ELDERLY_KINDS) | set(RURAL_ELDERLY_KINDS))]
    pts = circles.residential_points(units, seed=0, roads=roads_gdf(session))
    return units, fac, pts


def assert_same_frames(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Equal columns and values, and geometries equal vertex by vertex."""
    pd.testing.assert_frame_equal(
        pd.DataFrame(a).drop(columns="geometry", errors="ignore").reset_index(drop=True),
        pd.DataFrame(b).drop(columns="geometry", errors="ignore").reset_index(drop=True),
    )
    if isinstance(a, gpd.GeoDataFrame):
        assert a.crs == b.crs
        assert shapely.equals_exact(a.geometry.values, b.geometry.values, tolerance=0).all()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("where", "method"),
    [("in-process", "network"), ("cluster", "network"), ("cluster", "straight"), ("env", "straight")],
)
def test_reference_city_gives_the_single_process_answers(reference, cluster, monkeypatch, method, where):
    rule = CircleRule(method=method)
    single = planning.circle_analysis(reference, year=2020, rule=rule, life=True)
    units, fac, pts = _inputs(reference)
    net = planning.load_network(reference) if method == "network" else None
    scheduler = cluster.scheduler.address if where == "cluster" else None
    if where == "env":
        monkeypatch.setenv(distributed.SCHEDULER_ENV, cluster.scheduler.address)
    layers = distributed.circle_layers(units, fac, pts, rule=rule, net=net, life=True, scheduler=scheduler)
    assert len(layers.points) > 4000 and len(layers.summary) == len(units) > 80
    assert_same_frames(single.points, layers.points)
    assert_same_frames(single.summary, layers.summary)
    assert_same_frames(single.areas, layers.areas)
    assert_same_frames(single.uncovered, layers.uncovered)
    assert single.life_circles == layers.life_circles
    assert layers.summary["households_covered"].sum() > 0 and len(layers.uncovered) > 0


@pytest.mark.parametrize("method", ["straight", "network"])
@pytest.mark.parametrize("by", ["district", "town", "unit"])
def test_any_partition_gives_the_same_coverage(method, by):
    units, fac = fx.units(), fx.facilities()
    pts = circles.residential_points(units, households_per_point=20, seed=2)
    net = build_network(fx.roads()) if method == "network" else None
    rule = CircleRule(method=method, urban_minutes=15, rural_minutes=30)
    p1, s1 = circles.coverage(units, fac, pts, rule=rule, net=net)
    p2, s2 = distributed.coverage(units, fac, pts, rule=rule, net=net, by=by)
    assert_same_frames(p1, p2)
    assert_same_frames(s1, s2)
    a1 = circles.service_areas(fac, limit_m=500, method=method, net=net)
    a2 = distributed.service_areas(fac, units, limit_m=500, method=method, net=net, by=by)
    assert_same_frames(a1, a2)
    assert_same_frames(circles.uncovered_areas(units, a1), distributed.uncovered_areas(units, a2, by=by))


def test_a_local_cluster_of_workers(monkeypatch):
    monkeypatch.delenv(distributed.SCHEDULER_ENV, raising=False)
    units, fac = fx.units(), fx.facilities()
    pts = circles.residential_points(units, households_per_point=20, seed=2)
    rule = CircleRule(method="straight")
    _p, s1 = circles.coverage(units, fac, pts, rule=rule)
    with distributed.dask_scheduler(workers=2, processes=False) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        _p, s2 = distributed.coverage(units, fac, pts, rule=rule, scheduler=client)
    assert_same_frames(s1, s2)


def test_refusals():
    with pytest.raises(InvalidInput), distributed.dask_scheduler(workers=0):
        pass
    with pytest.raises(InvalidInput):
        distributed.coverage(
            fx.units(),
            fx.facilities(),
            circles.residential_points(fx.units()),
            rule=CircleRule(),
            by="street",
        )
    with pytest.raises(InvalidInput):
        distributed.service_areas(fx.facilities(), fx.units(), limit_m=500, method="network")


def test_no_facilities_covers_nobody():
    units = fx.units()
    pts = circles.residential_points(units, households_per_point=50, seed=1)
    points, summary = distributed.coverage(units, fx.facilities().iloc[:0], pts, rule=CircleRule())
    assert not points["covered"].any() and np.isinf(points["distance_m"]).all()
    assert summary["households_covered"].sum() == 0
