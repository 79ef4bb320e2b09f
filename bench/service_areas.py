"""Benchmark: network service areas and household coverage of every elderly-care facility, 1x/10x/100x.

Run: ``.venv/bin/python -m bench.service_areas [--scales 1 10 100] [--naive-sample 0.05]``.
The reference city (steps base + facilities, on a SpatiaLite file) gives the road network, the
elderly-care facilities and the residential points (50 households each, along the streets).
Scaled runs tile k translated copies of all three side by side, each copy's road network joined
to the next by a link road (so the scaled network is one network, not k islands). Each approach runs in a fresh
process (time and peak RSS of that process):

- project: one multi-source Dijkstra per circle (``scipy.sparse.csgraph`` with virtual sources)
  labels every node with its nearest facility; households are looked up by nearest node
  (KD-tree) in one vectorised step; each facility's area is the concave hull of the nodes
  labelled with it, buffered 50 m (vectorised GEOS calls): its catchment;
- naive: one ``networkx`` single-source Dijkstra (cutoff) per facility, the concave hull of its
  reached nodes buffered 50 m (the same polygon recipe), then one ``geopandas.sjoin`` of the
  households with all polygons.
A second naive variant runs each Dijkstra without a cutoff over the whole network (then filters
by distance): its cost grows with facilities x network size. The network itself is built once
per run (``facilities.network.build_network``, timed apart as ``network_build_cpu_s``); the
approach times start from the built network. Times are CPU seconds of the worker process (the
machine is shared; wall times are also recorded).
At large scales the naive run covers a random sample of the facilities (``--naive-sample``) and
the time of its per-facility loop is extrapolated linearly to all of them (the network
conversion and the sjoin run once, on the sample's polygons; marked ``extrapolated``).
Writes ``bench/results/service_areas.json``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import pickle
import resource
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

RESULTS = Path(__file__).resolve().parent / "results" / "service_areas.json"
DB = Path(tempfile.gettempdir()) / "wuhai_bench_facilities.sqlite"
URBAN_M, RURAL_M, BUFFER_M = 1000.0, 2000.0, 50.0


def reference_db(path: Path = DB) -> str:
    """A SpatiaLite file with the reference steps base + facilities (built once, then reused)."""
    from sqlalchemy import func
    from sqlalchemy import select

    from data import schema
    from data.reference import load_reference
    from facilities.models import Facility
    from gis.db import make_engine
    from gis.db import make_session_factory

    url = f"sqlite:///{path}"
    engine = make_engine(url)
    schema.upgrade(engine)
    with make_session_factory(engine)() as session:
        if not session.scalar(select(func.count()).select_from(Facility)):
            load_reference(session, actor="bench", steps=["base", "facilities"])
            session.commit()
    engine.dispose()
    return url


def reference_layers(url: str) -> dict:
    """Roads, elderly-care facilities and residential points of the reference city (EPSG:4545)."""
    from facilities import store
    from facilities.circles import residential_points
    from facilities.indicators import active_facilities
    from facilities.indicators import counted_units
    from facilities.kinds import RURAL_ELDERLY_KINDS
    from facilities.kinds import URBAN_ELDERLY_KINDS
    from gis.crs import METRIC_CRS
    from gis.db import make_engine
    from gis.db import make_session_factory
    from gis.roads import roads_gdf

    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        roads = roads_gdf(session).to_crs(METRIC_CRS)
        units = counted_units(store.units_gdf(session, year=2020))
        fac = active_facilities(store.facilities_gdf(session), 2020)
    engine.dispose()
    fac = fac[fac["kind"].isin(set(URBAN_ELDERLY_KINDS) | set(RURAL_ELDERLY_KINDS))].to_crs(METRIC_CRS)
    pts = residential_points(units, roads=roads, seed=0)
    return {
        "roads": shapely.get_coordinates(roads.geometry.values, return_index=True),
        "fac_xy": shapely.get_coordinates(fac.geometry.values),
        "fac_urban": fac["kind"].isin(URBAN_ELDERLY_KINDS).to_numpy(),
        "pts_xy": shapely.get_coordinates(pts.geometry.values),
        "pts_urban": (pts["urban_rural"] == "urban").to_numpy(),
        "bounds": roads.total_bounds,
    }


def scaled(layers: dict, k: int) -> dict:
    """``k`` copies of the city side by side (translated in x), each joined to the next by a link road."""
    width = layers["bounds"][2] - layers["bounds"][0] + 5000.0
    coords, idx = layers["roads"]
    n_lines = idx.max() + 1
    shift = lambda xy, i: xy + np.array([i * width, 0.0])  # noqa: E731
    east, west = coords[np.argmax(coords[:, 0])], coords[np.argmin(coords[:, 0])]
    links = [np.array([shift(east, i), shift(west, i + 1)]) for i in range(k - 1)]
    link_idx = [np.full(2, k * n_lines + i) for i in range(k - 1)]
    return {
        "roads": (
            np.vstack([shift(coords, i) for i in range(k)] + links),
            np.concatenate([idx + i * n_lines for i in range(k)] + link_idx),
        ),
        "fac_xy": np.vstack([shift(layers["fac_xy"], i) for i in range(k)]),
        "fac_urban": np.tile(layers["fac_urban"], k),
        "pts_xy": np.vstack([shift(layers["pts_xy"], i) for i in range(k)]),
        "pts_urban": np.tile(layers["pts_urban"], k),
    }


def project(net, data: dict) -> dict:
    """Multi-source Dijkstra labelling + vectorised household lookup + catchment polygons."""
    from facilities.circles import HULL_RATIO
    from facilities.network import node_labels

    covered = np.zeros(len(data["pts_xy"]), dtype=bool)
    areas = 0
    for sel_fac, sel_pts, limit in _circles(data):
        dist, src = node_labels(net, data["fac_xy"][sel_fac], limit_m=limit)
        node, off = net.nearest_nodes(data["pts_xy"][sel_pts])
        covered[sel_pts] = dist[node] + off <= limit
        reached = src >= 0
        order = np.argsort(src[reached], kind="stable")
        _uniq, inverse = np.unique(src[reached][order], return_inverse=True)
        hulls = shapely.concave_hull(
            shapely.multipoints(net.xy[reached][order], indices=inverse), ratio=HULL_RATIO
        )
        areas += len(shapely.buffer(hulls, BUFFER_M, quad_segs=4))
    return {"covered": int(covered.sum()), "areas": areas, "nodes": net.n_nodes, "edges": len(net.edges)}


def naive(net, data: dict, *, sample: float = 1.0, seed: int = 0, cutoff: bool = True) -> dict:
    """networkx single-source Dijkstra per facility, its polygon, then one geopandas sjoin.

    With ``cutoff`` the search stops at the circle's distance (the stronger baseline); without, each
    search covers the whole network and the reached nodes are filtered afterwards.
    """
    import networkx as nx

    from facilities.circles import reach_polygon
    from facilities.network import to_networkx
    from gis.crs import METRIC_CRS

    graph = to_networkx(net)
    rng = np.random.default_rng(seed)
    covered = np.zeros(len(data["pts_xy"]), dtype=bool)
    done = total = 0
    loop_cpu = 0.0
    for sel_fac, sel_pts, limit in _circles(data):
        fac_xy = data["fac_xy"][sel_fac]
        total += len(fac_xy)
        chosen = (
            np.arange(len(fac_xy))
            if sample >= 1
            else np.sort(rng.choice(len(fac_xy), max(1, round(sample * len(fac_xy))), replace=False))
        )
        polys = []
        loop_start = time.process_time()
        for i in chosen:
            src, off = net.nearest_nodes(fac_xy[i])
            if cutoff:
                reached = list(
                    nx.single_source_dijkstra_path_length(
                        graph, int(src[0]), cutoff=limit - off[0], weight="length"
                    )
                )
            else:
                lengths = nx.single_source_dijkstra_path_length(graph, int(src[0]), weight="length")
                reached = [n for n, d in lengths.items() if d <= limit - off[0]]
            polys.append(reach_polygon(net.xy[reached], buffer_m=BUFFER_M))
        loop_cpu += time.process_time() - loop_start
        done += len(chosen)
        areas = gpd.GeoDataFrame(geometry=polys, crs=METRIC_CRS)
        pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(*data["pts_xy"][sel_pts].T), crs=METRIC_CRS)
        hits = gpd.sjoin(pts, areas, predicate="within", how="inner")
        flags = np.zeros(len(pts), dtype=bool)
        flags[np.unique(hits.index.to_numpy())] = True
        covered[sel_pts] = flags
    return {
        "covered": int(covered.sum()),
        "areas": done,
        "facilities": total,
        "sampled": done < total,
        "loop_cpu": loop_cpu,
    }


def _circles(data: dict):
    """(facilities, households, limit): urban kinds for urban households, every kind for rural ones."""
    yield data["fac_urban"], data["pts_urban"], URBAN_M
    yield np.ones_like(data["fac_urban"]), ~data["pts_urban"], RURAL_M


def _worker(name: str, path: str, kwargs: dict, queue) -> None:
    import networkx  # noqa: F401  (imports are not timed)
    import scipy.sparse.csgraph  # noqa: F401

    import facilities.network  # noqa: F401
    from facilities.network import build_network
    from gis.crs import METRIC_CRS

    with open(path, "rb") as f:
        data = pickle.load(f)
    start = time.process_time()
    coords, idx = data["roads"]
    net = build_network(gpd.GeoDataFrame(geometry=shapely.linestrings(coords, indices=idx), crs=METRIC_CRS))
    build_cpu = time.process_time() - start
    start, cpu = time.perf_counter(), time.process_time()
    out = (project if name == "project" else naive)(net, data, **kwargs)
    out["build_cpu_seconds"] = build_cpu
    out["seconds"] = time.perf_counter() - start
    out["cpu_seconds"] = time.process_time() - cpu
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put(out)


def measure(name: str, data_path: str, **kwargs) -> dict:
    """Run one approach in a fresh process; its time and peak RSS."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_worker, args=(name, data_path, kwargs, queue))
    proc.start()
    out = queue.get()
    proc.join()
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument(
        "--naive-sample",
        type=float,
        default=0.05,
        help="share of facilities the naive run covers at scales >= 100",
    )
    parser.add_argument(
        "--full-sample",
        type=float,
        default=1.0,
        help="share of facilities the no-cutoff naive run covers at 1x (divided by the scale)",
    )
    args = parser.parse_args(argv)
    layers = reference_layers(reference_db())
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for k in args.scales:
            data = scaled(layers, k)
            path = str(Path(tmp) / f"scale{k}.pkl")
            with open(path, "wb") as f:
                pickle.dump(data, f)
            fast = measure("project", path)
            sample = 1.0 if k < 100 else args.naive_sample
            slow = measure("naive", path, sample=sample)
            full = measure("naive", path, sample=min(1.0, args.full_sample / k), cutoff=False)
            full_factor = full["facilities"] / full["areas"] if full["sampled"] else 1.0
            full_cpu = full["cpu_seconds"] + full["loop_cpu"] * (full_factor - 1.0)
            factor = slow["facilities"] / slow["areas"] if slow["sampled"] else 1.0
            naive_cpu = slow["cpu_seconds"] + slow["loop_cpu"] * (factor - 1.0)
            naive_wall = slow["seconds"] * naive_cpu / slow["cpu_seconds"]
            row = {
                "scale": k, "facilities": len(data["fac_xy"]), "households_points": len(data["pts_xy"]), "nodes": fast["nodes"],
                "edges": fast["edges"], "project_s": round(fast["seconds"], 3), "project_cpu_s": round(fast["cpu_seconds"], 3),
                "project_peak_rss_mb": round(fast["peak_rss_mb"], 1), "naive_s": round(naive_wall, 3),
                "naive_cpu_s": round(naive_cpu, 3), "naive_extrapolated": slow["sampled"],
                "naive_peak_rss_mb": round(slow["peak_rss_mb"], 1),
                "speedup_wall": round(naive_wall / fast["seconds"], 1),
                "speedup_cpu": round(naive_cpu / fast["cpu_seconds"], 1),
                "covered_project": fast["covered"], "covered_naive": None if slow["sampled"] else slow["covered"],
                "network_build_cpu_s": round(fast["build_cpu_seconds"], 3),
                "naive_full_cpu_s": round(full_cpu, 3), "naive_full_extrapolated": full["sampled"],
                "naive_full_peak_rss_mb": round(full["peak_rss_mb"], 1),
                "speedup_cpu_vs_full": round(full_cpu / fast["cpu_seconds"], 1),
            }  # fmt: skip
            rows.append(row)
            print(json.dumps(row, ensure_ascii=False), flush=True)
    base = rows[0]
    for row in rows:
        row["project_cpu_growth_vs_1x"] = round(row["project_cpu_s"] / base["project_cpu_s"], 2)
    out = {"benchmark": "service_areas", "urban_m": URBAN_M, "rural_m": RURAL_M, "rows": rows}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, ensure_ascii=False, indent=2), encoding="utf-8")
    return out


if __name__ == "__main__":
    main()
