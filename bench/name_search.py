"""Benchmark: place-name search on SpatiaLite and PostGIS vs a plain ``LIKE`` scan.

Run: ``.venv/bin/python -m bench.name_search [--names 100000] [--queries 100] [--backends spatialite,postgis]``.
Each backend gets a database with the reference names (steps 1–2) plus generated names up to
``--names``; then the same Chinese, pinyin, initials and typo queries go through
:func:`placenames.search.search` and through ``SELECT … WHERE name LIKE '%q%' OR pinyin_key LIKE
'%q%' OR initials LIKE '%q%' ORDER BY length(name) LIMIT 20``. The n-gram lookups of the Chinese
and pinyin queries are checked against the same lookups done by a ``LIKE`` scan of ``name_entry``
(same entries, same order). The index is rebuilt once to time a full build, its size measured,
and the queries run again in a fresh process (a web worker's view) for its peak RSS. Prints and
writes ``bench/results/name_search[_<names>].json``.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.engine import make_url

from data import schema
from data.reference import load_reference
from gis.db import make_engine
from gis.db import make_session_factory
from placenames import categories
from placenames import search
from placenames.models import PlaceName
from placenames.romanize import initials
from placenames.romanize import pinyin_key
from placenames.romanize import syllables
from placenames.search import entries

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_POSTGIS = "postgresql+psycopg://postgres@127.0.0.1:5432/wuhai_bench_names"
_CHARS = "金银华锦富嘉瑞祥和泰康宁安盛鑫隆兴昌源丰德福顺达通宏博汇邦恒信诚裕润泽辉景怡悦馨雅颐欣美新明远天海阳光春秋东西南北中青山河湖沙石林园乌兰巴音胜利团结幸福民建红星朝永"
_GENERICS = (
    "小区",
    "花园",
    "家园",
    "苑",
    "大厦",
    "路",
    "街",
    "巷",
    "公司",
    "中学",
    "公园",
    "桥",
    "广场",
    "村",
    "沟",
)
_CATEGORY = {"小区": "241", "花园": "241", "家园": "241", "苑": "241", "大厦": "281", "路": "253", "街": "253",
             "巷": "253", "公司": "293", "中学": "292", "公园": "272", "桥": "254", "广场": "282", "村": "222",
             "沟": "134"}  # fmt: skip
_SCAN = text(
    "SELECT id, name FROM place_name WHERE name LIKE :p OR pinyin_key LIKE :p OR initials LIKE :p "
    "ORDER BY length(name), id LIMIT 20"
)
#: The n-gram lookup done by a scan: same entries, same order (the reference answer).
_ENTRY_SCAN = {
    column: text(f"SELECT id FROM name_entry WHERE {column} LIKE :p ORDER BY length({column}), id LIMIT :n")
    for column in ("text", "pinyin")
}


def main(argv: list[str] | None = None) -> dict:
    """Run the benchmark on the chosen backends and write the JSON results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=100, help="queries per kind")
    parser.add_argument("--scan-queries", type=int, default=30, help="of which also timed as a LIKE scan")
    parser.add_argument("--backends", default="spatialite,postgis")
    parser.add_argument("--postgis-url", default=DEFAULT_POSTGIS)
    parser.add_argument("--spatialite", default="/tmp/wuhai_bench_names.sqlite")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reuse", action="store_true", help="keep databases that already hold the names")
    parser.add_argument(
        "--load",
        choices=("orm", "copy"),
        default="orm",
        help="generated names through the ORM with the index triggers firing (orm), or by COPY with the "
        "place trigger off, indexed by the full build (copy, PostGIS only; for 10,000,000 names)",
    )
    parser.add_argument(
        "--keep-index",
        action="store_true",
        help="with --reuse: time the queries on the index as it is, without the full build",
    )
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)  # URL, query file: a fresh web worker
    args = parser.parse_args(argv)
    if args.worker:
        return _worker(*args.worker)
    out: dict = {"names": args.names, "queries_per_kind": args.queries, "backends": {}}
    urls = {"spatialite": f"sqlite:///{args.spatialite}", "postgis": args.postgis_url}
    for backend in args.backends.split(","):
        try:
            out["backends"][backend] = run_backend(urls[backend], backend, n_names=args.names,
                                                   n_queries=args.queries, n_scan=args.scan_queries,
                                                   seed=args.seed, reuse=args.reuse, load=args.load,
                                                   keep_index=args.keep_index)  # fmt: skip
        except Exception as exc:  # an unreachable PostGIS is reported, not fatal
            out["backends"][backend] = {"error": f"{type(exc).__name__}: {exc}"}
    out["bench_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = f"name_search_{args.names}_{'_'.join(args.backends.split(','))}.json"
    (RESULTS / name).write_text(json.dumps(out, ensure_ascii=False, indent=2), encoding="utf-8")
    _print(out)
    return out


def run_backend(
    url: str,
    backend: str,
    *,
    n_names: int,
    n_queries: int,
    n_scan: int,
    seed: int,
    reuse: bool = False,
    load: str = "orm",
    keep_index: bool = False,
) -> dict:
    """Build the database, then time both approaches on the same queries."""
    engine = _existing(url, n_names) if reuse else None
    built = engine is not None
    started = time.perf_counter()
    if engine is None:
        engine = _fresh(url, backend)
        with make_session_factory(engine)() as session:
            load_reference(session, actor="bench", steps=["base", "names"])
            session.commit()
            if load == "copy" and backend == "postgis":
                _generate_copy(session, n_names, seed=seed)
            else:
                _generate(session, n_names, seed=seed)
            session.commit()
    factory = make_session_factory(engine)
    build_db = time.perf_counter() - started
    with factory() as session:
        total = session.scalar(select(func.count()).select_from(PlaceName))
        queries = _queries(session, n_queries, seed=seed)
        t0 = time.perf_counter()
        if keep_index and built:
            n_entries = session.scalar(text("SELECT count(*) FROM name_entry"))
        else:
            n_entries = search.rebuild(session)
            session.commit()
        build_index = time.perf_counter() - t0
    if backend == "postgis":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE name_entry"))
    with factory() as session:
        result: dict = {"names": total, "entries": n_entries, "db_build_s": round(build_db, 1),
                        "index_build_s": None if keep_index and built else round(build_index, 1), "index_mb": _index_size(session, url, backend),
                        "mismatches": _check(session, queries), "kinds": {}}  # fmt: skip
        for kind, qs in queries.items():
            ours, found = _time(lambda q: search.search(session, q, limit=20), qs)
            scan, scan_found = _time(lambda q: session.execute(_SCAN, {"p": f"%{q}%"}).all(), qs[:n_scan])
            result["kinds"][kind] = {
                "search_median_ms": _ms(statistics.median(ours)),
                "search_p99_ms": _ms(_p99(ours)),
                "scan_median_ms": _ms(statistics.median(scan)),
                "scan_p99_ms": _ms(_p99(scan)),
                "speedup_median": round(statistics.median(scan) / statistics.median(ours), 1),
                "search_hit_rate": round(found / len(qs), 2),
                "scan_hit_rate": round(scan_found / len(scan), 2),
            }
    engine.dispose()
    query_file = RESULTS / f".queries_{backend}.json"
    query_file.parent.mkdir(parents=True, exist_ok=True)
    query_file.write_text(json.dumps(queries, ensure_ascii=False), encoding="utf-8")
    command = [sys.executable, "-m", "bench.name_search", "--worker", url, str(query_file)]
    done = subprocess.run(
        command, check=True, capture_output=True, text=True, cwd=Path(__file__).parent.parent
    )
    result["worker"] = json.loads(done.stdout.splitlines()[-1])
    query_file.unlink()
    return result


def _check(session, queries: dict[str, list[str]]) -> int:
    """Queries whose n-gram lookup differs from the same lookup done by a ``LIKE`` scan (must be 0)."""
    bad = 0
    for kind, qs in queries.items():
        if kind not in ("chinese", "pinyin"):
            continue
        for q in qs:
            key = q.replace(" ", "")
            column = "text" if kind == "chinese" else "pinyin"
            ours = [h.id for h in entries.substring(session, key, pinyin=kind == "pinyin", limit=20)]
            scan = session.execute(_ENTRY_SCAN[column], {"p": f"%{key}%", "n": 20}).scalars().all()
            bad += ours != scan
    return bad


def _worker(url: str, query_file: str) -> dict:
    """A fresh process searching as a web worker does: its peak RSS and timings (printed as JSON)."""
    factory = make_session_factory(make_engine(url))
    queries = json.loads(Path(query_file).read_text(encoding="utf-8"))
    rss_before = _peak_rss_mb()
    times = []
    with factory() as session:
        for qs in queries.values():
            times += _time(lambda q: search.search(session, q, limit=20), qs)[0]
    out = {"peak_rss_mb": round(_peak_rss_mb(), 1),
           "rss_before_searching_mb": round(rss_before, 1), "p99_ms": _ms(_p99(times))}  # fmt: skip
    print(json.dumps(out))
    return out


def _peak_rss_mb() -> float:
    """This process's peak RSS (``VmHWM``: unlike ``ru_maxrss`` not inherited from the parent)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _index_size(session, url: str, backend: str) -> dict:
    """Megabytes of the entry table and of its n-gram index."""
    if backend == "postgis":
        sizes = session.execute(text(
            "SELECT pg_relation_size('name_entry'), pg_relation_size('ix_name_entry_grams'), "
            "pg_total_relation_size('name_entry')"
        )).one()  # fmt: skip
        return {"table": _mb(sizes[0]), "ngram_index": _mb(sizes[1]), "total": _mb(sizes[2])}
    # No dbstat in this SQLite build: vacuumed copies with and without the tables, compared.
    path = Path(make_url(url).database)
    whole = _vacuumed_size(path, ())
    no_fts = _vacuumed_size(path, ("name_entry_fts",))
    neither = _vacuumed_size(path, ("name_entry_fts", "name_entry"))
    return {"table": _mb(no_fts - neither), "ngram_index": _mb(whole - no_fts), "total": _mb(whole - neither)}


def _vacuumed_size(path: Path, drop: tuple[str, ...]) -> int:
    copy = path.with_name(path.stem + ".size.sqlite")
    copy.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        conn.exec_driver_sql(f"VACUUM INTO '{copy}'")
    engine.dispose()
    if drop:
        engine = make_engine(f"sqlite:///{copy}")
        with engine.connect() as conn:
            for table in drop:
                conn.exec_driver_sql(f"DROP TABLE {table}")
            conn.commit()
            conn.exec_driver_sql("VACUUM")
        engine.dispose()
    size = copy.stat().st_size
    copy.unlink()
    return size


def _mb(n: int) -> float:
    return round(n / 2**20, 1)


def _existing(url: str, n_names: int):
    try:
        engine = make_engine(url)
        with engine.connect() as conn:
            count = conn.execute(text("SELECT count(*) FROM place_name")).scalar()
    except Exception:  # missing database or schema: build it
        return None
    return engine if count and count >= n_names else None


def _fresh(url: str, backend: str):
    if backend == "spatialite":
        path = Path(make_url(url).database)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        u = make_url(url)
        admin = create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{u.database}"'))
            conn.execute(text(f'CREATE DATABASE "{u.database}"'))
        admin.dispose()
        eng = create_engine(u, isolation_level="AUTOCOMMIT")
        with eng.connect() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
        eng.dispose()
    engine = make_engine(url)
    schema.upgrade(engine)
    return engine


def _generate(session, n_names: int, *, seed: int) -> None:
    rng = random.Random(seed)
    present = {n for (n,) in session.execute(select(PlaceName.name))}
    codes = [
        c
        for (c,) in session.execute(text("SELECT code FROM division WHERE level IN ('community','village')"))
    ]
    boxes = (106.62, 39.05, 107.10, 39.90)
    syllable = {ch: syllables(ch)[0] for ch in _CHARS + "".join(_GENERICS)}

    def spell(proper: str, generic: str) -> str:
        """A synthetic romanization (syllables joined; the standard rules cost ms per name)."""
        words = ("".join(syllable[c] for c in proper), "".join(syllable[c] for c in generic))
        return " ".join(w.capitalize() for w in words)

    rows = []
    while len(present) < n_names:
        size = rng.choice((2, 2, 3, 3, 4))
        generic = rng.choice(_GENERICS)
        name = "".join(rng.choice(_CHARS) for _ in range(size)) + generic
        if name in present:
            continue
        present.add(name)
        category = _CATEGORY[generic]
        lon, lat = rng.uniform(boxes[0], boxes[2]), rng.uniform(boxes[1], boxes[3])
        rows.append({"name": name, "category_code": category, "romanized": spell(name[:size], generic),
                     "pinyin_key": pinyin_key(name), "initials": initials(name), "aliases": [],
                     "division_code": rng.choice(codes), "status": "announced", "source": "synthetic",
                     "geom": f"SRID=4490;POINT({lon:.6f} {lat:.6f})", "proper_part": name[: -len(generic)],
                     "generic_part": generic, "author": "bench"})  # fmt: skip
        if len(rows) >= 5000:
            session.execute(insert(PlaceName), rows)
            rows = []
            if len(present) % 100_000 < 5000:
                session.commit()
    if rows:
        session.execute(insert(PlaceName), rows)
    assert categories.get("241")


def _generate_copy(session, n_names: int, *, seed: int) -> None:
    """The generated names by ``COPY`` (PostgreSQL), the place trigger off: the full build indexes them.

    Same generator as :func:`_generate`, except the pinyin key and initials, which are the
    characters' own syllables joined (what ``pinyin_key`` gives for these characters without
    phrase context), so that ten million names need no per-name dictionary lookup.
    """
    rng = random.Random(seed)
    present = {n for (n,) in session.execute(select(PlaceName.name))}
    codes = [
        c
        for (c,) in session.execute(text("SELECT code FROM division WHERE level IN ('community','village')"))
    ]
    syllable = {ch: syllables(ch)[0] for ch in _CHARS + "".join(_GENERICS)}
    columns = ("name, category_code, romanized, pinyin_key, initials, aliases, division_code, status, "
               "source, geom, proper_part, generic_part, author, version, created_at, updated_at")  # fmt: skip
    conn = session.connection()
    conn.execute(text("ALTER TABLE place_name DISABLE TRIGGER name_entry_place_insert"))
    raw = conn.connection.dbapi_connection
    now = time.strftime("%Y-%m-%d %H:%M:%S+00", time.gmtime())
    with raw.cursor() as cursor, cursor.copy(f"COPY place_name ({columns}) FROM STDIN") as copy:
        while len(present) < n_names:
            size = rng.choice((2, 2, 3, 3, 4))
            generic = rng.choice(_GENERICS)
            proper = "".join(rng.choice(_CHARS) for _ in range(size))
            name = proper + generic
            if name in present:
                continue
            present.add(name)
            sounds = [syllable[c] for c in name]
            lon, lat = rng.uniform(106.62, 107.10), rng.uniform(39.05, 39.90)
            words = ("".join(sounds[:size]).capitalize(), "".join(sounds[size:]).capitalize())
            copy.write_row((name, _CATEGORY[generic], " ".join(words), "".join(sounds),
                            "".join(s[0] for s in sounds), "[]", rng.choice(codes), "announced",
                            "synthetic", f"SRID=4490;POINT({lon:.6f} {lat:.6f})", proper, generic, "bench",
                            1, now, now))  # fmt: skip
    conn.execute(text("ALTER TABLE place_name ENABLE TRIGGER name_entry_place_insert"))
    conn.execute(text("ANALYZE place_name"))


def _queries(session, n: int, *, seed: int) -> dict[str, list[str]]:
    rng = random.Random(seed + 1)
    sample = [
        tuple(r) for r in session.execute(select(PlaceName.name, PlaceName.pinyin_key, PlaceName.initials))
    ]
    picks = rng.sample(sample, n * 3)
    chinese = [
        name[: rng.randint(2, len(name))] if i % 2 else name[1:] for i, (name, _, _) in enumerate(picks[:n])
    ]
    pinyin = [
        " ".join(_syllable_split(name)) if i % 2 else key for i, (name, key, _) in enumerate(picks[n : 2 * n])
    ]
    inits = [ini[: max(2, len(ini) - 1)] for _, _, ini in picks[2 * n :]]
    typo = []
    for name, _, _ in rng.sample(sample, n):
        pos = rng.randrange(len(name))
        typo.append(name[:pos] + rng.choice(_CHARS) + name[pos + 1 :])
    return {"chinese": chinese, "pinyin": pinyin, "initials": inits, "typo": typo}


def _syllable_split(name: str) -> list[str]:
    from placenames.romanize import syllables

    return syllables(name)


def _time(fn, queries: list[str]) -> tuple[list[float], int]:
    times, found = [], 0
    fn(queries[0])  # warm-up (connection, caches)
    for q in queries:
        t0 = time.perf_counter()
        rows = fn(q)
        times.append(time.perf_counter() - t0)
        found += bool(rows)
    return times, found


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def _print(out: dict) -> None:
    print(f"name search: {out['names']} names, {out['queries_per_kind']} queries per kind")
    for backend, res in out["backends"].items():
        if "error" in res:
            print(f"  {backend}: {res['error']}")
            continue
        print(f"  {backend}: {res['names']} names, {res['entries']} entries; index built in {res['index_build_s']} s, "
              f"size {res['index_mb']}; lookups differing from a LIKE scan: {res['mismatches']}")  # fmt: skip
        print(f"    web worker: peak RSS {res['worker']['peak_rss_mb']} MB "
              f"({res['worker']['rss_before_searching_mb']} MB before searching)")  # fmt: skip
        print("    kind       search med/p99 ms   LIKE scan med/p99 ms   speed-up   hits (search/scan)")
        for kind, r in res["kinds"].items():
            print(f"    {kind:<9} {r['search_median_ms']:>8} / {r['search_p99_ms']:<8} {r['scan_median_ms']:>9} / "
                  f"{r['scan_p99_ms']:<9} {r['speedup_median']:>7}x   {r['search_hit_rate']}/{r['scan_hit_rate']}")  # fmt: skip
    print(f"  bench peak RSS {out['bench_peak_rss_mb']} MB")


if __name__ == "__main__":
    main()
