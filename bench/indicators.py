"""Benchmark: full recompute of the plan's indicators on the reference city (goal: under 2 s).

Run: ``.venv/bin/python -m bench.indicators [--repeat 5]``.
On the reference SpatiaLite file (steps base + facilities, shared with ``bench.service_areas``):

- project: ``store.indicator_inputs`` (one read of divisions, population, facilities, entries),
  then :func:`facilities.indicators.compute_indicators` at city, district, town and community
  level and the floor-area checks, all in memory (one spatial join of facilities to communities);
- naive: one SQL query per community (``ST_Within`` of the facilities in the community's polygon,
  SpatiaLite), summed in Python per town, district and city - only indicators 3, 4 and 8.

Both give the same values for those indicators (checked). The first run of each approach runs
under tracemalloc (peak traced memory); the medians include it. CPU and wall times are both
recorded, with the load average (the machine is shared). Prints and writes
``bench/results/indicators.json`` (median and max of ``--repeat`` runs, peak traced memory).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
import tracemalloc
from pathlib import Path

from sqlalchemy import text

from bench.service_areas import reference_db
from facilities import store
from facilities.indicators import LEVELS
from facilities.indicators import compute_indicators
from facilities.indicators import floor_area_checks
from facilities.kinds import ELDERLY_BED_KINDS
from facilities.kinds import RURAL_ELDERLY_KINDS
from facilities.kinds import URBAN_ELDERLY_KINDS
from gis.db import make_engine
from gis.db import make_session_factory

RESULTS = Path(__file__).resolve().parent / "results" / "indicators.json"
YEAR = 2020


def project(session) -> dict:
    """Everything, every level, from one read."""
    inputs = store.indicator_inputs(session, year=YEAR)
    out = {level: compute_indicators(inputs, level=level) for level in LEVELS}
    floor_area_checks(inputs.units, inputs.facilities, year=YEAR)
    return out


_IN_UNIT = text(
    "SELECT f.kind, f.beds, f.nursing_beds, f.floor_area_m2 FROM facility f, division d "
    "WHERE d.code = :code AND f.status = 'running' AND (f.year_opened IS NULL OR f.year_opened <= :year) "
    "AND ST_Within(f.geom, d.geom)"
)
_UNITS = text("SELECT code, urban_rural, households, population_60plus FROM division WHERE code = :code")


def naive(session, units: dict[str, list[str]]) -> dict:
    """Per unit: one spatial query per community, sums per group of communities."""
    per_comm = {}
    for code in units["community"]:
        rows = session.execute(_IN_UNIT, {"code": code, "year": YEAR}).all()
        urban_rural, households, aged = session.execute(_UNITS, {"code": code}).one()[1:]
        kinds = {r.kind for r in rows}
        served = bool(kinds & set(URBAN_ELDERLY_KINDS if urban_rural == "urban" else RURAL_ELDERLY_KINDS))
        beds = sum(r.beds or 0 for r in rows if r.kind in ELDERLY_BED_KINDS)
        nursing = sum(r.nursing_beds or 0 for r in rows if r.kind in ELDERLY_BED_KINDS)
        area = sum(r.floor_area_m2 or 0 for r in rows if r.kind == "community_service")
        per_comm[code] = (urban_rural, served, beds, nursing, area, households or 0, aged or 0)
    out = {}
    for level, groups in units["groups"].items():
        out[level] = {}
        for code, members in groups.items():
            rows = [per_comm[m] for m in members]
            urban = [r for r in rows if r[0] == "urban"]
            aged = sum(r[6] for r in rows)
            hh = sum(r[5] for r in rows)
            beds = sum(r[2] for r in rows)
            out[level][code] = {
                "3": 100.0 * sum(r[1] for r in urban) / len(urban) if urban else None,
                "4": 1000.0 * beds / aged if aged else None,
                "8": 100.0 * sum(r[4] for r in rows) / hh if hh else None,
            }
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    engine = make_engine(reference_db())
    factory = make_session_factory(engine)
    with factory() as session:
        inputs = store.indicator_inputs(session, year=YEAR)
        units = _unit_groups(inputs)
    timings = {"project": [], "naive": []}
    cpu = {"project": [], "naive": []}
    peaks = {}
    results = {}
    for name in ("project", "naive"):
        for i in range(args.repeat):
            with factory() as session:
                if i == 0:
                    tracemalloc.start()
                start, start_cpu = time.perf_counter(), time.process_time()
                results[name] = project(session) if name == "project" else naive(session, units)
                timings[name].append(time.perf_counter() - start)
                cpu[name].append(time.process_time() - start_cpu)
                if i == 0:
                    peaks[name] = tracemalloc.get_traced_memory()[1] / 2**20
                    tracemalloc.stop()
    mismatches = _compare(results["project"], results["naive"])
    out = {
        "benchmark": "indicators", "year": YEAR, "repeat": args.repeat,
        "units": {level: len(g) for level, g in units["groups"].items()},
        "project_median_s": round(statistics.median(timings["project"]), 3), "project_max_s": round(max(timings["project"]), 3),
        "naive_median_s": round(statistics.median(timings["naive"]), 3), "naive_max_s": round(max(timings["naive"]), 3),
        "project_median_cpu_s": round(statistics.median(cpu["project"]), 3),
        "naive_median_cpu_s": round(statistics.median(cpu["naive"]), 3),
        "naive_over_project_cpu": round(statistics.median(cpu["naive"]) / statistics.median(cpu["project"]), 2),
        "load_average": list(os.getloadavg()),
        "project_peak_traced_mb": round(peaks["project"], 1), "naive_peak_traced_mb": round(peaks["naive"], 1),
        "goal_s": 2.0, "mismatches": mismatches,
    }  # fmt: skip
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps(out, ensure_ascii=False, indent=2))
    engine.dispose()
    return out


def _unit_groups(inputs) -> dict:
    units = inputs.units[inputs.units["urban_rural"].isin(["urban", "rural"])]
    groups = {
        "city": {inputs.city_code: list(units["code"])},
        "district": {
            d: list(units.loc[units["district_code"] == d, "code"]) for d in inputs.districts["code"]
        },
        "town": {t: list(units.loc[units["town_code"] == t, "code"]) for t in inputs.towns["code"]},
        "community": {c: [c] for c in units["code"]},
    }
    return {"community": list(units["code"]), "groups": groups}


def _compare(project_out: dict, naive_out: dict) -> int:
    bad = 0
    for level, units in naive_out.items():
        mine = {u["code"]: {i["id"]: i["exact"] for i in u["indicators"]} for u in project_out[level]}
        for code, values in units.items():
            for key, value in values.items():
                got = mine[code][key]
                if (value is None) != (got is None) or (value is not None and abs(value - got) > 1e-3):
                    bad += 1
    return bad


if __name__ == "__main__":
    main()
