"""Two web hosts (two ``wuhai-gis serve`` processes, instance folders of their own) on one PostGIS and
one Redis (``REDIS_URL``): rate limits counted together, the OGC API page cache shared and
invalidated together."""
# ruff: noqa: F811  (pytest fixtures imported from web_fixtures are redefined as arguments)

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from conftest import only_backends
from sqlalchemy import select
from web_fixtures import web_db  # noqa: F401

CLI = str(Path(sys.executable).with_name("wuhai-gis"))
#: A Redis database of these tests' own; only it is flushed.
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/7")
#: Both hosts are reached under this name, as behind a load balancer.
HOST = "maps.wuhai.test"
FACILITIES = "/ogcapi/collections/facilities/items?limit=50&bbox=106.7,39.6,106.9,39.8"


@pytest.fixture
def redis_db():
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.ConnectionError:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no Redis at {REDIS_URL}")
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _call(url: str, *, data: bytes | None = None, headers: dict | None = None, method: str | None = None):
    req = urllib.request.Request(url, data=data, headers={"Host": HOST, **(headers or {})}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()
    except urllib.error.URLError:
        return 0, {}, b""  # not listening yet


def _start(url: str, instance: Path) -> tuple[subprocess.Popen, str]:
    port = _port()
    env = {**os.environ, "DATABASE_URL": url, "WUHAI_INSTANCE": str(instance), "REDIS_URL": REDIS_URL,
           "FLASK_WTF_CSRF_ENABLED": "false"}  # fmt: skip
    proc = subprocess.Popen(
        [CLI, "serve", "--port", str(port), "--threads", "2"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip
    return proc, f"http://127.0.0.1:{port}"


def _token(url: str, username: str) -> str:
    from gis.accounts import issue_token
    from gis.db import make_engine
    from gis.db import make_session_factory
    from gis.models import User

    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as s:
            user = s.scalar(select(User).where(User.username == username))
            _user, token = issue_token(s, user.id, actor="test")
            s.commit()
    finally:
        engine.dispose()
    return token


@only_backends("postgis")
def test_two_hosts_share_limits_and_pages_through_redis(web_db, redis_db, tmp_path):
    url, _ids = web_db
    servers = [_start(url, tmp_path / name) for name in ("host-a", "host-b")]
    (proc_a, a), (proc_b, b) = servers
    try:
        deadline = time.time() + 90
        for proc, base in servers:
            while _call(f"{base}/ogcapi/")[0] != 200:
                assert proc.poll() is None, proc.stdout.read()
                assert time.time() < deadline, "a server did not come up"
                time.sleep(0.3)

        # Rate limit: 10 logins a minute per address, counted over both hosts.
        form = urllib.parse.urlencode({"username": "planner", "password": "wrong"}).encode()
        codes = [_call(f"{(a, b)[i % 2]}/auth/login", data=form)[0] for i in range(12)]
        assert codes[:10] == [200] * 10 and codes[10:] == [429, 429], codes
        assert redis_db.keys("wuhai:rate:login:*")

        # Page cache: a page rendered by host A is served by host B (the same bytes, the same ETag).
        status, first_headers, first = _call(a + FACILITIES)
        assert status == 200
        status, headers, again = _call(b + FACILITIES)
        assert status == 200 and again == first and headers["ETag"] == first_headers["ETag"]
        assert redis_db.keys("wuhai:ogcapi:*")
        before = {f["id"] for f in json.loads(first)["features"]}

        # A write through host B is seen at once through host A's cache.
        feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [106.83, 39.668]},
                   "properties": {"kind": "home_care_station", "name": "两台主机测试服务站"}}  # fmt: skip
        auth = {"Authorization": f"Bearer {_token(url, 'planner')}", "Content-Type": "application/geo+json"}
        status, _h, body = _call(b + "/ogcapi/collections/facilities/items", data=json.dumps(feature).encode(),
                                 headers=auth, method="POST")  # fmt: skip
        assert status == 201, body
        status, headers, fresh = _call(a + FACILITIES)
        assert status == 200 and headers["ETag"] != first_headers["ETag"]
        names = {f["properties"]["name"] for f in json.loads(fresh)["features"]}
        assert "两台主机测试服务站" in names and len(json.loads(fresh)["features"]) == len(before) + 1
    finally:
        for proc, _base in servers:
            os.killpg(proc.pid, signal.SIGTERM)
        for proc, _base in servers:
            proc.communicate(timeout=30)
