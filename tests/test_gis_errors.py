"""The core vocabulary: row helpers raise the domain errors, and each front end maps them once."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session
from web_fixtures import app  # noqa: F401
from web_fixtures import client  # noqa: F401
from web_fixtures import login
from web_fixtures import web_db  # noqa: F401

from gis.accounts import create_user
from gis.accounts import set_roles
from gis.errors import Conflict
from gis.errors import Forbidden
from gis.errors import InvalidInput
from gis.errors import NotFound
from gis.errors import StaleVersion
from gis.models import User
from gis.rows import check_version
from gis.rows import flush_or_conflict
from gis.rows import get_or_raise


def test_get_or_raise_refuses_missing_and_impossible_keys(session):
    user = create_user(session, username="li", password="long enough", roles=["planner"], actor="t")
    assert get_or_raise(session, User, user.id) is user
    assert get_or_raise(session, User, str(user.id)) is user
    for key in (2**31, "9" * 25, -(2**70), "abc", 1.5, None):
        with pytest.raises(NotFound) as info:
            get_or_raise(session, User, key, what="account")
        assert info.value.message.startswith("no account")


def test_check_version_names_both_versions(session):
    user = create_user(session, username="wang", password="long enough", roles=["planner"], actor="t")
    check_version(user, None)
    check_version(user, user.version)
    with pytest.raises(StaleVersion) as info:
        check_version(user, user.version + 1)
    assert info.value.current_version == user.version
    assert f"version {user.version}, not {user.version + 1}" in info.value.message
    with pytest.raises(InvalidInput):
        check_version(user, "x")


def test_flush_or_conflict_turns_database_refusals_into_domain_errors(engine):
    with Session(engine) as s:
        create_user(s, username="zhao", password="long enough", roles=["planner"], actor="t")
        s.flush()
        s.add(User(username="zhao", password_hash="x", roles=["planner"]))
        with pytest.raises(Conflict) as info:
            flush_or_conflict(s, "account zhao")
        assert info.value.message.startswith("account zhao: another record already has")
        s.rollback()


def test_a_stale_write_from_another_session_is_a_stale_version(engine):
    with Session(engine) as s:
        user = create_user(s, username="sun", password="long enough", roles=["planner"], actor="t")
        s.commit()
        uid = user.id
    try:
        with Session(engine) as a, Session(engine) as b:
            ua, ub = a.get(User, uid), b.get(User, uid)
            ua.display_name = "A"
            a.commit()
            ub.display_name = "B"
            with pytest.raises(StaleVersion):
                flush_or_conflict(b, ub)
            b.rollback()
    finally:
        with Session(engine) as s:
            s.delete(s.get(User, uid))
            s.commit()


def test_account_use_cases_refuse_with_fields(session):
    with pytest.raises(InvalidInput) as info:
        create_user(session, username="", password="long enough", roles=["planner"], actor="t")
    assert info.value.field == "username"
    with pytest.raises(InvalidInput) as info:
        create_user(session, username="qian", password="short", roles=["planner"], actor="t")
    assert info.value.field == "password"
    with pytest.raises(Forbidden):
        create_user(session, username="qian", password="long enough", roles=["planner"], actor="")
    user = create_user(session, username="qian", password="long enough", roles=["planner"], actor="t")
    with pytest.raises(Conflict):
        create_user(session, username="qian", password="long enough", roles=["planner"], actor="t")
    with pytest.raises(StaleVersion):
        set_roles(
            session, user.id, roles=["admin"], active=True, actor="t", expected_version=user.version + 5
        )
    with pytest.raises(NotFound):
        set_roles(session, 10**12, roles=["admin"], active=True, actor="t", expected_version=None)


def test_the_web_answers_domain_errors_as_pages_and_problem_details(client):  # noqa: F811
    login(client, "admin")
    form = {"roles": ["planner"], "version": "1"}
    page = client.post("/admin/users/" + "9" * 25, data=form)
    assert page.status_code == 404
    assert "text/html" in page.content_type
    api = client.post("/admin/users/" + "9" * 25, data=form, headers={"Accept": "application/json"})
    assert api.status_code == 404
    assert api.content_type == "application/problem+json"
    body = api.get_json()
    assert (
        body["status"] == 404
        and body["type"].endswith("not_found")
        and body["detail"].startswith("no account")
    )
    stale = client.post(
        "/admin/users/1", data={**form, "version": "99"}, headers={"Accept": "application/json"}
    )
    assert stale.status_code == 409
    assert stale.get_json()["type"].endswith("stale_version") and stale.get_json()["current_version"] == 1
    bad = client.post("/admin/users", data={"username": "x", "password": "short", "roles": ["planner"]})
    assert bad.status_code == 422
    assert "password must be at least 8 characters" in bad.get_data(as_text=True)


def test_the_command_line_answers_domain_errors_in_one_line_or_as_json(fresh_db_url):
    from cli.main import main

    runner = CliRunner()
    args = ["--database-url", fresh_db_url, "user", "token", "nobody"]
    text = runner.invoke(main, args)
    assert text.exit_code == 3
    assert text.output.strip() == "Error: no user 'nobody'"
    as_json = runner.invoke(main, [*args, "--format", "json"])
    assert as_json.exit_code == 3
    assert json.loads(as_json.stdout) == {
        "error": {"kind": "not_found", "message": "no user 'nobody'", "field": "username"}
    }
