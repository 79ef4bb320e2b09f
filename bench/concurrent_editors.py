"""Concurrent editors against ``wuhai-gis serve --workers 2`` on PostGIS: statuses and lost updates.

A fresh PostGIS database gets a few place names, signs and facilities and an editor account with
an API token. The server runs on 127.0.0.1 (gunicorn, 2 worker processes). Then ``--editors``
threads, for at most ``--seconds`` and ``--edits`` each, read a random feature of the few
(so that editors collide), and send an OGC API merge patch with ``If-Match`` set to the ETag they
read and a value no one else writes. Counted: statuses per collection. Checked afterwards, per
feature: the successful writes' new versions are distinct and consecutive, the final version is
the first plus their number, the final value is the one of the last successful write and the
audit log holds one entry per successful write. A lost update is a successful write that one of
these checks does not find. Expected: only 2xx and 409/412, never 5xx, no lost update.

Run::

    .venv/bin/python -m bench.concurrent_editors            # 50 editors, 20 edits each, at most 120 s
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from datetime import date
from pathlib import Path

from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "concurrent_editors.json"
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/wuhai_concurrent"
#: The field each collection's editors write (text no one else writes).
FIELDS = {"place_names": "meaning", "signs": "material", "facilities": "contact"}
PER_COLLECTION = 3


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--editors", type=int, default=50)
    parser.add_argument("--edits", type=int, default=20, help="edits per editor at most")
    parser.add_argument("--seconds", type=float, default=120.0, help="stop the editors after this long")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    if not 1 <= args.editors <= 200 or not 1 <= args.edits <= 1000 or not 0 < args.seconds <= 900:
        parser.error("editors 1-200, edits 1-1000, seconds up to 900")
    token, features = _prepare(args.database_url)
    port = _free_port()
    server = _serve(args.database_url, port, args.workers)
    try:
        base = f"http://127.0.0.1:{port}/ogcapi/collections"
        _wait(f"{base}/signs/items?limit=1")
        result = _run(base, token, features, args.editors, args.edits, args.seconds)
        result["check"] = _check(args.database_url, base, features, result.pop("successes"))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    result.update(editors=args.editors, edits_per_editor=args.edits, workers=args.workers,
                  backend="postgis", features=sum(len(v) for v in features.values()))  # fmt: skip
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return result


def _prepare(url: str) -> tuple[str, dict[str, list[int]]]:
    """A fresh database with the features to edit and an editor's token."""
    import psycopg
    from geoalchemy2.shape import from_shape
    from shapely.geometry import MultiPolygon
    from shapely.geometry import Point
    from shapely.geometry import box

    from boundaries.models import Division
    from data import schema
    from facilities import store as facilities_store
    from gis.accounts import create_user
    from gis.accounts import issue_token
    from gis.db import make_engine
    from gis.db import make_session_factory
    from placenames import store as names_store
    from placenames.signs import store as signs_store

    name = make_url(url).database
    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(f"host=127.0.0.1 user=postgres dbname={name}", autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    engine = make_engine(url)
    schema.upgrade(engine)
    features: dict[str, list[int]] = {c: [] for c in FIELDS}
    with make_session_factory(engine)() as s:
        for code, level, parent, bounds in (
            ("150300000000", "city", None, (106.70, 39.55, 106.95, 39.80)),
            ("150302000000", "district", "150300000000", (106.78, 39.62, 106.88, 39.72)),
            ("150302001000", "town", "150302000000", (106.80, 39.64, 106.86, 39.70)),
            ("150302001001", "community", "150302001000", (106.80, 39.64, 106.86, 39.70)),
        ):
            geom = from_shape(MultiPolygon([box(*bounds)]), srid=4490)
            s.add(Division(code=code, name=f"区划{code[-4:]}", level=level, parent_code=parent, geom=geom))
        s.flush()
        for i in range(PER_COLLECTION):
            pn = names_store.propose(s, actor="bench", name=("朝阳路", "新华路", "团结路")[i % 3], category_code="253",
                                     division_code="150302001000", geom=Point(106.81 + i * 0.01, 39.66))  # fmt: skip
            names_store.review(s, pn.id, actor="bench")
            names_store.approve(s, pn.id, actor="bench", authority="乌海市人民政府", document="乌政字〔2026〕1号",
                                approval_date=date(2026, 3, 1))  # fmt: skip
            names_store.announce(s, pn.id, actor="bench", announcement_date=date(2026, 3, 15))
            features["place_names"].append(pn.id)
            sign = signs_store.create_sign(
                s, actor="bench",
                values={"kind": "street", "code": f"BEN-{i:04d}", "text_zh": "测试路", "text_romanized": "CESHI LU",
                        "division_code": "150302001000", "lon": 106.81 + i * 0.01, "lat": 39.6702},
            )  # fmt: skip
            features["signs"].append(sign.id)
            fac = facilities_store.add_facility(s, actor="bench", kind="home_care_station", name=f"测试站{i + 1}",
                                                lon=106.82 + i * 0.01, lat=39.668)  # fmt: skip
            features["facilities"].append(fac.id)
        user = create_user(s, username="editor", password="bench editor 42", actor="bench",
                           roles=["placename_officer", "sign_maintainer", "planner"])  # fmt: skip
        _user, token = issue_token(s, user.id, actor="bench")
        s.commit()
    engine.dispose()
    return token, features


def _serve(url: str, port: int, workers: int) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url}
    cmd = [str(ROOT / ".venv" / "bin" / "wuhai-gis"), "serve", "--host", "127.0.0.1", "--port", str(port),
           "--workers", str(workers)]  # fmt: skip
    return subprocess.Popen(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )


def _run(base: str, token: str, features: dict, editors: int, edits: int, seconds: float) -> dict:
    statuses: dict[str, Counter] = {c: Counter() for c in FIELDS}
    successes: list[tuple[str, int, int, str]] = []  # collection, id, new version, value
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    auth = {"Authorization": f"Bearer {token}"}

    def editor(n: int) -> None:
        rng = random.Random(n)
        for k in range(edits):
            if time.monotonic() > deadline:
                return
            cid = rng.choice(sorted(FIELDS))
            fid = rng.choice(features[cid])
            status, headers, _body = _request("GET", f"{base}/{cid}/items/{fid}", auth)
            if status != 200:
                with lock:
                    statuses[cid][f"GET {status}"] += 1
                continue
            value = f"e{n}-{k}"
            time.sleep(rng.uniform(0, 0.02))  # think time: others write meanwhile
            body = json.dumps({FIELDS[cid]: value}).encode()
            headers = {**auth, "Content-Type": "application/merge-patch+json", "If-Match": headers["ETag"]}
            status, got, text = _request("PATCH", f"{base}/{cid}/items/{fid}", headers, body)
            with lock:
                statuses[cid][str(status)] += 1
                if 200 <= status < 300:
                    successes.append((cid, fid, int(got["ETag"].strip('"')), value))
                elif status >= 500 and len(errors) < 20:
                    errors.append(f"{cid}/{fid}: {status} {text[:200]}")

    start = time.perf_counter()
    threads = [threading.Thread(target=editor, args=(n,)) for n in range(editors)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    total = Counter()
    for c in statuses.values():
        total.update(c)
    return {"wall_s": round(wall, 2), "statuses": {c: dict(v) for c, v in statuses.items()},
            "total": dict(total), "server_errors": errors, "successes": successes}  # fmt: skip


def _check(url: str, base: str, features: dict, successes: list) -> dict:
    """Lost updates: successful writes that the versions, the final value or the audit log do not show."""
    from sqlalchemy import func
    from sqlalchemy import select

    from gis.db import make_engine
    from gis.db import make_session_factory
    from gis.models import AuditLog

    lost, checked = 0, 0
    engine = make_engine(url)
    with make_session_factory(engine)() as s:
        for cid, ids in features.items():
            for fid in ids:
                mine = sorted((v, val) for c, f, v, val in successes if c == cid and f == fid)
                checked += len(mine)
                _status, headers, body = _request("GET", f"{base}/{cid}/items/{fid}", {})
                final = int(headers["ETag"].strip('"'))
                value = json.loads(body)["properties"][FIELDS[cid]]
                versions = [v for v, _ in mine]
                expected = list(range(final - len(mine) + 1, final + 1))
                audit = s.scalar(
                    select(func.count()).select_from(AuditLog)
                    .where(AuditLog.table_name == _table(cid), AuditLog.row_key == str(fid), AuditLog.actor == "editor")
                )  # fmt: skip
                missing = len(mine) - len(set(versions) & set(expected))
                if mine and value != mine[-1][1]:
                    missing = max(missing, 1)
                missing = max(missing, len(mine) - int(audit or 0))
                lost += missing
    engine.dispose()
    return {"successful_writes": checked, "lost_updates": lost}


def _table(cid: str) -> str:
    return {"place_names": "place_name", "signs": "sign", "facilities": "facility"}[cid]


def _request(method: str, url: str, headers: dict, body: bytes | None = None) -> tuple[int, dict, str]:
    req = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, dict(resp.headers), resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read().decode(errors="replace")


def _wait(url: str, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"the server did not answer {url} within {timeout:.0f} s")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


if __name__ == "__main__":
    main(sys.argv[1:])
