"""OGC API items endpoint under bounded concurrent load on loopback, SpatiaLite and PostGIS,
side by side with pygeoapi serving the same ``sign`` table.

Each server runs on 127.0.0.1 under gunicorn with 2 worker processes of 4 threads (one process
per core of the bench machine): the project as ``wuhai-gis serve --workers 2 --threads 4``, once
with its page cache (the default) and once without (``OGCAPI_CACHE_MB=0``: every request
queries the database and renders GeoJSON), and pygeoapi (from a separate virtualenv given by
``--pygeoapi-venv`` holding pygeoapi, gunicorn and psycopg2; its SQLiteGPKG provider for
SpatiaLite and PostgreSQL provider for PostGIS). The load generator is ``wrk`` (16 connections,
2 threads, fixed duration) asking for ``/collections/signs/items?bbox=...&limit=100`` over 216
distinct viewports (six built-up areas, each shifted on a 6 × 6 grid of 0.001° steps; a small
Lua script), so every response carries up to 100 GeoJSON features. Reported: requests per
second, p50/p99 latency, and the server's peak RSS (master and workers). Without wrk a bounded Python client
(16 threads) is used instead and says so.

``--mode random`` asks instead for random, non-repeating viewports at random zoom levels
(:func:`random_viewport`: zoom 12 to 17, a 1024 × 614 pixel window centred anywhere in the built-up
area, coordinates to 6 decimals), so no page cache can help and the figures are those of the
uncached items path; ``--mode both`` (the default) runs both and reports them side by side.

Run (databases loaded with ``wuhai-gis load-reference``)::

    .venv/bin/python -m bench.ogcapi_load --spatialite sqlite:////path/wuhai.sqlite \\
        --postgis postgresql+psycopg://postgres@127.0.0.1/wuhai_bench --pygeoapi-venv /tmp/pygeoapi-venv
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from pathlib import Path

from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "ogcapi_load.json"
#: Viewports in the built-up areas (lon/lat), rotated by the load generator.
BBOXES = [
    "106.80,39.64,106.84,39.68",
    "106.81,39.66,106.85,39.70",
    "106.79,39.62,106.83,39.66",
    "106.82,39.48,106.86,39.52",
    "106.70,39.48,106.74,39.52",
    "106.78,39.60,106.82,39.64",
]
CONNECTIONS = 16
#: Both servers run as gunicorn with this many worker processes (one per core here) of
#: ``THREADS`` threads each.
WORKERS = 2
THREADS = 4
#: Each built-up viewport is also asked shifted by up to this many 0.001° steps east and north,
#: so that the load covers many distinct pages, as map users panning around would.
SHIFTS = 6


def viewports(shifts: int = SHIFTS) -> list[str]:
    """The bboxes the load generator rotates over: every base viewport, shifted on a grid."""
    out = []
    for box in BBOXES:
        x0, y0, x1, y1 = (float(v) for v in box.split(","))
        for i in range(shifts):
            for j in range(shifts):
                dx, dy = i * 0.001, j * 0.001
                out.append(f"{x0 + dx:.3f},{y0 + dy:.3f},{x1 + dx:.3f},{y1 + dy:.3f}")
    return out


#: Where the random viewports are centred (lon/lat): the built-up areas of the three districts.
RANDOM_AREA = (106.70, 39.45, 106.90, 39.75)
#: Zoom levels of the random viewports and the window they fill, in 256-pixel tiles.
ZOOMS = (12, 17)
WINDOW_TILES = (4.0, 2.4)


def random_viewport(rng) -> str:
    """One random bbox: a zoom level in :data:`ZOOMS`, a window of :data:`WINDOW_TILES`, centred in
    :data:`RANDOM_AREA` (the Lua script of wrk draws the same way)."""
    z = rng.randint(*ZOOMS)
    w, h = (t * 360.0 / 2**z for t in WINDOW_TILES)
    x0, y0, x1, y1 = RANDOM_AREA
    cx, cy = rng.uniform(x0, x1), rng.uniform(y0, y1)
    return f"{cx - w / 2:.6f},{cy - h / 2:.6f},{cx + w / 2:.6f},{cy + h / 2:.6f}"


def _lua_script(mode: str, path: str) -> str:
    if mode == "grid":
        boxes = ", ".join(f'"{b}"' for b in viewports())
        return (
            f"local b = {{{boxes}}}\nlocal i = 0\nrequest = function()\n  i = i + 1\n"
            f'  return wrk.format("GET", "{path}?limit=100&bbox=" .. b[(i % #b) + 1])\nend\n'
        )
    x0, y0, x1, y1 = RANDOM_AREA
    return textwrap.dedent(f"""
        local n = 0
        setup = function(thread) n = n + 1; thread:set("id", n) end
        init = function(args) math.randomseed(os.time() * 1000 + id * 7919) end
        request = function()
          local z = math.random({ZOOMS[0]}, {ZOOMS[1]})
          local w, h = {WINDOW_TILES[0]} * 360 / 2 ^ z, {WINDOW_TILES[1]} * 360 / 2 ^ z
          local cx = {x0} + math.random() * {x1 - x0:.6f}
          local cy = {y0} + math.random() * {y1 - y0:.6f}
          local box = string.format("%.6f,%.6f,%.6f,%.6f", cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
          return wrk.format("GET", "{path}?limit=100&bbox=" .. box)
        end
    """)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, timeout: float = 90) -> None:
    end = time.time() + timeout
    while time.time() < end:
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not come up")


def start_project(db_url: str, port: int, *, page_cache: bool = True) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": db_url, "WUHAI_INSTANCE": tempfile.mkdtemp(prefix="ogc-bench-")}
    if not page_cache:
        env["OGCAPI_CACHE_MB"] = "0"
    return subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "wuhai-gis"), "serve", "--port", str(port), "--workers", str(WORKERS),
         "--threads", str(THREADS)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


#: pygeoapi's PostgreSQL provider builds its bbox envelope in SRID 4326 and PostGIS refuses to
#: compare it with the ``sign`` table's SRID 4490 (and with ``storage_crs`` set to EPSG:4490 it
#: swaps the bbox into lat/lon and matches nothing). It is given a copy of the table with the same
#: rows, the same coordinates labelled SRID 4326 (CGCS2000 and WGS84 agree to centimetres) and its
#: own GiST index: pygeoapi's own configuration, on the same data.
PEER_TABLE = "bench_sign_crs84"


def prepare_peer_table(db_url: str) -> None:
    """(Re)create :data:`PEER_TABLE` in a PostGIS database from its ``sign`` table."""
    from sqlalchemy import create_engine
    from sqlalchemy import text

    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text(f"DROP TABLE IF EXISTS {PEER_TABLE}"))
        conn.execute(text(f"CREATE TABLE {PEER_TABLE} AS SELECT * FROM sign"))
        conn.execute(
            text(
                f"ALTER TABLE {PEER_TABLE} ALTER COLUMN geom TYPE geometry(Point, 4326) USING ST_SetSRID(geom, 4326)"
            )
        )
        conn.execute(text(f"ALTER TABLE {PEER_TABLE} ADD PRIMARY KEY (id)"))
        conn.execute(text(f"CREATE INDEX {PEER_TABLE}_geom ON {PEER_TABLE} USING gist (geom)"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"VACUUM ANALYZE {PEER_TABLE}"))
    engine.dispose()


def pygeoapi_config(db_url: str, port: int, workdir: Path) -> Path:
    """A pygeoapi configuration publishing the ``sign`` table of ``db_url`` as ``signs``."""
    u = make_url(db_url)
    if u.get_backend_name() == "sqlite":
        provider = f"""
            - type: feature
              name: SQLiteGPKG
              data: {u.database}
              id_field: id
              table: sign"""
    else:
        provider = f"""
            - type: feature
              name: PostgreSQL
              data:
                host: {u.host or "127.0.0.1"}
                port: {u.port or 5432}
                dbname: {u.database}
                user: {u.username or "postgres"}
                password: {u.password or ""}
              id_field: id
              table: {PEER_TABLE}
              geom_field: geom"""
    text = textwrap.dedent(f"""
        server:
          bind: {{host: 127.0.0.1, port: {port}}}
          url: http://127.0.0.1:{port}
          mimetype: application/json; charset=UTF-8
          encoding: utf-8
          languages: [en-US]
          limits: {{default_items: 100, max_items: 10000}}
          map: {{url: 'https://tile.openstreetmap.org/{{z}}/{{x}}/{{y}}.png', attribution: OSM}}
        logging: {{level: ERROR}}
        metadata:
          identification: {{title: bench, description: bench, keywords: [bench], keywords_type: theme, terms_of_service: none, url: http://example.org}}
          license: {{name: CC-BY 4.0, url: https://creativecommons.org/licenses/by/4.0/}}
          provider: {{name: bench, url: http://example.org}}
          contact: {{name: bench, position: bench, address: x, city: x, stateorprovince: x, postalcode: x, country: x, phone: x, fax: x, email: x@example.org, url: http://example.org, hours: x, instructions: x, role: pointOfContact}}
        resources:
          signs:
            type: collection
            title: signs
            description: signs
            keywords: [signs]
            extents:
              spatial: {{bbox: [106.2, 39.0, 107.4, 40.1], crs: http://www.opengis.net/def/crs/OGC/1.3/CRS84}}
            providers:{provider}
    """)
    path = workdir / "pygeoapi.yml"
    path.write_text(text)
    return path


def start_pygeoapi(venv: Path, db_url: str, port: int, workdir: Path) -> subprocess.Popen:
    cfg = pygeoapi_config(db_url, port, workdir)
    openapi = workdir / "openapi.yml"
    env = {**os.environ, "PYGEOAPI_CONFIG": str(cfg), "PYGEOAPI_OPENAPI": str(openapi)}
    env.setdefault("SPATIALITE_LIBRARY_PATH", "/usr/lib/x86_64-linux-gnu/mod_spatialite.so")
    subprocess.run([str(venv / "bin" / "pygeoapi"), "openapi", "generate", str(cfg), "--output-file", str(openapi)],
                   env=env, check=True, capture_output=True)  # fmt: skip
    return subprocess.Popen(
        [str(venv / "bin" / "gunicorn"), "-b", f"127.0.0.1:{port}", "-w", str(WORKERS), "-k", "gthread",
         "--threads", str(THREADS), "--no-control-socket", "pygeoapi.flask_app:APP"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def run_wrk(base: str, path: str, duration: int, mode: str = "grid") -> dict:
    script = Path(tempfile.mkdtemp()) / "bboxes.lua"
    script.write_text(_lua_script(mode, path))
    out = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{duration}s", "--latency", "-s", str(script), base],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return _parse_wrk(out)


def _parse_wrk(out: str) -> dict:
    def ms(text: str) -> float:
        value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    lat = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", out, re.M))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: (.*)", out)
    return {
        "client": "wrk",
        "rps": round(rps, 1),
        "p50_ms": round(ms(lat["50"]), 2),
        "p99_ms": round(ms(lat["99"]), 2),
        "non_2xx": int(errors.group(1)) if errors else 0,
        "socket_errors": sock.group(1) if sock else "",
    }


def run_python_client(base: str, path: str, duration: int, mode: str = "grid") -> dict:
    """Bounded fallback: 16 threads issuing requests back to back for ``duration`` seconds."""
    import random
    import statistics
    import threading

    lat: list[float] = []
    errors = [0]
    boxes = viewports()
    stop = time.time() + duration

    def worker(k: int) -> None:
        i = k
        rng = random.Random(k)
        while time.time() < stop:
            t = time.perf_counter()
            box = random_viewport(rng) if mode == "random" else boxes[i % len(boxes)]
            try:
                with urllib.request.urlopen(f"{base}{path}?limit=100&bbox={box}", timeout=30) as r:
                    r.read()
                lat.append((time.perf_counter() - t) * 1000)
            except OSError:
                errors[0] += 1
            i += 1

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(CONNECTIONS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    lat.sort()
    return {"client": "python (bounded, 16 threads)", "rps": round(len(lat) / duration, 1),
            "p50_ms": round(statistics.median(lat), 2), "p99_ms": round(lat[int(len(lat) * 0.99) - 1], 2),
            "non_2xx": errors[0]}  # fmt: skip


def peak_rss_mb(pid: int) -> float:
    """Peak RSS of a server: its process plus its worker processes (gunicorn forks them)."""

    def hwm(p: int) -> float:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    total = hwm(pid) + sum(hwm(int(c)) for c in children)
    return round(total, 1) if total else float("nan")


def bench_one(
    name: str, proc: subprocess.Popen, base: str, path: str, duration: int, mode: str = "grid"
) -> dict:
    try:
        _wait(f"{base}{path}?limit=1")
        with urllib.request.urlopen(f"{base}{path}?limit=100&bbox={BBOXES[0]}") as resp:
            n = len(json.load(resp)["features"])
        if n == 0:
            raise RuntimeError(f"{name} returns no features for bbox {BBOXES[0]}: not comparable")
        runner = run_wrk if shutil.which("wrk") else run_python_client
        runner(base, path, 3, mode)  # warm-up
        result = runner(base, path, duration, mode)
        result["mode"] = mode
        result["load_average_before"] = [round(v, 2) for v in os.getloadavg()]
        result["features_per_response"] = n
        result["server_peak_rss_mb"] = peak_rss_mb(proc.pid)
        print(name, json.dumps(result), flush=True)
        return result
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--spatialite", required=True, help="sqlite:////path/to/wuhai.sqlite (reference loaded)"
    )
    parser.add_argument("--postgis", default=None, help="postgresql+psycopg://... (reference loaded)")
    parser.add_argument(
        "--pygeoapi-venv", type=Path, default=None, help="virtualenv with pygeoapi and waitress"
    )
    parser.add_argument("--duration", type=int, default=15, help="seconds of load per run")
    parser.add_argument(
        "--mode",
        choices=("grid", "random", "both"),
        default="both",
        help="216 repeated viewports (grid), random non-repeating viewports and zooms (random), or both",
    )
    parser.add_argument("--skip-pygeoapi-grid", action="store_true", help="pygeoapi in random mode only")
    args = parser.parse_args()
    backends = {"spatialite": args.spatialite, **({"postgis": args.postgis} if args.postgis else {})}
    modes = ("grid", "random") if args.mode == "both" else (args.mode,)
    results: dict = {"connections": CONNECTIONS, "workers": WORKERS, "threads": THREADS, "viewports": len(viewports()),
                     "modes": modes, "duration_s": args.duration, "load_average_before": os.getloadavg(), "runs": {}}  # fmt: skip
    workdir = Path(tempfile.mkdtemp(prefix="ogc-bench-"))
    path = "/ogcapi/collections/signs/items"
    for backend, url in backends.items():
        for mode in modes:
            for label, cache in (("project", True), ("project-no-page-cache", False)):
                port = _free_port()
                results["runs"][f"{mode}/{label}/{backend}"] = bench_one(
                    f"{mode}/{label}/{backend}", start_project(url, port, page_cache=cache),
                    f"http://127.0.0.1:{port}", path, args.duration, mode,
                )  # fmt: skip
            name = f"{mode}/pygeoapi/{backend}"
            if args.pygeoapi_venv is None:
                results["runs"][name] = {"skipped": "no --pygeoapi-venv given"}
                continue
            if mode == "grid" and args.skip_pygeoapi_grid:
                results["runs"][name] = {"skipped": "--skip-pygeoapi-grid"}
                continue
            port = _free_port()
            try:
                if backend == "postgis":
                    prepare_peer_table(url)
                proc = start_pygeoapi(args.pygeoapi_venv, url, port, workdir)
                results["runs"][name] = bench_one(
                    name, proc, f"http://127.0.0.1:{port}", "/collections/signs/items", args.duration, mode
                )
            except (RuntimeError, subprocess.CalledProcessError, OSError, KeyError) as exc:
                results["runs"][name] = {"failed": str(exc)[:300]}
                print(f"{name} failed: {exc}", file=sys.stderr)
    for backend in backends:
        for mode in modes:
            peer = results["runs"].get(f"{mode}/pygeoapi/{backend}", {})
            if "rps" in peer:
                for label in ("project", "project-no-page-cache"):
                    ours = results["runs"][f"{mode}/{label}/{backend}"]
                    results[f"throughput_ratio/{mode}/{label}/{backend}"] = round(
                        ours["rps"] / peer["rps"], 2
                    )
    results["load_average_after"] = os.getloadavg()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
