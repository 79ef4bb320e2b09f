"""Coverage, service circles and uncovered areas on Dask, partitioned by division (same answers as circles)."""

from __future__ import annotations

import os
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field

import dask
import dask.dataframe as dd
import dask_geopandas  # noqa: F401  (registers the GeoDataFrame backend of dask.dataframe)
import geopandas as gpd
import numpy as np
import pandas as pd

from facilities import partitions as parts_
from facilities.circles import CircleRule
from facilities.circles import summarise_coverage
from facilities.kinds import RURAL_ELDERLY_KINDS
from facilities.kinds import URBAN_ELDERLY_KINDS
from facilities.network import Network
from gis.crs import METRIC_CRS
from gis.crs import require_crs
from gis.errors import InvalidInput

#: Environment variable naming a running Dask scheduler (``tcp://host:port``).
SCHEDULER_ENV = "DASK_SCHEDULER_ADDRESS"
#: Dask's in-process schedulers, accepted as ``scheduler`` besides an address or a client.
LOCAL_SCHEDULERS = ("threads", "sync", "synchronous")


@dataclass
class CircleLayers:
    """Everything a circle analysis computes: points, per-unit summary, service areas, gaps, life circles."""

    points: gpd.GeoDataFrame
    summary: pd.DataFrame
    areas: gpd.GeoDataFrame
    uncovered: gpd.GeoDataFrame
    life_circles: dict = field(default_factory=dict)


@contextmanager
def dask_scheduler(
    *, workers: int | None = None, scheduler: str | None = None, processes: bool = True
) -> Iterator[object]:
    """Where the partitions run: in-process threads, a local cluster of ``workers``, or a scheduler.

    ``scheduler`` (or, when neither option is given, ``DASK_SCHEDULER_ADDRESS``) names a running
    scheduler; ``workers`` starts a local cluster of that many single-threaded workers for the
    duration. Yields what ``dask.compute(scheduler=...)`` takes.
    """
    if workers is not None and workers < 1:
        raise InvalidInput("workers must be at least 1", field="workers")
    address = scheduler or (None if workers else os.environ.get(SCHEDULER_ENV) or None)
    if address is None and not workers:
        yield "threads"
        return
    from distributed import Client
    from distributed import LocalCluster

    if address:
        with Client(address) as client:
            yield client
        return
    with (
        LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=processes, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def coverage(
    units: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    points: gpd.GeoDataFrame,
    *,
    rule: CircleRule,
    net: Network | None = None,
    by: str = "town",
    workers: int | None = None,
    scheduler: str | object | None = None,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """:func:`facilities.circles.coverage` run per partition (points by ``by`` division of their unit).

    Each partition gets the facilities and road nodes within the service radius of its points'
    envelope; facilities are snapped to the whole network first, so distances are the same.
    """
    require_crs(facilities, name="facilities")
    pts = points.to_crs(METRIC_CRS).copy()
    fac = facilities.to_crs(METRIC_CRS)
    with _using(workers, scheduler) as run:
        pts["distance_m"], pts["facility_id"] = _covered_by_area(pts, fac, rule=rule, net=net, by=by, run=run)
    pts["covered"] = np.isfinite(pts["distance_m"].to_numpy())
    return pts, summarise_coverage(units, pts, min_share=rule.min_share)


def nearest_reach(
    facilities: gpd.GeoDataFrame,
    points: gpd.GeoDataFrame,
    *,
    limit_m: float,
    method: str = "straight",
    net: Network | None = None,
    by: str = "town",
    workers: int | None = None,
    scheduler: str | object | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`facilities.circles.nearest_reach` per partition of the points (by their ``unit_code``)."""
    with _using(workers, scheduler) as run:
        return _reach(_xy(facilities), points, limit_m=limit_m, method=method, net=net, by=by, run=run)


def service_areas(
    facilities: gpd.GeoDataFrame,
    units: gpd.GeoDataFrame,
    *,
    limit_m: float,
    method: str = "straight",
    net: Network | None = None,
    buffer_m: float = 50.0,
    by: str = "town",
    workers: int | None = None,
    scheduler: str | object | None = None,
) -> gpd.GeoDataFrame:
    """:func:`facilities.circles.service_areas` with the facilities partitioned by the division nearest them."""
    fac = facilities.to_crs(METRIC_CRS)
    if method == "network" and net is None:
        raise InvalidInput("method 'network' needs a road network", field="method")
    xy = _xy(fac)
    keys = _nearest_unit_keys(xy, units, by=by)
    use_net = net if method == "network" else None
    snapped = net.nearest_nodes(xy) if use_net is not None else None
    payload = parts_.area_parts(keys, xy, limit_m=limit_m, buffer_m=buffer_m, net=use_net, snapped=snapped)
    with _using(workers, scheduler) as run:
        pos, geoms = _gather(run, parts_.area_task, payload, len(fac))
    keep = [c for c in ("id", "kind", "name") if c in fac.columns]
    out = gpd.GeoDataFrame(fac[keep].reset_index(drop=True), geometry=list(geoms), crs=METRIC_CRS)
    out["limit_m"] = limit_m
    out["method"] = method
    return out


def uncovered_areas(
    units: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    *,
    by: str = "town",
    workers: int | None = None,
    scheduler: str | object | None = None,
) -> gpd.GeoDataFrame:
    """:func:`facilities.circles.uncovered_areas` per partition of the units (areas near each partition)."""
    u = units.to_crs(METRIC_CRS)
    geoms = u.geometry.values.to_numpy() if hasattr(u.geometry.values, "to_numpy") else np.asarray(u.geometry)
    area_geoms = np.asarray(areas.to_crs(METRIC_CRS).geometry.values, dtype=object)
    payload = parts_.gap_parts(
        parts_.partition_keys(u["code"], by=by), np.asarray(geoms, dtype=object), area_geoms
    )
    with _using(workers, scheduler) as run:
        _pos, rest = _gather(run, parts_.gap_task, payload, len(u))
    out = gpd.GeoDataFrame(
        {"code": u["code"].to_numpy(), "name": u["name"].to_numpy() if "name" in u else u["code"].to_numpy()},
        geometry=list(rest),
        crs=METRIC_CRS,
    )
    out = out[~out.geometry.is_empty].copy()
    out["area_m2"] = out.geometry.area.round(0)
    return out


def circle_layers(
    units: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    points: gpd.GeoDataFrame,
    *,
    rule: CircleRule,
    net: Network | None = None,
    life: bool = False,
    by: str = "town",
    workers: int | None = None,
    scheduler: str | None = None,
) -> CircleLayers:
    """A whole circle analysis on one Dask scheduler: coverage, urban and rural areas, gaps, life circles.

    ``facilities`` are the running elderly-care facilities; the layers are those of
    ``facilities.planning.circle_analysis``.
    """
    with dask_scheduler(workers=workers, scheduler=scheduler) as sched:
        opts = {"by": by, "scheduler": sched}
        pts, summary = coverage(units, facilities, points, rule=rule, net=net, **opts)
        urban_fac = facilities[facilities["kind"].isin(URBAN_ELDERLY_KINDS)]
        circles = [
            ("urban", urban_fac, rule.limit_m(rule.urban_minutes)),
            ("rural", facilities, rule.limit_m(rule.rural_minutes, rule.rural_mode)),
        ]
        areas, gaps = [], []
        for name, fac, limit in circles:
            layer = service_areas(fac, units, limit_m=limit, method=rule.method, net=net, **opts)
            areas.append(layer.assign(circle=name))
            part = units[units["urban_rural"] == name]
            gaps.append(uncovered_areas(part, layer, **opts).assign(urban_rural=name))
        counts = {}
        if life:
            urban_pts = pts[pts["urban_rural"] == "urban"]
            for minutes in sorted(rule.life_circles_m):
                limit = rule.limit_m(minutes)
                layer = service_areas(urban_fac, units, limit_m=limit, method=rule.method, net=net, **opts)
                areas.append(layer.assign(circle=f"{minutes}min"))
                dist, _ = nearest_reach(
                    urban_fac, urban_pts, limit_m=limit, method=rule.method, net=net, **opts
                )
                inside = np.isfinite(dist)
                counts[f"{minutes}min"] = {
                    "limit_m": limit,
                    "households_covered": int(urban_pts["households"].to_numpy()[inside].sum()),
                    "elderly_covered": int(urban_pts["aged_60plus"].to_numpy()[inside].sum()),
                }
    return CircleLayers(
        points=pts,
        summary=summary,
        areas=gpd.GeoDataFrame(pd.concat(areas, ignore_index=True), crs=METRIC_CRS),
        uncovered=gpd.GeoDataFrame(pd.concat(gaps, ignore_index=True), crs=METRIC_CRS),
        life_circles=counts,
    )


def _covered_by_area(
    pts, fac, *, rule: CircleRule, net, by: str, run
) -> tuple[np.ndarray, pd.arrays.IntegerArray]:
    dist = np.full(len(pts), np.inf)
    fid = np.zeros(len(pts), dtype=np.int64)
    missing = np.ones(len(pts), dtype=bool)
    ids = fac["id"].to_numpy() if "id" in fac else np.arange(len(fac))
    rural_kinds = tuple(set(URBAN_ELDERLY_KINDS) | set(RURAL_ELDERLY_KINDS))
    for area, kinds, minutes, mode in (
        ("urban", URBAN_ELDERLY_KINDS, rule.urban_minutes, "walk"),
        ("rural", rural_kinds, rule.rural_minutes, rule.rural_mode),
    ):
        sel = (pts["urban_rural"] == area).to_numpy()
        fsel = fac["kind"].isin(kinds).to_numpy()
        if not sel.any():
            continue
        d, idx = _reach(
            _xy(fac[fsel]),
            pts[sel],
            limit_m=rule.limit_m(minutes, mode),
            method=rule.method,
            net=net,
            by=by,
            run=run,
        )
        dist[sel] = d
        ok = idx >= 0
        sub = np.zeros(len(idx), dtype=np.int64)
        sub[ok] = ids[fsel][idx[ok]]
        fid[sel] = sub
        missing[sel] = ~ok
    return dist, pd.arrays.IntegerArray(fid, missing)


def _reach(f_xy, points, *, limit_m: float, method: str, net, by: str, run) -> tuple[np.ndarray, np.ndarray]:
    p_xy = _xy(points)
    if len(f_xy) == 0:
        return np.full(len(p_xy), np.inf), np.full(len(p_xy), -1)
    if method == "network" and net is None:
        raise InvalidInput("method 'network' needs a road network", field="method")
    use_net = net if method == "network" else None
    snapped = net.nearest_nodes(f_xy) if use_net is not None else None
    keys = parts_.partition_keys(points["unit_code"], by=by)
    payload = parts_.reach_parts(keys, p_xy, f_xy, limit_m=limit_m, net=use_net, snapped=snapped)
    meta = pd.DataFrame(
        {"pos": np.empty(0, np.int64), "distance_m": np.empty(0), "fpos": np.empty(0, np.int64)}
    )
    frame = run(parts_.reach_task, payload, meta)
    dist = np.full(len(p_xy), np.inf)
    src = np.full(len(p_xy), -1, dtype=np.int64)
    if len(frame):
        pos = frame["pos"].to_numpy()
        dist[pos] = frame["distance_m"].to_numpy()
        src[pos] = frame["fpos"].to_numpy()
    return dist, src


@contextmanager
def _using(workers, scheduler) -> Iterator[Callable]:
    """A runner ``run(task, payloads, meta) -> DataFrame`` on the given or a newly opened scheduler."""
    if scheduler in LOCAL_SCHEDULERS or (scheduler is not None and not isinstance(scheduler, str)):
        yield _runner(scheduler)
        return
    with dask_scheduler(workers=workers, scheduler=scheduler) as sched:
        yield _runner(sched)


def _runner(sched) -> Callable:
    def run(task, payloads, meta):
        if not payloads:
            return meta
        if hasattr(sched, "scatter"):
            payloads = sched.scatter(payloads, hash=False)
        frame = dd.from_delayed([dask.delayed(task)(p) for p in payloads], meta=meta, verify_meta=False)
        return frame.compute(scheduler=sched)

    run.scheduler = sched
    return run


def _gather(run, task, payload, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Run a task returning one geometry per payload row; geometries back in the original order."""
    meta = gpd.GeoDataFrame({"pos": np.empty(0, np.int64)}, geometry=[], crs=METRIC_CRS)
    frame = run(_as_frame(task), payload, meta)
    geoms = np.empty(n, dtype=object)
    pos = frame["pos"].to_numpy()
    geoms[pos] = np.asarray(frame.geometry.values, dtype=object)
    return pos, geoms


def _as_frame(task):
    return _FrameTask(task)


class _FrameTask:
    """A geometry-list task wrapped to return a GeoDataFrame (picklable, unlike a closure)."""

    def __init__(self, task) -> None:
        self.task = task

    def __call__(self, part) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame({"pos": part.pos}, geometry=list(self.task(part)), crs=METRIC_CRS)


def _nearest_unit_keys(xy: np.ndarray, units: gpd.GeoDataFrame, *, by: str) -> np.ndarray:
    """The partition key of the unit nearest each point (the one containing it when there is one)."""
    if len(xy) == 0:
        return np.empty(0, dtype=str)
    u = units.to_crs(METRIC_CRS)
    keys = parts_.partition_keys(u["code"], by=by)
    pts_idx, unit_idx = u.sindex.nearest(gpd.points_from_xy(xy[:, 0], xy[:, 1]), return_all=False)
    out = np.empty(len(xy), dtype=keys.dtype)
    out[pts_idx] = keys[unit_idx]
    return out


def _xy(gdf: gpd.GeoDataFrame) -> np.ndarray:
    import shapely

    g = gdf.to_crs(METRIC_CRS).geometry.values if gdf.crs != METRIC_CRS else gdf.geometry.values
    return shapely.get_coordinates(g) if len(g) else np.empty((0, 2))
