"""How both front ends answer refused name acts: not found, stale version, invalid input with rule findings."""
# ruff: noqa: F811  (pytest fixtures imported from web_fixtures are redefined as arguments)

from __future__ import annotations

import json

from click.testing import CliRunner
from web_fixtures import app  # noqa: F401
from web_fixtures import client  # noqa: F401
from web_fixtures import login
from web_fixtures import web_db  # noqa: F401

from cli.main import main
from placenames.models import PlaceName
from webmap.db import get_session

JSON = {"Accept": "application/json"}


def _names(url: str, *args: str):
    return CliRunner().invoke(main, ["--database-url", url, "--actor", "placename_officer", "names", *args])


def test_a_missing_name_is_404_as_page_and_as_json_problem(client):
    login(client, "placename_officer")
    page = client.get("/names/999999")
    assert page.status_code == 404 and "no place name 999999" in page.get_data(as_text=True)
    problem = client.get("/names/999999", headers=JSON)
    assert problem.status_code == 404 and problem.mimetype == "application/problem+json"
    assert problem.get_json()["type"] == "urn:wuhai-gis:error:not_found"
    assert client.post("/names/999999/review", data={"version": "1"}).status_code == 404
    assert client.get("/names/999999/history.json", headers=JSON).status_code == 404
    assert client.get("/names/99999999999999999999999").status_code == 404
    assert client.post("/names/1/nosuchact", data={"version": "1"}).status_code == 404


def test_a_stale_version_is_409_and_changes_nothing(client, app):
    pid = app.config["SEED_IDS"]["海北大街"]
    login(client, "placename_officer")
    stale = client.post(f"/names/{pid}/edit", data={"version": "1", "meaning": "旧版本上的修改"})
    html = stale.get_data(as_text=True)
    assert stale.status_code == 409 and "someone else changed it meanwhile" in html
    assert (
        'id="form-error"' in html and 'name="version" value="4"' in html
    )  # the page shows the current version
    problem = client.post(f"/names/{pid}/retire", data={"version": "2", "reason": "x"}, headers=JSON)
    assert problem.status_code == 409 and problem.get_json()["current_version"] == 4
    precondition = client.post(
        f"/names/{pid}/retire", data={"version": "2", "reason": "x"}, headers={**JSON, "If-Match": '"2"'}
    )
    assert precondition.status_code == 412
    with app.app_context():
        pn = get_session().get(PlaceName, pid)
        assert (pn.meaning, pn.status, pn.version) == (None, "announced", 4)


def test_invalid_input_is_422_with_the_rule_findings(client, app):
    login(client, "placename_officer")
    made = client.post(
        "/names/new",
        data={"action": "propose", "name": "人民路", "category_code": "253", "division_code": "150302001000"},
    )
    pid = int(made.headers["Location"].rstrip("/").split("/")[-1])
    assert client.post(f"/names/{pid}/review", data={"version": "1"}).status_code == 302
    blocked = client.post(
        f"/names/{pid}/approve",
        data={"version": "2", "authority": "乌海市人民政府", "document": "乌政字〔2025〕1号"},
    )
    html = blocked.get_data(as_text=True)
    assert blocked.status_code == 422 and "cannot approve" in html
    assert '<li class="finding blocking"><b>duplicate</b>' in html
    problem = client.post(
        f"/names/{pid}/approve", headers=JSON, data={"version": "2", "authority": "a", "document": "d"}
    )
    body = problem.get_json()
    assert problem.status_code == 422 and body["details"][0]["rule"] == "duplicate"

    renamed = client.post(
        f"/names/{pid}/rename", data={"version": "2", "new_name": "<b>x</b>路", "reason": "x"}
    )
    assert renamed.status_code == 422 and "<b>x</b>路" not in renamed.get_data(as_text=True)
    unknown = client.post("/names/new", data={"action": "propose", "name": "朝阳街", "category_code": "999"})
    assert unknown.status_code == 422 and "unknown place-name category" in unknown.get_data(as_text=True)
    with app.app_context():
        pn = get_session().get(PlaceName, pid)
        assert (pn.name, pn.status) == ("人民路", "under_review")


def test_the_command_line_answers_json_errors_with_their_exit_codes(web_db):
    url, ids = web_db
    missing = _names(url, "show", "999999", "--format", "json")
    assert missing.exit_code == 3
    assert json.loads(missing.stdout)["error"] == {"kind": "not_found", "message": "no place name 999999"}
    text = _names(url, "history", "999999")
    assert text.exit_code == 3 and "Error: no place name 999999" in text.output
    pid = str(ids["海北大街"])
    stale = _names(url, "edit", pid, "--meaning", "x", "--expected-version", "1", "--format", "json")
    assert stale.exit_code == 4 and json.loads(stale.stdout)["error"]["kind"] == "stale_version"
    bad = _names(url, "rename", pid, "<b>x</b>路", "--reason", "x", "--format", "json")
    assert bad.exit_code == 1
    assert json.loads(bad.stdout)["error"]["field"] == "new_name"
    wkt = _names(url, "edit", pid, "--wkt", "POINT (1", "--format", "json")
    assert wkt.exit_code == 1 and json.loads(wkt.stdout)["error"]["field"] == "wkt"
    assert _names(url, "romanize", "", "--format", "json").exit_code == 1
