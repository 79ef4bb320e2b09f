"""The application factory, accounts, CSRF, rate limits, security headers and escaping."""
# ruff: noqa: F811  (pytest fixtures imported from web_fixtures are redefined as arguments)

from __future__ import annotations

import re

from web_fixtures import PASSWORD
from web_fixtures import app  # noqa: F401
from web_fixtures import client  # noqa: F401
from web_fixtures import login
from web_fixtures import web_db  # noqa: F401

from webmap import create_app


def test_factory_generates_secret_key_once(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.sqlite'}"
    a = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path / "inst")})
    b = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path / "inst")})
    key = (tmp_path / "inst" / "secret_key").read_text()
    assert a.config["SECRET_KEY"] == b.config["SECRET_KEY"] == key and len(key) == 64
    assert (tmp_path / "inst" / "secret_key").stat().st_mode & 0o077 == 0
    for app_ in (a, b):
        app_.extensions["wuhai_engine"].dispose()


def test_public_map_page_and_headers(client):
    resp = client.get("/")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert 'name="viewport"' in html and "/static/vendor/leaflet/leaflet.js" in html
    assert "cdn" not in html.lower() and "unpkg" not in html.lower()
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    assert "<script>" not in html  # no inline script: configuration travels in data attributes
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_language_switch(client):
    assert "登录" in client.get("/").get_data(as_text=True)
    assert "Log in" in client.get("/?lang=en").get_data(as_text=True)
    assert "Log in" in client.get("/").get_data(as_text=True)  # remembered in the session


def test_login_logout_and_wrong_password(client):
    bad = login(client, "planner", "wrong password")
    assert bad.status_code == 200 and "planner" not in bad.get_data(as_text=True).split("<main")[0]
    page = {"Accept": "text/html"}
    assert client.get("/planning/", headers=page).status_code == 302
    assert client.get("/planning/").status_code == 401
    assert login(client, "planner").status_code == 302
    assert client.get("/planning/").status_code == 200
    client.post("/auth/logout")
    assert client.get("/planning/", headers=page).status_code == 302


def test_open_redirect_refused(client):
    resp = client.post(
        "/auth/login?next=https://evil.example/", data={"username": "planner", "password": PASSWORD}
    )
    assert resp.status_code == 302 and "evil" not in resp.headers["Location"]


def test_login_rate_limited(client):
    codes = [login(client, "planner", "nope").status_code for _ in range(12)]
    assert codes[:10] == [200] * 10 and codes[10:] == [429, 429]


def test_csrf_required_on_forms(web_db, tmp_path):
    url, _ids = web_db
    app = create_app({"TESTING": True, "DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path / "i2")})
    c = app.test_client()
    assert c.post("/auth/login", data={"username": "planner", "password": PASSWORD}).status_code == 400
    page = c.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    ok = c.post("/auth/login", data={"username": "planner", "password": PASSWORD, "csrf_token": token})
    assert ok.status_code == 302
    app.extensions["wuhai_engine"].dispose()


def test_database_text_is_escaped(client):
    login(client, "admin")
    html = client.get("/signs/audit?division=150302000000").get_data(as_text=True)
    assert "<b>新华</b>" not in html
    feats = client.get("/api/features/divisions?bbox=106.7,39.5,107,39.9&zoom=14").get_json()
    names = [f["properties"]["name"] for f in feats["features"]]
    assert "<b>新华</b>社区" in names  # JSON carries the raw text; the page inserts it with textContent


def test_public_report_needs_photo_and_is_rate_limited(client, app):
    app.config["RATE_LIMITS"] = {**app.config["RATE_LIMITS"], "report": (2, 600)}
    data = {"reason": "damaged", "description": "牌子倒了", "lon": "106.82", "lat": "39.67"}
    first = client.post("/report", data=data)  # not a browser: the problem, naming the field
    assert first.status_code == 422 and first.mimetype == "application/problem+json"
    assert first.get_json()["field"] == "photo"
    page = client.post("/report", data=data, headers={"Accept": "text/html"})  # a browser: the form again
    assert (
        page.status_code == 422
        and "photo" in page.get_data(as_text=True)
        and "<form" in page.get_data(as_text=True)
    )
    assert client.post("/report", data=data).status_code == 429


def test_public_report_refuses_a_bad_field_with_422_naming_it(client):
    data = {"reason": "damaged", "description": "", "lon": "106.82", "lat": "39.67"}
    as_json = client.post("/report", data=data, headers={"Accept": "application/json"})
    assert as_json.status_code == 422 and as_json.get_json()["field"] == "description"
    far = client.post("/report", data={**data, "description": "倒了", "lon": "120"})
    assert far.status_code == 422 and far.get_json()["field"] == "lon"
    page = client.post("/report", data=data, headers={"Accept": "text/html,application/xhtml+xml"})
    assert page.status_code == 422 and "<form" in page.get_data(as_text=True)


def test_public_report_with_photo_opens_work_order(client, app):
    import io

    from PIL import Image
    from sqlalchemy import select

    from placenames.models import WorkOrder
    from webmap.db import get_session

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buf, format="PNG")
    data = {"reason": "missing", "description": "路牌不见了", "lon": "106.82", "lat": "39.67",
            "photo": (io.BytesIO(buf.getvalue()), "p.png")}  # fmt: skip
    resp = client.post("/report", data=data, content_type="multipart/form-data")
    assert resp.status_code == 302
    with app.app_context():
        orders = get_session().scalars(select(WorkOrder)).all()
        assert [(o.reason, o.reported_by, o.source) for o in orders] == [("missing", "public", "public")]
    fake = {**data, "photo": (io.BytesIO(b"<svg onload=alert(1)>"), "p.png")}
    bad = client.post("/report", data=fake, content_type="multipart/form-data")
    assert bad.status_code == 422 and "image" in bad.get_json()["detail"]
    page = client.post("/report", data={**fake, "photo": (io.BytesIO(b"<svg>"), "p.png")},
                       content_type="multipart/form-data", headers={"Accept": "text/html"})  # fmt: skip
    assert page.status_code == 422 and "image" in page.get_data(as_text=True)


def test_every_interface_text_has_a_chinese_translation():
    from pathlib import Path

    from babel.messages.pofile import read_po

    import webmap

    po = Path(webmap.__file__).parent / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as fh:
        catalog = read_po(fh)
    untranslated = [m.id for m in catalog if m.id and not m.string]
    assert untranslated == []
    assert (po.parent / "messages.mo").stat().st_mtime >= po.stat().st_mtime - 1
