"""Generated products on the web: built once per data generation in the background, then served."""
# ruff: noqa: F811  (pytest fixtures imported from web_fixtures are redefined as arguments)

from __future__ import annotations

import time

import pytest
from web_fixtures import app  # noqa: F401
from web_fixtures import client  # noqa: F401
from web_fixtures import login
from web_fixtures import web_db  # noqa: F401

from facilities import report as freport
from placenames import gazetteer
from placenames import store
from webmap.db import get_session
from webmap.products import get_cache

GAZ = "/names/products/gazetteer/"


def _counting(monkeypatch, module, name: str) -> list:
    """Replace ``module.name`` with a wrapper recording each call (the real builder still runs)."""
    calls: list = []
    real = getattr(module, name)

    def wrapper(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, wrapper)
    return calls


def _fetch(client, url: str):
    """GET ``url``, read the body and close the response (file responses hold the file open)."""
    resp = client.get(url)
    resp.get_data()
    resp.close()
    return resp


def _settled(client, status_url: str, *, timeout: float = 300.0) -> dict:
    """Poll the status endpoint until no build is queued or running."""
    deadline = time.monotonic() + timeout
    while True:
        resp = client.get(status_url)
        assert resp.status_code == 200 and resp.mimetype == "application/json"
        status = resp.get_json()
        if status["state"] not in ("queued", "building"):
            return status
        assert time.monotonic() < deadline, status
        time.sleep(0.05)


def _rename(app, place_id: int, new_name: str) -> None:
    with app.app_context():
        s = get_session()
        version = store.get(s, place_id).version
        store.rename(s, place_id, actor="test", new_name=new_name, reason="更名", expected_version=version)
        s.commit()


def test_gazetteer_built_once_served_then_rebuilt_after_a_write(client, app, monkeypatch):
    calls = _counting(monkeypatch, gazetteer, "write_gazetteer")
    login(client, "placename_officer")

    first = client.get(GAZ + "?lang=en")
    assert first.status_code == 202
    page = first.get_data(as_text=True)
    assert 'id="product-status"' in page and "Being prepared" in page and "/static/js/products.js" in page
    status = _settled(client, GAZ + "status?format=html")
    assert status["state"] == "ready" and status["current"] and status["error"] is None
    assert len(calls) == 1

    served = client.get(GAZ)
    assert served.status_code == 302 and served.headers["Location"] == status["file_url"]
    html = _fetch(client, status["file_url"])
    assert html.status_code == 200 and "script-src" not in html.headers["Content-Security-Policy"]
    text = html.get_data(as_text=True)
    assert "乌海市地名志" in text and "海北大街" in text and 'src="overview_city.png"' in text
    image = _fetch(client, status["file_url"].rsplit("/", 1)[0] + "/overview_city.png")
    assert image.status_code == 200 and image.data[:4] == b"\x89PNG"
    assert client.get(status["file_url"].rsplit("/", 1)[0] + "/.product.json").status_code == 404
    with app.app_context():
        main = get_cache().status(get_session(), "gazetteer", {"format": "html"}).latest.path
    mtime = main.stat().st_mtime_ns
    for _ in range(3):  # served from disk, not rebuilt
        assert client.get(GAZ).status_code == 302
    assert len(calls) == 1 and main.stat().st_mtime_ns == mtime

    _rename(app, app.config["SEED_IDS"]["海北大街"], "海北路")  # a write: a new audit entry
    stale = client.get(GAZ + "?lang=en")
    assert stale.status_code == 202
    assert 'id="product-stale"' in stale.get_data(as_text=True) and status["file_url"] in stale.get_data(
        as_text=True
    )
    assert (
        _fetch(client, status["file_url"]).status_code == 200
    )  # the earlier build stays downloadable meanwhile
    fresh = _settled(client, GAZ + "status?format=html")
    assert fresh["state"] == "ready" and fresh["file_url"] != status["file_url"]
    assert len(calls) == 2
    assert "海北路" in _fetch(client, fresh["file_url"]).get_data(as_text=True)
    assert _fetch(client, status["file_url"]).status_code == 404  # replaced by the new build
    assert client.get(GAZ).headers["Location"] == fresh["file_url"]


def test_failed_build_is_reported_not_retried_until_asked(client, app, monkeypatch):
    real = gazetteer.write_gazetteer
    calls = []

    def broken(*args, **kwargs):
        calls.append(kwargs)
        raise RuntimeError("no CJK font for the PDF")

    monkeypatch.setattr(gazetteer, "write_gazetteer", broken)
    login(client, "placename_officer")
    assert _fetch(client, GAZ + "?format=pdf").status_code == 202
    status = _settled(client, GAZ + "status?format=pdf")
    assert status["state"] == "failed" and "RuntimeError: no CJK font for the PDF" in status["error"]
    page = client.get(GAZ + "?format=pdf&lang=en")
    assert page.status_code == 500
    body = page.get_data(as_text=True)
    assert "failed" in body and "no CJK font for the PDF" in body and "Build again" in body
    assert len(calls) == 1  # not rebuilt by every visit

    monkeypatch.setattr(gazetteer, "write_gazetteer", real)
    again = client.post(GAZ + "rebuild", data={"format": "pdf"})
    assert again.status_code == 302 and "rebuilt=1" in again.headers["Location"]
    status = _settled(client, GAZ + "status?format=pdf")
    assert status["state"] == "ready" and status["error"] is None
    pdf = _fetch(client, GAZ + "?format=pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert "attachment" in pdf.headers["Content-Disposition"]


def test_planning_report_pdf_cached_per_year_and_forced_rebuild(client, app, monkeypatch):
    calls = _counting(monkeypatch, freport, "build_report")
    login(client, "planner")
    url = "/planning/report?year=2024&format=pdf"
    assert _fetch(client, url).status_code == 202
    status = _settled(client, "/planning/report/status?year=2024&format=pdf")
    assert status["state"] == "ready"
    for _ in range(2):
        pdf = _fetch(client, url)
        assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
        assert "plan-progress-2024.pdf" in pdf.headers["Content-Disposition"]
    assert [c["year"] for c in calls] == [2024]

    # another year is another product
    assert client.get("/planning/report?year=2023&format=pdf").status_code == 202
    assert _settled(client, "/planning/report/status?year=2023&format=pdf")["state"] == "ready"
    assert [c["year"] for c in calls] == [2024, 2023]

    forced = client.post("/planning/report/rebuild", data={"year": "2024", "format": "pdf"})
    assert forced.status_code == 302
    waiting = _fetch(client, forced.headers["Location"])
    assert waiting.status_code in (200, 202)  # 202 while the new build runs, the file once it is done
    rebuilt = _settled(client, "/planning/report/status?year=2024&format=pdf")
    assert rebuilt["state"] == "ready" and rebuilt["file_url"] != status["file_url"]
    assert [c["year"] for c in calls] == [2024, 2023, 2024]

    html = client.get("/planning/report?year=2024")
    assert html.status_code == 202
    done = _settled(client, "/planning/report/status?year=2024")
    page = _fetch(client, done["file_url"])
    assert page.status_code == 200 and "2024" in page.get_data(as_text=True)
    assert _fetch(client, done["file_url"].rsplit("/", 1)[0] + "/map_facilities.png").data[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    "path",
    [
        "/names/products/gazetteer/files/html/..%2F..%2Fsecret_key/x",
        "/names/products/gazetteer/files/html/nosuchbuild/乌海市地名志.html",
        "/names/products/gazetteer/files/exe/b/x.html",
        "/planning/report/files/2024/html/b/..%2F.lock",
    ],
)
def test_product_files_stay_inside_their_build(client, path):
    login(client, "admin")
    assert client.get(path).status_code == 404


def test_product_pages_need_their_role(client):
    login(client, "planner")
    assert client.get(GAZ).status_code == 403
    assert client.get(GAZ + "status").status_code == 403
    assert client.post(GAZ + "rebuild").status_code == 403
    client.post("/auth/logout")
    login(client, "placename_officer")
    assert client.get("/planning/report/status?year=2024").status_code == 403
