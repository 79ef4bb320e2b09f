"""Benchmark: smart-marker telemetry through the HTTP path into SpatiaLite and PostGIS.

Run: ``.venv/bin/python -m bench.telemetry_ingest [--hours 24] [--full-week] [--backend both]``.

100 devices report once a minute; a simulated slice (default 24 h = 144,000 messages, ``--full-week``
= 1,008,000) is POSTed to the web app served by waitress on 127.0.0.1 (in its own process) by
concurrent keep-alive clients (another process). The app is the web app itself
(``webmap.create_app``): the requests go through its ``POST /api/telemetry`` route
(``webmap/telemetry_bp.py`` calling ``boundaries.telemetry.receive``), as devices' uploads do.
Two ways side by side on each backend:

* **batched**: each device uploads its buffered messages, ``--batch`` (default 60) per POST;
* **single**: one message per POST (the naive per-minute request), on a shorter slice (``--single-hours``).

A known share of requests is replayed and a known number carries a wrong token; afterwards the
stored rows, the replay and authentication counters are checked against what was sent (nothing
lost, nothing double-counted). Reported: sustained messages/s, request latency p50/p99 (a
message's ingest latency is its request's), the server's peak RSS, and the time of one alarm
evaluation over the stored table. Results go to ``bench/results/telemetry_ingest.json``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import random
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "telemetry_ingest.json"
DEFAULT_POSTGIS = "postgresql+psycopg://postgres@127.0.0.1:5432/wuhai_bench_bounds"
DEFAULT_SPATIALITE = "sqlite:////tmp/wuhai_bench_bounds/telemetry.sqlite"
BASE = (106.85, 39.55)


# -- the server side (run in a subprocess) -------------------------------------------------------


def make_app(url: str, instance: str | None = None):
    """The web app itself (``webmap.create_app``), whose ``POST /api/telemetry`` the clients drive."""
    import tempfile

    from webmap import create_app

    return create_app(
        {"DATABASE_URL": url, "INSTANCE_PATH": instance or tempfile.mkdtemp(prefix="wuhai_bench_web_")}
    )


def serve(url: str, port: int, threads: int) -> None:
    import logging

    from waitress import serve as waitress_serve

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "task queue depth" notes under load

    waitress_serve(
        make_app(url),
        host="127.0.0.1",
        port=port,
        threads=threads,
        connection_limit=200,
        channel_timeout=120,
        _quiet=True,
    )


# -- setup ---------------------------------------------------------------------------------------


def fresh_database(url: str) -> None:
    """Create (or empty) the benchmark database and migrate it."""
    from sqlalchemy import create_engine
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from data import schema
    from gis.db import make_engine

    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(u.database + suffix).unlink(missing_ok=True)
    else:
        admin = create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            if not c.execute(text("SELECT 1 FROM pg_database WHERE datname=:d"), {"d": u.database}).scalar():
                c.execute(text(f'CREATE DATABASE "{u.database}"'))
        admin.dispose()
        eng = create_engine(u, isolation_level="AUTOCOMMIT")
        with eng.connect() as c:
            c.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            c.execute(text("CREATE SCHEMA public"))
            c.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
        eng.dispose()
    eng = make_engine(url)
    schema.upgrade(eng)
    eng.dispose()


def make_devices(url: str, n: int) -> dict[str, tuple[str, float, float]]:
    """One line, ``n`` markers along it and a device per marker: ``{device_id: (token, lon, lat)}``."""
    from shapely.geometry import LineString

    from boundaries import store
    from boundaries import telemetry
    from gis.db import make_engine
    from gis.db import make_session_factory

    eng = make_engine(url)
    out = {}
    with make_session_factory(eng)() as s:
        line = store.save_line(
            s,
            actor="bench",
            values={
                "code": "150303-640205",
                "name": "蒙宁线乌海段（海南区—惠农区）",
                "line_code": "1564",
                "line_name": "蒙宁线乌海段",
                "level": "provincial",
                "left_code": "150303000000",
                "left_name": "海南区",
                "right_code": "640205000000",
                "right_name": "惠农区",
            },
            geometry=LineString([(BASE[0], BASE[1] - 0.3), (BASE[0], BASE[1] + 0.3)]),
        )
        for i in range(n):
            lat = BASE[1] - 0.3 + 0.6 * (i + 0.5) / n
            m = store.add_marker(
                s, actor="bench", number=f"1564{i + 1:03d}Q", line_id=line.id, lon=BASE[0], lat=lat
            )
            dev_id = f"BENCH-{i + 1:03d}"
            _d, token = telemetry.register_device(s, actor="bench", device_id=dev_id, marker_id=m.id)
            out[dev_id] = (token, BASE[0], lat)
        s.commit()
    eng.dispose()
    return out


# -- the client side -----------------------------------------------------------------------------


def messages(
    dev_id: str, lon: float, lat: float, start: datetime, minutes: int, rng: random.Random
) -> list[dict]:
    tilt0 = rng.uniform(0.1, 1.5)
    out = []
    for m in range(minutes):
        out.append(
            {
                "device_id": dev_id,
                "seq": m + 1,
                "ts": (start + timedelta(minutes=m)).isoformat(),
                "lon": round(lon + rng.gauss(0, 2e-7), 8),
                "lat": round(lat + rng.gauss(0, 2e-7), 8),
                "tilt_deg": round(tilt0 + abs(rng.gauss(0, 0.05)), 3),
                "battery_pct": round(100 - 15 * m / 10080, 2),
                "vibration": round(abs(rng.gauss(0, 0.02)), 4),
            }
        )
    return out


def run_clients(
    port: int,
    devices: dict,
    *,
    start: datetime,
    minutes: int,
    batch: int,
    clients: int,
    replay_every: int,
    bad_tokens: int,
    seed: int,
) -> dict:
    """Send every device's messages in time order from ``clients`` keep-alive threads; collect latencies."""
    rng = random.Random(seed)
    ids = sorted(devices)
    work = [[] for _ in range(clients)]
    sent = {"messages": 0, "requests": 0, "replayed_messages": 0, "bad_token_requests": 0}
    for k, dev in enumerate(ids):
        token, lon, lat = devices[dev]
        msgs = messages(dev, lon, lat, start, minutes, rng)
        chunks = [msgs[i : i + batch] for i in range(0, len(msgs), batch)]
        reqs = []
        for j, chunk in enumerate(chunks):
            body = json.dumps(chunk if batch > 1 else chunk[0]).encode()
            reqs.append((token, body, len(chunk)))
            sent["messages"] += len(chunk)
            if replay_every and (j + k) % replay_every == 0:
                reqs.append((token, body, 0))  # the same request again: replayed or out of order
                sent["replayed_messages"] += len(chunk)
        work[k % clients].append(reqs)
    for b in range(bad_tokens):
        work[b % clients].append([("forged-token", json.dumps(msgs[b % len(msgs)]).encode(), 0)])
        sent["bad_token_requests"] += 1
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def worker(queues: list[list]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        local, codes = [], {}
        # interleave this worker's devices minute by minute, as devices would report
        for step in range(max(len(q) for q in queues) if queues else 0):
            for q in queues:
                if step < len(q):
                    token, body, _n = q[step]
                    t0 = time.perf_counter()
                    conn.request(
                        "POST",
                        "/api/telemetry",
                        body=body,
                        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
                    )
                    resp = conn.getresponse()
                    resp.read()
                    local.append(time.perf_counter() - t0)
                    codes[resp.status] = codes.get(resp.status, 0) + 1
        conn.close()
        with lock:
            latencies.extend(local)
            for c, n in codes.items():
                statuses[c] = statuses.get(c, 0) + n

    threads = [threading.Thread(target=worker, args=(w,)) for w in work]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    sent["requests"] = len(latencies)
    latencies.sort()
    return {
        **sent,
        "wall_s": round(wall, 2),
        "msg_per_s": round(sent["messages"] / wall, 1),
        "requests_per_s": round(len(latencies) / wall, 1),
        "latency_p50_ms": round(1000 * _pct(latencies, 50), 2),
        "latency_p99_ms": round(1000 * _pct(latencies, 99), 2),
        "latency_max_ms": round(1000 * latencies[-1], 2),
        "statuses": statuses,
    }


def _pct(values: list[float], p: float) -> float:
    if not values:
        return math.nan
    k = min(len(values) - 1, max(0, math.ceil(p / 100 * len(values)) - 1))
    return values[k]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return math.nan


def one_run(
    url: str, *, devices_n: int, minutes: int, batch: int, clients: int, threads: int, seed: int
) -> dict:
    """Fresh database, server subprocess, clients, checks and alarm evaluation for one mode."""
    from sqlalchemy import func
    from sqlalchemy import select

    from boundaries import alarms
    from boundaries import telemetry
    from boundaries.models import MarkerTelemetry
    from gis.db import make_engine
    from gis.db import make_session_factory

    fresh_database(url)
    devices = make_devices(url, devices_n)
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.telemetry_ingest",
            "--serve",
            url,
            "--port",
            str(port),
            "--threads",
            str(threads),
        ],
        cwd=Path(__file__).resolve().parents[1],
    )
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        start = (datetime.now(UTC) - timedelta(minutes=minutes + 5)).replace(second=0, microsecond=0)
        result = run_clients(
            port,
            devices,
            start=start,
            minutes=minutes,
            batch=batch,
            clients=clients,
            replay_every=97,
            bad_tokens=13,
            seed=seed,
        )
        result["server_peak_rss_mb"] = _peak_rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    eng = make_engine(url)
    with make_session_factory(eng)() as s:
        stored = int(s.scalar(select(func.count()).select_from(MarkerTelemetry)))
        distinct = int(
            s.scalar(
                select(func.count()).select_from(
                    select(MarkerTelemetry.device_id, MarkerTelemetry.ts).distinct().subquery()
                )
            )
        )
        counts = telemetry.reject_counts(s)
        t0 = time.perf_counter()
        raised = alarms.evaluate(s, now=start + timedelta(minutes=minutes))
        result["alarm_eval_s"] = round(time.perf_counter() - t0, 3)
        result["alarms_raised"] = len(raised)
        s.rollback()
    eng.dispose()
    result["check"] = {
        "stored": stored,
        "distinct_device_ts": distinct,
        "expected": result["messages"],
        "replay_counted": counts["replay"] + counts["out_of_order"],
        "replay_expected": result["replayed_messages"],
        "unauthenticated_counted": counts["unauthenticated"],
        "unauthenticated_expected": result["bad_token_requests"],
        "ok": stored == distinct == result["messages"]
        and counts["replay"] + counts["out_of_order"] == result["replayed_messages"]
        and counts["unauthenticated"] == result["bad_token_requests"],
    }
    return result


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--backend", choices=["spatialite", "postgis", "both"], default="both")
    parser.add_argument("--devices", type=int, default=100)
    parser.add_argument("--hours", type=float, default=24.0, help="simulated hours for the batched mode")
    parser.add_argument("--full-week", action="store_true", help="simulate 7 days (1,008,000 messages)")
    parser.add_argument(
        "--single-hours", type=float, default=1.0, help="simulated hours for one-message-per-POST"
    )
    parser.add_argument("--batch", type=int, default=60)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--threads", type=int, default=6, help="waitress worker threads")
    parser.add_argument("--postgis-url", default=DEFAULT_POSTGIS)
    parser.add_argument("--spatialite-url", default=DEFAULT_SPATIALITE)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve, args.port, args.threads)
        return {}
    minutes = 7 * 24 * 60 if args.full_week else int(args.hours * 60)
    backends = ["spatialite", "postgis"] if args.backend == "both" else [args.backend]
    urls = {"spatialite": args.spatialite_url, "postgis": args.postgis_url}
    out = {
        "devices": args.devices,
        "simulated_minutes": minutes,
        "batch": args.batch,
        "clients": args.clients,
        "server_threads": args.threads,
        "cpus": os.cpu_count(),
        "runs": {},
    }
    for b in backends:
        for mode, m, batch in (("batched", minutes, args.batch), ("single", int(args.single_hours * 60), 1)):
            print(
                f"{b} {mode}: {args.devices} devices x {m} min, {batch} msg/request ...",
                file=sys.stderr,
                flush=True,
            )
            r = one_run(
                urls[b],
                devices_n=args.devices,
                minutes=m,
                batch=batch,
                clients=args.clients,
                threads=args.threads,
                seed=args.seed,
            )
            out["runs"][f"{b}/{mode}"] = r
            print(
                json.dumps(
                    {
                        k: r[k]
                        for k in (
                            "messages",
                            "wall_s",
                            "msg_per_s",
                            "latency_p50_ms",
                            "latency_p99_ms",
                            "server_peak_rss_mb",
                            "alarm_eval_s",
                        )
                    }
                    | {"check_ok": r["check"]["ok"]}
                ),
                flush=True,
            )
        runs = out["runs"]
        out.setdefault("ratio_batched_vs_single_msg_per_s", {})[b] = round(
            runs[f"{b}/batched"]["msg_per_s"] / runs[f"{b}/single"]["msg_per_s"], 1
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return out


if __name__ == "__main__":
    main()
