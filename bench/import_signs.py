"""Import ~34,000 sign points from a GeoPackage: ``wuhai-gis import`` (validation included) vs GDAL's ogr2ogr.

Both load the same file into the same kind of database (SpatiaLite file / PostGIS database
``wuhai_bench``): ours into the ``sign`` table through :func:`data.importer.import_file` (every
check, bulk insert, audit entry, commit), ogr2ogr into a new table ``sign_ogr`` with a spatial
index. Each runs in its own child process, so wall time and peak memory (GNU ``time``'s maximum
resident set size) are per loader. Ours is reported twice: the import itself (timed inside the child,
after the Python imports) and the whole process as a user runs it.

On PostGIS ours runs twice per repetition, once per ``COPY`` path: psycopg's own binary ``COPY``
(``set_types`` and ``write_row``, :mod:`data.pgcopy`, what the import uses) and the hand-written
binary encoder it replaced (read from the project's history at :data:`HAND_ENCODER_REV`), each on
a freshly migrated database, alternating which goes first; both must leave the same ``sign``
table (a digest of every column but the time stamps). The ``COPY`` call itself is timed too, with
the growth of the process's peak memory during it.

Run: ``.venv/bin/python -m bench.import_signs`` (``--help`` for options).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "import_signs.json"
DEFAULT_POSTGIS = "postgresql+psycopg://postgres@127.0.0.1:5432/wuhai_bench"
GOAL = 1.5
#: The last revision of ``data/pgcopy.py`` with the hand-written binary ``COPY`` encoder.
HAND_ENCODER_REV = "34947754ca4ae92242e5c7909085cb19ba8e0273"
COPY_PATHS = ("psycopg", "hand")


def main(argv: list[str] | None = None) -> dict:
    """Run the benchmark; print and write the results JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--source-db",
        default=None,
        help="Export the signs of this loaded reference DB (URL). Default: load the reference steps "
        "base, names and signs into <workdir>/reference.sqlite once and export from it.",
    )
    parser.add_argument(
        "--synthetic", action="store_true", help="Use generated signs instead of the reference set."
    )
    parser.add_argument("--n", type=int, default=34_000, help="Number of --synthetic signs.")
    parser.add_argument("--backends", default="spatialite,postgis")
    parser.add_argument("--postgis-url", default=DEFAULT_POSTGIS)
    parser.add_argument("--workdir", default="/tmp/wuhai-bench-import")
    parser.add_argument("--seed", type=int, default=20211231)
    parser.add_argument(
        "--repeat", type=int, default=3, help="Runs per backend; the best of each is reported."
    )
    parser.add_argument(
        "--copy-paths",
        default=",".join(COPY_PATHS),
        help="PostGIS COPY paths to run side by side: psycopg, hand (the replaced encoder), or both.",
    )
    parser.add_argument("--child", nargs=3, metavar=("GPKG", "URL", "COPY"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return _child(*args.child)

    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    gpkg = work / "signs.gpkg"
    source_db = None if args.synthetic else (args.source_db or _reference_db(work, seed=args.seed))
    origin = make_gpkg(gpkg, source_db=source_db, n=args.n, seed=args.seed)
    results: dict = {"benchmark": "import_signs", "file": origin, "goal_ratio": GOAL, "backends": {}}
    results["repeats"] = args.repeat
    results["load_average"] = [round(x, 1) for x in os.getloadavg()]
    for backend in args.backends.split(","):
        url = f"sqlite:///{work / 'bench.sqlite'}" if backend == "spatialite" else args.postgis_url
        paths = args.copy_paths.split(",") if backend == "postgis" else ["psycopg"]
        runs = []
        for i in range(args.repeat):  # fresh database each time; best of N (the machine is shared)
            by_path = {}
            for path in paths if i % 2 == 0 else paths[::-1]:
                _fresh_database(url, backend)
                child = [sys.executable, "-m", "bench.import_signs", "--child", str(gpkg), url, path]
                ours = _run(child)
                inner = json.loads(ours["stdout"].strip().splitlines()[-1])
                by_path[path] = {"ours": ours, "inner": inner, "digest": _contents(url)}
            ogr = _run(_ogr2ogr_command(gpkg, url, backend))
            counts = _counts(url)
            _empty_signs(url)
            append = _run(_ogr2ogr_append_command(gpkg, url, backend))
            counts["sign_after_ogr2ogr_append"] = _counts(url)["sign"]
            run = {**by_path[paths[0]], "ogr": ogr, "append": append, "counts": counts, "paths": by_path}
            run["same_contents"] = len({p["digest"] for p in by_path.values()}) == 1
            runs.append(run)
        best = min(runs, key=lambda r: r["inner"]["seconds"])
        ogr_best = min(r["ogr"]["seconds"] for r in runs)
        process_best = min(r["ours"]["seconds"] for r in runs)
        results["backends"][backend] = {
            "rows": best["inner"]["imported"],
            "rows_check": best["counts"],
            "ours_import_s": best["inner"]["seconds"],
            "ours_phases_s": best["inner"]["phases"],
            "ours_process_s": process_best,
            "ours_peak_rss_mb": max(r["ours"]["peak_rss_mb"] for r in runs),
            "ogr2ogr_s": ogr_best,
            "ogr2ogr_peak_rss_mb": max(r["ogr"]["peak_rss_mb"] for r in runs),
            "ogr2ogr_append_to_sign_s": min(r["append"]["seconds"] for r in runs),
            "ratio_import": round(best["inner"]["seconds"] / ogr_best, 2),
            "ratio_import_vs_append": round(
                best["inner"]["seconds"] / min(r["append"]["seconds"] for r in runs), 2
            ),
            "ratio_process": round(process_best / ogr_best, 2),
            # Medians: less kind than the best runs, and as steady on a shared machine.
            "ratio_medians": round(
                statistics.median(r["inner"]["seconds"] for r in runs)
                / statistics.median(r["ogr"]["seconds"] for r in runs),
                2,
            ),
            # Each run against the ogr2ogr run next to it (the machine's noise hits both alike).
            "ratio_pairs": [round(r["inner"]["seconds"] / r["ogr"]["seconds"], 2) for r in runs],
            "pairs_within_goal": sum(r["inner"]["seconds"] <= GOAL * r["ogr"]["seconds"] for r in runs),
            "all_runs_s": [
                {
                    "ours_import": r["inner"]["seconds"],
                    "ours_process": r["ours"]["seconds"],
                    "ogr2ogr": r["ogr"]["seconds"],
                    "ogr2ogr_append": r["append"]["seconds"],
                }
                for r in runs
            ],
        }
        if len(paths) > 1:
            results["backends"][backend]["copy_paths"] = _compare_paths(runs, paths)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2, ensure_ascii=False))
    return results


def make_gpkg(path: Path, *, source_db: str | None, n: int, seed: int) -> str:
    """Write the signs GeoPackage: exported from ``source_db`` if given, else synthetic; describe it."""
    from sqlalchemy.orm import Session

    from gis.db import make_engine

    path.unlink(missing_ok=True)
    if source_db:
        from data.exporter import export_layer

        engine = make_engine(source_db)
        with Session(engine) as session:
            result = export_layer(session, "signs", path)
        engine.dispose()
        return f"{result['rows']} signs exported from the reference database {source_db}"
    _synthetic(n, seed).to_file(path, layer="signs")
    return f"{n} synthetic signs (seed {seed}), same columns as an export of the sign layer"


def _reference_db(work: Path, *, seed: int) -> str:
    """A SpatiaLite file with the reference steps that make the signs (loaded once, then reused)."""
    from sqlalchemy import func
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from data import schema
    from data.reference import load_reference
    from gis.db import make_engine
    from placenames.models import Sign

    url = f"sqlite:///{work / 'reference.sqlite'}"
    engine = make_engine(url)
    schema.upgrade(engine)
    with Session(engine) as session:
        if not session.execute(select(func.count()).select_from(Sign)).scalar_one():
            load_reference(session, actor="bench", rng_seed=seed, steps=["base", "names", "signs"])
            session.commit()
    engine.dispose()
    return url


def _synthetic(n: int, seed: int):
    """Signs along a grid of streets in Wuhai's built-up areas, with the exported sign columns."""
    import geopandas as gpd
    import numpy as np
    import shapely

    rng = np.random.default_rng(seed)
    centres = np.array([[106.825, 39.675], [106.87, 39.45], [106.70, 39.50]])  # 海勃湾, 海南, 乌达
    which = rng.choice(3, size=n, p=[0.6, 0.2, 0.2])
    lon = centres[which, 0] + rng.normal(0, 0.025, n)
    lat = centres[which, 1] + rng.normal(0, 0.02, n)
    streets = np.array(["人民路", "海北大街", "滨河大道", "新华街", "黄河街", "团结路", "林荫路", "胜利街"])
    kinds = np.array(["street", "house_number", "building", "unit", "village"])
    districts = np.array(["150302", "150303", "150304"])
    street = streets[rng.integers(0, len(streets), n)]
    number = rng.integers(1, 400, n)
    return gpd.GeoDataFrame(
        {
            "code": [f"WH-S-{i:06d}" for i in range(n)],
            "kind": kinds[rng.choice(5, size=n, p=[0.15, 0.6, 0.15, 0.07, 0.03])],
            "text_zh": [f"{s}{k}号" for s, k in zip(street, number, strict=True)],
            "text_romanized": None,
            "house_number": number.astype(str),
            "side": np.where(rng.random(n) < 0.5, "left", "right"),
            "facing_deg": np.round(rng.uniform(0, 360, n), 1),
            "material": "铝合金反光",
            "size": "600x400",
            "installer": "乌海市民政局",
            "install_date": "2019-06-30",
            "condition": np.where(rng.random(n) < 0.9, "good", "worn"),
            "division_code": [
                f"{districts[w]}{rng.integers(1, 9):03d}{rng.integers(1, 20):03d}" for w in which
            ],
        },
        geometry=shapely.points(lon, lat),
        crs=4490,
    )


def _compare_paths(runs: list[dict], paths: list[str]) -> dict:
    """The ``COPY`` paths side by side: best import and ``COPY`` times, peak memory, same rows."""
    out: dict = {"same_contents_every_run": all(r["same_contents"] for r in runs)}
    for path in paths:
        inner = [r["paths"][path]["inner"] for r in runs]
        out[path] = {
            "import_best_s": min(x["seconds"] for x in inner),
            "import_median_s": round(statistics.median(x["seconds"] for x in inner), 3),
            "copy_best_s": min(x["copy_s"] for x in inner),
            "copy_median_s": round(statistics.median(x["copy_s"] for x in inner), 3),
            "copy_peak_rss_growth_mb": max(x["copy_peak_growth_mb"] for x in inner),
            "process_peak_rss_mb": max(r["paths"][path]["ours"]["peak_rss_mb"] for r in runs),
            "import_s": [x["seconds"] for x in inner],
            "copy_s": [x["copy_s"] for x in inner],
        }
    first, second = paths[0], paths[1]
    out[f"ratio_copy_{first}_to_{second}"] = round(out[first]["copy_best_s"] / out[second]["copy_best_s"], 2)
    out[f"ratio_import_{first}_to_{second}"] = round(
        out[first]["import_best_s"] / out[second]["import_best_s"], 2
    )
    return out


def _child(gpkg: str, url: str, copy_path: str = "psycopg") -> dict:
    """Run the project's import in this process and print its timings as one JSON line."""
    import resource

    import data.bulk
    from data.importer import import_file
    from gis.db import make_engine
    from gis.db import make_session_factory

    copy_rows = data.bulk.copy_rows if copy_path == "psycopg" else _hand_encoder()
    copy_timing = {"copy_s": 0.0, "copy_peak_growth_mb": 0.0}

    def timed_copy(*args):
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t = time.perf_counter()
        copy_rows(*args)
        copy_timing["copy_s"] += round(time.perf_counter() - t, 3)
        growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
        copy_timing["copy_peak_growth_mb"] = round(growth / 1024, 1)

    data.bulk.copy_rows = timed_copy
    engine = make_engine(url)
    phases: dict[str, float] = {}
    start = time.perf_counter()
    with make_session_factory(engine)() as session:
        report = import_file(session, gpkg, layer="signs", actor="bench", timings=phases)
        t = time.perf_counter()
        session.commit()
        phases["commit"] = round(time.perf_counter() - t, 3)
    seconds = time.perf_counter() - start
    engine.dispose()
    out = {"imported": report.imported, "seconds": round(seconds, 3), "phases": phases, **copy_timing}
    print(json.dumps(out))
    return out


def _hand_encoder():
    """``copy_rows`` of the hand-written binary encoder, read from :data:`HAND_ENCODER_REV`.

    It took JSON columns as JSON text, so lists and dicts are dumped before it is called.
    """
    import types

    source = subprocess.run(
        ["git", "show", f"{HAND_ENCODER_REV}:data/pgcopy.py"],
        cwd=Path(__file__).resolve().parent.parent,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    module = sys.modules["bench_hand_pgcopy"] = types.ModuleType("bench_hand_pgcopy")
    exec(compile(source, f"{HAND_ENCODER_REV[:7]}:data/pgcopy.py", "exec"), module.__dict__)

    def copy_rows(raw, table, names, columns, geoms, geometry_column):
        columns = [
            [json.dumps(v, ensure_ascii=False) if isinstance(v, list | dict) else v for v in values]
            if any(isinstance(v, list | dict) for v in values)
            else values
            for values in columns
        ]
        module.copy_rows(raw, table, names, columns, geoms, geometry_column)

    return copy_rows


def _contents(url: str) -> str:
    """A digest of the ``sign`` table's rows in id order, every column but the time stamps."""
    from sqlalchemy import text

    from gis.db import make_engine

    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        query = (
            "SELECT md5(string_agg((to_jsonb(s) - 'created_at' - 'updated_at' - 'geom')::text "
            "|| encode(ST_AsEWKB(geom), 'hex'), '|' ORDER BY id)) FROM sign AS s"
        )
    else:
        query = "SELECT count(*) || ':' || total(id) FROM sign"
    with engine.connect() as conn:
        digest = conn.execute(text(query)).scalar_one()
    engine.dispose()
    return str(digest)


def _ogr2ogr_command(gpkg: Path, url: str, backend: str) -> list[str]:
    from sqlalchemy.engine import make_url

    common = [
        "-nln",
        "sign_ogr",
        "-lco",
        "GEOMETRY_NAME=geom",
        "-lco",
        "SPATIAL_INDEX=YES" if backend == "spatialite" else "SPATIAL_INDEX=GIST",
    ]
    if backend == "spatialite":
        return ["ogr2ogr", "-update", "-f", "SQLite", make_url(url).database, str(gpkg), *common]
    u = make_url(url)
    pg = f"PG:host={u.host or '127.0.0.1'} port={u.port or 5432} dbname={u.database} user={u.username or 'postgres'}"
    return ["ogr2ogr", "-f", "PostgreSQL", pg, str(gpkg), *common]


def _ogr2ogr_append_command(gpkg: Path, url: str, backend: str) -> list[str]:
    """ogr2ogr appending the same file to the project's own ``sign`` table (its indexes and checks).

    The file's ``id`` and ``place_name_id`` are left out (new ids; no place names in the bench DB).
    """
    import pyogrio
    from sqlalchemy.engine import make_url

    from placenames.models import Sign

    fields = [
        f
        for f in pyogrio.read_info(gpkg)["fields"]
        if f in Sign.__table__.c and f not in {"id", "place_name_id"}
    ]
    layer = pyogrio.list_layers(gpkg)[0][0]
    geometry = pyogrio.read_info(gpkg)["geometry_name"] or "geom"
    sql = f'SELECT {", ".join(fields)}, {geometry} FROM "{layer}"'
    common = ["-append", "-nln", "sign", "-sql", sql]
    if backend == "spatialite":
        return ["ogr2ogr", "-update", "-f", "SQLite", make_url(url).database, str(gpkg), *common]
    u = make_url(url)
    pg = f"PG:host={u.host or '127.0.0.1'} port={u.port or 5432} dbname={u.database} user={u.username or 'postgres'}"
    return ["ogr2ogr", "--config", "PG_USE_COPY", "YES", "-f", "PostgreSQL", pg, str(gpkg), *common]


def _empty_signs(url: str) -> None:
    from sqlalchemy import text

    from gis.db import make_engine

    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM sign"))
    engine.dispose()


def _run(command: list[str]) -> dict:
    """Run ``command``; return wall seconds, peak RSS (MB) of that child and its stdout."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        # GNU time reports the peak RSS of the command itself: a child forked from this (large)
        # Python process would otherwise count the parent's pages it shared before exec.
        timed = ["/usr/bin/time", "-f", "MAXRSS_KB=%M", *command]
        proc = subprocess.Popen(timed, stdout=out, stderr=err, env={**os.environ, "PYTHONWARNINGS": "ignore"})
        proc.wait()
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    lines = stderr.decode(errors="replace").strip().splitlines()
    rss_kb = next((int(line.split("=")[1]) for line in reversed(lines) if line.startswith("MAXRSS_KB=")), 0)
    if proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command[:3])} failed ({proc.returncode}): {stderr.decode(errors='replace')[-2000:]}"
        )
    return {"seconds": round(seconds, 3), "peak_rss_mb": round(rss_kb / 1024, 1), "stdout": stdout.decode()}


def _fresh_database(url: str, backend: str) -> None:
    from sqlalchemy import create_engine
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from data import schema
    from gis.db import make_engine

    if backend == "spatialite":
        path = Path(make_url(url).database)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        u = make_url(url)
        admin = create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            if not conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": u.database}
            ).scalar():
                conn.execute(text(f'CREATE DATABASE "{u.database}"'))
        admin.dispose()
        engine = create_engine(u)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
        engine.dispose()
    engine = make_engine(url)
    schema.upgrade(engine)
    engine.dispose()


def _counts(url: str) -> dict[str, int]:
    from sqlalchemy import text

    from gis.db import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        out = {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in ("sign", "sign_ogr")}
    engine.dispose()
    return out


if __name__ == "__main__":
    main()
