"""Sign audit over a 34,000-sign city: vectorised (shapely arrays, sjoin) vs a row-by-row loop.

A synthetic grid city (streets every 250 m, noded at every crossing) gets its street signs and
house-number plates from the reference generator (``data.reference.signs_gen``), flaws
included. Both approaches compute the same coverage and numbering findings:

- project: :func:`placenames.signs.audit.intersection_findings` and ``plate_findings``
  (one ``sjoin(dwithin)`` for intersections, shapely array calls for positions and sides,
  pandas group operations for duplicates, order and gaps);
- naive: for each intersection, distances to every street sign (``GeoSeries.distance``), and
  for each plate ``line.project``/``interpolate`` in a Python loop, then loops per street.

Each runs in its own process (wall time of the audit itself; peak RSS of the process, city
building and imports included, from ``os.wait4``). The finding counts
are compared so the speed-up is for the same answer.

Run: ``.venv/bin/python -m bench.signs_audit`` (``--grid N`` for a smaller city).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry import LineString

from data.reference.signs_gen import plate_sites
from data.reference.signs_gen import street_sign_sites
from gis.crs import METRIC_CRS
from placenames.signs.audit import intersection_findings
from placenames.signs.audit import plate_findings
from placenames.signs.numbering import street_lines

RESULTS = Path(__file__).resolve().parent / "results" / "signs_audit.json"


def city(grid: int, *, seed: int) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """A ``grid`` × ``grid`` street city in EPSG:4545: roads, street signs, plates."""
    rng = random.Random(seed)
    x0, y0, step = 36_400_000.0, 4_390_000.0, 250.0
    rows = []
    for i in range(grid):
        for j in range(grid - 1):
            rows.append(
                {
                    "name": f"东西{i}路",
                    "a": (x0 + j * step, y0 + i * step),
                    "b": (x0 + (j + 1) * step, y0 + i * step),
                }
            )
            rows.append(
                {
                    "name": f"南北{i}街",
                    "a": (x0 + i * step, y0 + j * step),
                    "b": (x0 + i * step, y0 + (j + 1) * step),
                }
            )
    roads = gpd.GeoDataFrame(
        {
            "name": [r["name"] for r in rows],
            "road_class": "street",
            "street_key": [f"150302000000:{r['name']}" for r in rows],
        },
        geometry=[LineString([r["a"], r["b"]]) for r in rows],
        crs=METRIC_CRS,
    )
    sites = street_sign_sites(roads, rng=rng)
    signs = gpd.GeoDataFrame(
        sites.assign(id=range(len(sites))),
        geometry=gpd.points_from_xy(sites["x"], sites["y"]),
        crs=METRIC_CRS,
    )
    plates = plate_sites(roads, spacing_m=16.0, rng=rng)
    plates = gpd.GeoDataFrame(
        plates.assign(id=range(len(plates))),
        geometry=gpd.points_from_xy(plates["x"], plates["y"]),
        crs=METRIC_CRS,
    )
    return roads, signs, plates


def project_audit(roads, signs, plates) -> dict[str, int]:
    found = pd.concat([intersection_findings(roads, signs), plate_findings(roads, plates)])
    return found["kind"].value_counts().to_dict()


def naive_audit(roads, signs, plates, *, radius: float = 30.0) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    ends = defaultdict(list)
    for key, geom in zip(roads["street_key"], roads.geometry, strict=True):
        for pt in (geom.coords[0], geom.coords[-1]):
            ends[(round(pt[0], 1), round(pt[1], 1))].append(key)
    for (x, y), keys in ends.items():
        streets = set(keys)
        if len(streets) < 2 and len(keys) != 1:
            continue
        near = signs[signs.geometry.distance(shapely.Point(x, y)) <= radius]
        missing = streets - set(near["street_key"])
        if missing:
            counts["intersection_without_sign" if len(streets) >= 2 else "street_end_without_sign"] += 1
    merged = street_lines(roads)
    lines = dict(zip(merged["street_key"], merged.geometry, strict=True))
    per_side = defaultdict(list)
    seen = defaultdict(int)
    for _, plate in plates.iterrows():
        line = lines[plate["street_key"]]
        s = line.project(plate.geometry)
        a, b = line.interpolate(max(s - 0.5, 0)), line.interpolate(min(s + 0.5, line.length))
        foot = line.interpolate(s)
        cross = (b.x - a.x) * (plate.geometry.y - foot.y) - (b.y - a.y) * (plate.geometry.x - foot.x)
        base = int(plate["house_number"])
        rule_side = "left" if base % 2 else "right"
        if rule_side != ("left" if cross >= 0 else "right"):
            counts["wrong_side"] += 1
        seen[(plate["street_key"], base)] += 1
        per_side[(plate["street_key"], rule_side)].append((s, base))
    counts["duplicate_number"] = sum(n for n in seen.values() if n > 1)
    for items in per_side.values():
        items.sort()
        top = 0
        for _, base in items:
            if base < top:
                counts["out_of_order"] += 1
            top = max(top, base)
        bases = sorted({b for _, b in items})
        counts["number_gap"] += sum(1 for p, q in zip(bases, bases[1:], strict=False) if q - p > 2)
    with_plates = set(plates["street_key"])
    counts["street_without_plates"] = sum(1 for k in lines if k not in with_plates)
    return dict(counts)


def _child(which: str, grid: int, seed: int) -> None:
    roads, signs, plates = city(grid, seed=seed)
    func = project_audit if which == "project" else naive_audit
    start = time.perf_counter()
    findings = func(roads, signs, plates)
    seconds = time.perf_counter() - start
    print(
        json.dumps(
            {
                "seconds": round(seconds, 3),
                "findings": findings,
                "signs": len(signs) + len(plates),
                "street_signs": len(signs),
                "plates": len(plates),
                "segments": len(roads),
            }
        )
    )


def _run_child(which: str, grid: int, seed: int) -> dict:
    """Run one approach in a child process; its wall time inside, its peak RSS from ``wait4``."""
    cmd = [
        sys.executable,
        "-m",
        "bench.signs_audit",
        "--child",
        which,
        "--grid",
        str(grid),
        "--seed",
        str(seed),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, cwd=Path(__file__).resolve().parents[1])
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise RuntimeError(f"{which} child failed with {proc.returncode}")
    result = json.loads(out)
    result["peak_rss_mb"] = round(usage.ru_maxrss / 1024, 1)
    return result


def main(argv: list[str] | None = None) -> dict:
    """Run both audits on the same city, each in its own process; print and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", type=int, default=24, help="Streets per direction (24 → ~33,000 signs).")
    parser.add_argument("--seed", type=int, default=20211231)
    parser.add_argument("--child", choices=["project", "naive"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child, args.grid, args.seed)
        return {}
    ours = _run_child("project", args.grid, args.seed)
    naive = _run_child("naive", args.grid, args.seed)
    result = {
        "command": f"python -m bench.signs_audit --grid {args.grid}",
        **{k: ours[k] for k in ("signs", "street_signs", "plates", "segments")},
        "project": {k: ours[k] for k in ("seconds", "peak_rss_mb", "findings")},
        "naive": {k: naive[k] for k in ("seconds", "peak_rss_mb", "findings")},
        "same_findings": ours["findings"] == naive["findings"],
        "speedup": round(naive["seconds"] / ours["seconds"], 1),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return result


if __name__ == "__main__":
    main()
