"""The planner's acts through the command line and through the web leave the same rows and audit entries."""

from __future__ import annotations

import json

import pytest

from gis.db import make_engine

#: A point inside the seed's one community (150302001001), and one further inside it.
LON, LAT = "106.83", "39.67"
LON2, LAT2 = "106.84", "39.68"


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


def _web(twins):
    return twins.web("planner")


def test_add_edit_move_remove_a_facility(twins):
    cli = ["facilities", "add", "--kind", "home_care_station", "--name", "新华社区服务站", "--lon", LON]
    twins.cli(*cli, "--lat", LAT, "--beds", "20", "--nursing-beds", "5", "--reason", "新建", actor="planner")
    web = _web(twins)
    added = web.post(
        "/planning/facilities",
        data={
            "kind": "home_care_station",
            "name": "新华社区服务站",
            "lon": LON,
            "lat": LAT,
            "beds": "20",
            "nursing_beds": "5",
            "reason": "新建",
        },
    )
    assert added.status_code == 303
    rows = twins.assert_same(["facility"])
    assert [(r["division_code"], r["beds"], r["status"]) for r in rows["facility"]] == [
        ("150302001001", 20, "running")
    ]
    fid = str(rows["facility"][0]["id"])

    twins.cli(
        "facilities",
        "edit",
        fid,
        "--name",
        "新华站",
        "--beds",
        "30",
        "--volunteer-site",
        "--expected-version",
        "1",
        "--reason",
        "扩建",
        actor="planner",
    )
    edited = web.post(
        f"/planning/facilities/{fid}",
        data={
            "name": "新华站",
            "beds": "30",
            "has_volunteer_site": ["0", "1"],
            "version": "1",
            "reason": "扩建",
        },
    )
    assert edited.status_code == 303
    twins.cli(
        "facilities", "move", fid, "--lon", LON2, "--lat", LAT2, "--expected-version", "2", actor="planner"
    )
    moved = web.post(f"/planning/facilities/{fid}/move", data={"lon": LON2, "lat": LAT2, "version": "2"})
    assert moved.status_code == 303
    rows = twins.assert_same(["facility"])
    assert [a["action"] for a in rows["audit_log"]] == ["create", "update", "move"]
    assert rows["facility"][0]["has_volunteer_site"] in (True, 1) and rows["facility"][0]["version"] == 3

    twins.cli("facilities", "remove", fid, "--reason", "停办", "--expected-version", "3", actor="planner")
    removed = web.post(f"/planning/facilities/{fid}/remove", data={"reason": "停办", "version": "3"})
    assert removed.status_code == 303
    rows = twins.assert_same(["facility"])
    assert rows["facility"] == [] and rows["audit_log"][-1]["action"] == "delete"


def test_enter_an_indicator_value(twins):
    twins.cli(
        "facilities",
        "enter-indicator",
        "--number",
        "1",
        "--year",
        "2024",
        "--value",
        "92.5",
        "--source",
        "区民政局统计",
        "--date",
        "2025-01-10",
        "--note",
        "年报",
        actor="planner",
    )
    resp = _web(twins).post(
        "/planning/indicators/entry",
        data={
            "number": "1",
            "year": "2024",
            "value": "92.5",
            "value_source": "区民政局统计",
            "value_date": "2025-01-10",
            "note": "年报",
        },
    )
    assert resp.status_code == 303
    rows = twins.assert_same(["indicator_entry"])
    assert [(r["number"], r["value"], r["value_date"]) for r in rows["indicator_entry"]] == [
        (1, 92.5, "2025-01-10")
    ]


def test_a_siting_run(twins, monkeypatch):
    import parity

    # the solver's time is in the stored summary: it differs from run to run like a timestamp
    monkeypatch.setattr(parity, "_VOLATILE", parity._VOLATILE | {"seconds"})
    cli = twins.cli(
        "facilities",
        "site",
        "--year",
        "2024",
        "--n",
        "1",
        "--candidates",
        "centroids",
        "--solver",
        "greedy",
        "--format",
        "json",
        actor="planner",
    )
    resp = _web(twins).post(
        "/planning/siting",
        data={
            "year": "2024",
            "kind": "home_care_station",
            "n": "1",
            "area": "urban",
            "spacing_m": "500",
            "candidates": "centroids",
            "solver": "greedy",
        },
        headers={"Accept": "application/json"},
    )
    assert resp.status_code == 200
    by_cli = json.loads(cli.output)
    by_web = resp.get_json()
    assert by_cli["sites"] == by_web["sites"] and by_cli["run_id"] == by_web["run_id"]
    rows = twins.assert_same(["analysis_run"])
    assert [(r["kind"], r["author"]) for r in rows["analysis_run"]] == [("siting", "planner")]


def test_a_what_if_writes_nothing_and_answers_alike(twins):
    cli = twins.cli(
        "facilities",
        "whatif",
        "--year",
        "2024",
        "--add",
        f"home_care_station:{LON},{LAT}",
        "--format",
        "json",
        actor="planner",
    )
    resp = _web(twins).post(
        "/planning/whatif",
        data={"year": "2024", "kind": "home_care_station", "lon": LON, "lat": LAT},
        headers={"Accept": "application/json"},
    )
    assert resp.status_code == 200
    by_cli, by_web = json.loads(cli.output), resp.get_json()
    assert by_cli["units"] == by_web["units"]
    served = {i["id"]: i for i in by_web["units"][0]["indicators"]}["3"]
    assert (served["before"], served["after"]) == (0, 100)
    rows = twins.assert_same(["facility"])
    assert rows["facility"] == [] and rows["audit_log"] == []


def test_entering_a_computed_indicator_is_refused_alike(twins):
    refused = twins.cli(
        "facilities", "enter-indicator", "--number", "4", "--year", "2024", "--value", "40",
        "--source", "区民政局统计", "--format", "json", actor="planner", ok=False,
    )  # fmt: skip
    error = json.loads(refused.output)["error"]
    assert refused.exit_code == 1 and error["field"] == "number" and "indicator 4" in error["message"]
    resp = _web(twins).post(
        "/planning/indicators/entry",
        data={"number": "4", "year": "2024", "value": "40", "value_source": "区民政局统计"},
    )
    assert resp.status_code == 422 and "indicator 4" in resp.get_data(as_text=True)
    rows = twins.assert_same(["indicator_entry"])
    assert all(r["number"] != 4 for r in rows["indicator_entry"])
