"""Benchmark: loading the reference dataset (goal: the whole load-reference well under a minute on SpatiaLite).

Run: ``.venv/bin/python -m bench.reference_load [--postgis-url URL] [--skip-full]``.

- base step, side by side on fresh databases: the project's bulk ``INSERT`` (executemany, WKT
  geometries, one audit entry per table) against the naive way, one ORM object per row with
  ``session.add`` and one ``gis.history.record`` audit entry per row. Same rows (checked).
- full ``load-reference`` (all five steps) on a fresh SpatiaLite file: wall and CPU time per step.

Prints and writes ``bench/results/reference_load.json``; times in seconds, peak traced memory in MB.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
import tracemalloc
from pathlib import Path

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text

from boundaries.models import Division
from data import schema
from data.reference import DEFAULT_SEED
from data.reference import base
from data.reference import load_reference
from data.reference.divisions_gen import build_units
from data.reference.network_gen import street_network
from gis.db import make_engine
from gis.db import make_session_factory
from gis.history import record
from gis.models import AuditLog
from gis.models import RoadSegment

RESULTS = Path(__file__).resolve().parent / "results" / "reference_load.json"
ACTOR = "bench"


def project(session) -> int:
    """The base step as shipped."""
    return base.load(session, actor=ACTOR, rng_seed=DEFAULT_SEED)["written"]


def naive(session) -> int:
    """The same rows through the ORM, one object and one audit entry per row."""
    units = build_units(rng_seed=DEFAULT_SEED)
    base._add_population(units, rng=random.Random(DEFAULT_SEED + 1))
    written = base._write_lines(session, actor=ACTOR)
    rows = base.division_rows(units.values(), present=set(), actor=ACTOR)
    rows += base.road_rows(street_network(units, rng=random.Random(DEFAULT_SEED + 2)), actor=ACTOR)
    for row in rows:
        obj = Division(**row) if "code" in row else RoadSegment(**row)
        session.add(obj)
        session.flush()
        record(session, actor=ACTOR, action="insert", obj=obj, reason="load-reference")
    return written + len(rows)


def run_base(url: str, fn) -> dict:
    engine = make_engine(url)
    _reset(engine)
    session = make_session_factory(engine)()
    tracemalloc.start()
    start = time.perf_counter()
    written = fn(session)
    session.commit()
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    counts = {
        "division": session.scalar(select(func.count()).select_from(Division)),
        "road_segment": session.scalar(select(func.count()).select_from(RoadSegment)),
        "audit_log": session.scalar(select(func.count()).select_from(AuditLog)),
    }
    session.close()
    engine.dispose()
    return {"seconds": round(seconds, 2), "peak_mb": round(peak, 1), "written": written, "rows": counts}


def run_full(url: str) -> dict:
    engine = make_engine(url)
    _reset(engine)
    session = make_session_factory(engine)()
    wall, cpu = time.perf_counter(), time.process_time()
    result = load_reference(session, actor=ACTOR, rng_seed=DEFAULT_SEED)
    session.commit()
    out = {
        "wall_s": round(time.perf_counter() - wall, 2),
        "cpu_s": round(time.process_time() - cpu, 2),
        "steps_wall_s": result["seconds"],
        "skipped": result["skipped"],
    }
    start = time.perf_counter()
    load_reference(session, actor=ACTOR, rng_seed=DEFAULT_SEED)
    session.commit()
    out["reload_wall_s"] = round(time.perf_counter() - start, 2)
    session.close()
    engine.dispose()
    return out


def _reset(engine) -> None:
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    schema.upgrade(engine)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--postgis-url",
        default=None,
        help="also run the base-step comparison on this PostGIS database (it is wiped)",
    )
    parser.add_argument("--skip-full", action="store_true", help="only the base-step comparison")
    args = parser.parse_args(argv)
    out: dict = {"benchmark": "reference_load", "base_step": {}}
    with tempfile.TemporaryDirectory() as tmp:
        urls = {"spatialite": f"sqlite:///{tmp}/%s.sqlite"}
        if args.postgis_url:
            urls["postgis"] = args.postgis_url
        for backend, url in urls.items():
            ours = run_base(url % "project" if backend == "spatialite" else url, project)
            peer = run_base(url % "naive" if backend == "spatialite" else url, naive)
            if (
                ours["rows"]["division"] != peer["rows"]["division"]
                or ours["rows"]["road_segment"] != peer["rows"]["road_segment"]
            ):
                raise AssertionError(f"{backend}: the two approaches wrote different rows: {ours} {peer}")
            out["base_step"][backend] = {
                "project": ours,
                "naive": peer,
                "ratio": round(peer["seconds"] / ours["seconds"], 1),
            }
        if not args.skip_full:
            out["full_load_spatialite"] = run_full(f"sqlite:///{tmp}/full.sqlite")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return out


if __name__ == "__main__":
    main()
