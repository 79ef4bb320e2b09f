"""``wuhai-gis serve --workers N``: several gunicorn processes serve the app and share one rate limit."""
# ruff: noqa: F811  (pytest fixtures imported from web_fixtures are redefined as arguments)

from __future__ import annotations

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

from web_fixtures import web_db  # noqa: F401

CLI = str(Path(sys.executable).with_name("wuhai-gis"))


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _status(url: str, data: bytes | None = None) -> int:
    try:
        with urllib.request.urlopen(url, data=data, timeout=30) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except urllib.error.URLError:
        return 0  # not listening yet


def test_workers_serve_and_share_the_login_limit(web_db, tmp_path):
    url, _ids = web_db
    port = _port()
    env = {**os.environ, "DATABASE_URL": url, "WUHAI_INSTANCE": str(tmp_path / "instance"),
           "FLASK_WTF_CSRF_ENABLED": "false"}  # fmt: skip
    proc = subprocess.Popen(
        [CLI, "serve", "--port", str(port), "--workers", "2", "--threads", "2"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while _status(f"{base}/ogcapi/") != 200:
            assert proc.poll() is None, proc.stdout.read()
            assert time.time() < deadline, "the server did not come up"
            time.sleep(0.3)
        assert _status(f"{base}/ogcapi/collections/signs/items?limit=2") == 200
        form = urllib.parse.urlencode({"username": "planner", "password": "wrong"}).encode()
        codes = [_status(f"{base}/auth/login", form) for _ in range(12)]
        # Each request may land on either worker process; the limit counts them together.
        assert codes[:10] == [200] * 10 and codes[10:] == [429, 429], codes
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert out.count("Booting worker") == 2
