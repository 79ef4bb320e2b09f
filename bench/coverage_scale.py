"""Benchmark: the service-circle analysis on Dask against the single-process path, 1x/10x/100x Wuhai.

Run: ``.venv/bin/python -m bench.coverage_scale [--scales 1 10 100] [--method network] [--modes single 1 2]``.
Input: ``data.reference.region.synthetic_region(scale)`` (synthetic; scale 100 = 12 cities, 1,000
towns, 15,000 communities and villages, 30,000 facilities). The analysis is the one of
``wuhai-gis facilities circles``: coverage of the household points (urban 1,000 m, rural 2,000 m),
the urban and rural service areas of every facility, and each unit's uncovered area.

- single: ``facilities.circles`` in one process;
- 1, 2: ``facilities.distributed.circle_layers`` on a local Dask cluster of that many
  single-threaded worker processes (partitions by town).

Each run is a fresh process: wall time of the analysis (the network build is timed apart), peak
RSS of the driving process and the largest peak RSS of its worker processes. A digest of every
number and geometry checks that all modes answer the same. Writes ``bench/results/coverage_scale.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing as mp
import pickle
import resource
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "coverage_scale.json"


def single(units, fac, pts, rule, net):
    """The single-process path (as ``facilities.planning.circle_analysis``)."""
    import geopandas as gpd
    import pandas as pd

    from facilities import circles
    from facilities.kinds import URBAN_ELDERLY_KINDS

    points, summary = circles.coverage(units, fac, pts, rule=rule, net=net)
    urban_fac = fac[fac["kind"].isin(URBAN_ELDERLY_KINDS)]
    areas, gaps = [], []
    for name, f, limit in (
        ("urban", urban_fac, rule.limit_m(rule.urban_minutes)),
        ("rural", fac, rule.limit_m(rule.rural_minutes, rule.rural_mode)),
    ):
        layer = circles.service_areas(f, limit_m=limit, method=rule.method, net=net)
        areas.append(layer.assign(circle=name))
        part = units[units["urban_rural"] == name]
        gaps.append(circles.uncovered_areas(part, layer).assign(urban_rural=name))
    return (
        points,
        summary,
        gpd.GeoDataFrame(pd.concat(areas, ignore_index=True)),
        pd.concat(gaps, ignore_index=True),
    )


def digest(points, summary, areas, uncovered) -> str:
    """SHA-256 of every number and geometry of a result."""
    import shapely

    h = hashlib.sha256()
    h.update(points.drop(columns="geometry").to_csv().encode())
    h.update(summary.to_csv().encode())
    for layer in (areas, uncovered):
        h.update(layer.drop(columns="geometry").to_csv().encode())
        for wkb in shapely.to_wkb(layer.geometry.values):
            h.update(wkb or b"")
    return h.hexdigest()


def _child(path: str, mode: str, method: str, queue) -> None:
    from facilities import distributed
    from facilities.circles import CircleRule
    from facilities.network import build_network

    with open(path, "rb") as fh:
        region = pickle.load(fh)
    t0 = time.perf_counter()
    net = build_network(region.roads) if method == "network" else None
    build_s = time.perf_counter() - t0
    rule = CircleRule(method=method)
    t0 = time.perf_counter()
    if mode == "single":
        result = single(region.units, region.facilities, region.points, rule, net)
    else:
        layers = distributed.circle_layers(
            region.units, region.facilities, region.points, rule=rule, net=net, workers=int(mode)
        )
        result = (layers.points, layers.summary, layers.areas, layers.uncovered)
    wall = time.perf_counter() - t0
    queue.put(
        {
            "mode": mode,
            "wall_s": round(wall, 2),
            "network_build_s": round(build_s, 2),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "worker_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
            "covered_households": int(result[1]["households_covered"].sum()),
            "uncovered_km2": round(float(result[3]["area_m2"].sum()) / 1e6, 3),
            "digest": digest(*result),
        }
    )


def run(scale: float, method: str, modes: list[str]) -> list[dict]:
    from data.reference.region import synthetic_region

    region = synthetic_region(scale)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "region.pickle")
        with open(path, "wb") as fh:
            pickle.dump(region, fh)
        for mode in modes:
            ctx = mp.get_context("spawn")
            queue = ctx.Queue()
            proc = ctx.Process(target=_child, args=(path, mode, method, queue))
            proc.start()
            row = queue.get()
            proc.join()
            row.update(scale=scale, method=method, **region.sizes())
            print(json.dumps(row, ensure_ascii=False), flush=True)
            rows.append(row)
    digests = {r["digest"] for r in rows}
    for r in rows:
        r["same_answers"] = len(digests) == 1
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[1, 10, 100])
    parser.add_argument("--method", choices=["straight", "network"], default="network")
    parser.add_argument("--modes", nargs="+", default=["single", "1", "2"])
    args = parser.parse_args(argv)
    rows = [row for scale in args.scales for row in run(scale, args.method, args.modes)]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps({"benchmark": "coverage_scale", "rows": rows}, indent=1, ensure_ascii=False)
    )
    for r in rows:
        print(
            f"{r['scale']:>5}× {r['mode']:>6}: {r['wall_s']:8.2f} s, peak RSS {r['peak_rss_mb']} MB "
            f"(workers {r['worker_peak_rss_mb']} MB), same answers: {r['same_answers']}"
        )


if __name__ == "__main__":
    main()
