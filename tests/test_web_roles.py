"""Who may do what: every page and action against every role (and anonymous visitors)."""
# ruff: noqa: F811  (pytest fixtures imported from web_fixtures are redefined as arguments)

from __future__ import annotations

import pytest
from web_fixtures import ROLES
from web_fixtures import login
from web_fixtures import ro_app  # noqa: F401

OFFICER = {"placename_officer", "admin"}
SIGNS = {"placename_officer", "sign_maintainer", "admin"}
INSPECT = {"boundary_inspector", "admin"}
PLAN = {"planner", "admin"}
ADMIN = {"admin"}
EVERYONE = set(ROLES) | {None}

#: (method, path, who may) - paths with {ids} are filled from the seed.
MATRIX = [
    ("GET", "/", EVERYONE),
    ("GET", "/report", EVERYONE),
    ("GET", "/api/features/signs?bbox=106,39,107,40&zoom=10", EVERYONE),
    ("GET", "/api/search?q=renmin", EVERYONE),
    ("GET", "/ogcapi/collections/signs/items", EVERYONE),
    ("GET", "/home", set(ROLES)),
    ("GET", "/names/", OFFICER),
    ("GET", "/names/new", OFFICER),
    ("GET", "/names/{人民路}", OFFICER),
    ("POST", "/names/{人民路}/review", OFFICER),
    ("GET", "/signs/", SIGNS),
    ("GET", "/signs/{sign0}", SIGNS),
    ("GET", "/signs/orders", SIGNS),
    ("GET", "/signs/worklist/{人民路}", SIGNS),
    ("POST", "/signs/orders/1/assign", SIGNS),
    ("GET", "/boundaries/", INSPECT),
    ("GET", "/boundaries/alarms", INSPECT),
    ("POST", "/boundaries/rounds/1/start", INSPECT),
    ("GET", "/planning/", PLAN),
    ("GET", "/planning/siting", PLAN),
    ("POST", "/planning/whatif", PLAN),
    ("GET", "/admin/", ADMIN),
    ("GET", "/admin/audit", ADMIN),
    ("POST", "/admin/users", ADMIN),
]


def _path(template: str, ids: dict) -> str:
    for key, value in ids.items():
        template = template.replace("{" + key + "}", str(value))
    return template


@pytest.mark.parametrize("role", [None, *ROLES])
def test_role_matrix(ro_app, role):
    client = ro_app.test_client()
    if role is not None:
        assert login(client, role).status_code == 302
    ids = ro_app.config["SEED_IDS"]
    wrong = []
    for method, template, allowed in MATRIX:
        path = _path(template, ids)
        if method == "POST" and role in allowed:
            continue  # allowed writes are exercised by the page tests
        resp = client.open(path, method=method, data={}, headers={"Accept": "text/html"})
        if role in allowed:
            ok = resp.status_code == 200
        elif role is None:
            ok = resp.status_code == 302 and "/auth/login" in resp.headers["Location"]
            # a client that is no browser gets a status it can act on
            api = client.open(path, method=method, data={}, headers={"Accept": "application/json"})
            ok = ok and api.status_code == 401 and api.get_json()["status"] == 401
        else:
            ok = resp.status_code == 403
        if not ok:
            wrong.append((method, path, resp.status_code))
    assert wrong == []


def test_inactive_account_cannot_log_in(ro_app):
    from sqlalchemy import select

    from gis.models import User
    from webmap.db import get_session

    with ro_app.app_context():
        s = get_session()
        user = s.scalar(select(User).where(User.username == "public"))
        user.active = False
        s.commit()
    try:
        client = ro_app.test_client()
        assert login(client, "public").status_code == 200
        assert client.get("/home", headers={"Accept": "text/html"}).status_code == 302
        assert client.get("/home").status_code == 401
    finally:
        with ro_app.app_context():
            s = get_session()
            s.scalar(select(User).where(User.username == "public")).active = True
            s.commit()
