"""The planner's refusals: a missing facility 404, a stale version 409, bad input 422 naming the field."""
# ruff: noqa: F811  (pytest fixtures imported from web_fixtures are redefined as arguments)

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from web_fixtures import app  # noqa: F401
from web_fixtures import client  # noqa: F401
from web_fixtures import login
from web_fixtures import web_db  # noqa: F401

from cli.main import main
from facilities import usecases
from facilities.models import Facility
from gis.db import make_engine
from gis.db import make_session_factory
from gis.errors import StaleVersion

JSON = {"Accept": "application/json"}
NEW = {"kind": "home_care_station", "name": "新华站", "lon": "106.83", "lat": "39.67", "beds": "10"}


@pytest.fixture(autouse=True)
def _dispose_cli_engines(monkeypatch):
    """Close the engines the commands open (psycopg warns about connections left to the collector)."""
    import cli.context

    opened = []

    def tracked(url, **kwargs):
        engine = make_engine(url, **kwargs)
        opened.append(engine)
        return engine

    monkeypatch.setattr(cli.context, "make_engine", tracked)
    yield
    for engine in opened:
        engine.dispose()


def _add(client) -> int:
    resp = client.post("/planning/facilities", data=NEW)
    assert resp.status_code == 303, resp.get_data(as_text=True)
    return int(resp.headers["Location"].rsplit("/", 1)[1])


def test_a_missing_facility_is_404_as_a_page_and_as_json(client):
    login(client, "planner")
    page = client.get("/planning/facilities/987654")
    assert page.status_code == 404 and "facility 987654" in page.get_data(as_text=True)
    problem = client.get("/planning/facilities/987654", headers=JSON)
    assert problem.status_code == 404 and problem.mimetype == "application/problem+json"
    assert problem.get_json()["detail"] == "no facility 987654"
    for action, data in (
        ("", {"name": "x", "version": "1"}),
        ("/move", {"lon": "106.83", "lat": "39.67", "version": "1"}),
        ("/remove", {"reason": "x", "version": "1"}),
    ):
        assert client.post(f"/planning/facilities/987654{action}", data=data).status_code == 404
        assert client.post(f"/planning/facilities/987654{action}", data=data, headers=JSON).status_code == 404


def test_a_stale_version_is_409_with_the_form_shown_again(client):
    login(client, "planner")
    fid = _add(client)
    assert (
        client.post(f"/planning/facilities/{fid}", data={"name": "新站", "version": "1"}).status_code == 303
    )
    stale = client.post(f"/planning/facilities/{fid}", data={"name": "旧站", "version": "1"})
    body = stale.get_data(as_text=True)
    assert stale.status_code == 409 and "version 2, not 1" in body and 'name="version" value="2"' in body
    moved = client.post(
        f"/planning/facilities/{fid}/move",
        data={"lon": "106.84", "lat": "39.68", "version": "1"},
        headers=JSON,
    )
    assert moved.status_code == 409 and moved.get_json()["current_version"] == 2
    gone = client.post(f"/planning/facilities/{fid}/remove", data={"reason": "x", "version": "1"})
    assert gone.status_code == 409
    page = client.get(f"/planning/facilities/{fid}", headers=JSON).get_json()
    assert (page["name"], page["version"]) == ("新站", 2)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "<script>alert(1)</script>"}, "name"),
        ({"kind": "castle"}, "kind"),
        ({"beds": "many"}, "beds"),
        ({"lon": "39.67", "lat": "106.83"}, "lon"),
        ({"kind": "community_service", "beds": None, "floor_area_m2": "120"}, "floor_area_m2"),
    ],
)
def test_bad_input_is_422_naming_the_field(client, changes, field):
    login(client, "planner")
    data = {k: v for k, v in (NEW | changes).items() if v is not None}
    page = client.post("/planning/facilities", data=data)
    assert page.status_code == 422 and f'data-field="{field}"' in page.get_data(as_text=True)
    problem = client.post("/planning/facilities", data=data, headers=JSON)
    assert problem.status_code == 422 and problem.get_json()["field"] == field


def test_bad_indicator_entries_and_scenarios_are_422(client):
    login(client, "planner")
    entry = {"number": "13", "year": "2024", "value": "1", "value_source": "统计"}
    resp = client.post("/planning/indicators/entry", data=entry, headers=JSON)
    assert resp.status_code == 422 and resp.get_json()["field"] == "number"
    resp = client.post("/planning/indicators/entry", data=entry | {"number": "1", "value_source": ""})
    assert resp.status_code == 422 and 'data-field="value_source"' in resp.get_data(as_text=True)
    whatif = client.post("/planning/whatif", data={"year": "2024", "remove": "777"}, headers=JSON)
    assert whatif.status_code == 422 and whatif.get_json()["field"] == "remove"
    siting = client.post("/planning/siting", data={"year": "2024", "area": "moon"}, headers=JSON)
    assert siting.status_code == 422 and siting.get_json()["field"] == "area"
    page = client.post("/planning/siting", data={"year": "2024", "n": "zero"})
    assert page.status_code == 422 and 'data-field="n"' in page.get_data(as_text=True)


def _cli(url: str, *args: str):
    return CliRunner().invoke(main, ["--database-url", url, "--actor", "planner", *args])


def test_command_line_errors_as_json(web_db):
    url, _ids = web_db
    missing = _cli(
        url, "facilities", "move", "987654", "--lon", "106.83", "--lat", "39.67", "--format", "json"
    )
    assert missing.exit_code == 3 and json.loads(missing.stdout)["error"]["kind"] == "not_found"
    bad = _cli(
        url,
        "facilities",
        "add",
        "--kind",
        "home_care_station",
        "--name",
        "<script>x</script>",
        "--lon",
        "106.83",
        "--lat",
        "39.67",
        "--format",
        "json",
    )
    error = json.loads(bad.stdout)["error"]
    assert bad.exit_code == 1 and (error["kind"], error["field"]) == ("invalid", "name")
    added = json.loads(
        _cli(
            url,
            "facilities",
            "add",
            "--kind",
            "home_care_station",
            "--name",
            "站",
            "--lon",
            "106.83",
            "--lat",
            "39.67",
            "--format",
            "json",
        ).stdout
    )
    fid = str(added["id"])
    assert _cli(url, "facilities", "edit", fid, "--beds", "12", "--expected-version", "1").exit_code == 0
    stale = _cli(
        url, "facilities", "remove", fid, "--reason", "x", "--expected-version", "1", "--format", "json"
    )
    assert stale.exit_code == 4 and json.loads(stale.stdout)["error"]["kind"] == "stale_version"
    nothing = _cli(url, "facilities", "edit", fid, "--format", "json")
    assert nothing.exit_code == 1 and json.loads(nothing.stdout)["error"]["field"] == "changes"
    text = _cli(url, "facilities", "whatif", "--move", "nonsense")
    assert text.exit_code == 1 and text.output.startswith("Error: --move") and "Traceback" not in text.output
    run = _cli(url, "facilities", "runs", "show", "987654", "--format", "json")
    assert run.exit_code == 3 and "analysis run" in json.loads(run.stdout)["error"]["message"]


def test_a_concurrent_change_is_a_stale_version_not_a_crash(web_db):
    # Two planners load the same facility; the second one's write, without a version to check,
    # finds the row changed under it at the flush.
    url, _ids = web_db
    engine = make_engine(url)
    factory = make_session_factory(engine)
    try:
        with factory() as s:
            fac = usecases.add_facility(
                s, actor="a", kind="home_care_station", name="站", lon=106.83, lat=39.67
            )
            s.commit()
            fid = fac.id
        with factory() as first, factory() as second:
            loaded = [first.get(Facility, fid), second.get(Facility, fid)]  # held: the sessions keep them
            assert [f.version for f in loaded] == [1, 1]
            usecases.edit_facility(first, fid, actor="a", changes={"beds": 5})
            first.commit()
            with pytest.raises(StaleVersion, match=f"facility {fid} was changed"):
                usecases.edit_facility(second, fid, actor="b", changes={"beds": 7})
            second.rollback()
            with pytest.raises(StaleVersion):
                usecases.remove_facility(second, fid, actor="b", reason="x", expected_version=1)
    finally:
        engine.dispose()
