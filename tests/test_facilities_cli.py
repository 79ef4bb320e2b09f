"""The facilities commands end to end on a fresh database (both backends)."""

from __future__ import annotations

import json
from datetime import date

import facilities_fixtures as fx
import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session

from cli.main import main
from gis.crs import transformer
from gis.db import make_engine


@pytest.fixture
def city_url(fresh_db_url):
    engine = make_engine(fresh_db_url)
    with Session(engine) as session:
        fx.seed_divisions(session)
        fx.seed_roads(session)
        fx.seed_facilities_and_entries(session, actor="seed")
        session.commit()
    engine.dispose()
    return fresh_db_url


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


def _run(url: str, *args: str) -> dict | list:
    result = CliRunner().invoke(
        main, ["--database-url", url, "--actor", "planner", *args], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_indicators_command(city_url):
    out = _run(city_url, "indicators", "--year", "2020", "--format", "json", "--standards")
    ind = {i["id"]: i for i in out["indicators"]}
    assert [i["number"] for i in out["indicators"]][:3] == [1, 2, 3]
    assert ind["3"]["value"] == 50 and ind["3"]["kind"] == "约束性" and ind["3"]["target_2025"] == 100
    assert ind["7"]["value"] == 1.2 and ind["11"]["value"] == 50
    assert {b["code"] for b in out["below_standard"]} == {"150302001003", "150302001004"}
    towns = _run(city_url, "indicators", "--year", "2020", "--level", "town", "--format", "json")
    assert [u["code"] for u in towns["units"]] == [fx.TOWN_A, fx.TOWN_B]


def test_registry_commands_and_conflicts(city_url):
    lon, lat = transformer(4545, 4490).transform(fx.X0 + 3500, fx.Y0 + 500)
    added = _run(
        city_url,
        "facilities",
        "add",
        "--kind",
        "home_care_station",
        "--name",
        "新站",
        "--lon",
        str(lon),
        "--lat",
        str(lat),
        "--beds",
        "20",
        "--format",
        "json",
    )
    assert added["division_code"] == "150302001004"
    # no opening year: it counts from the year it was registered, never in the 2020 baseline
    out = _run(city_url, "indicators", "--year", "2020", "--format", "json")
    assert {i["id"]: i for i in out["indicators"]}["3"]["value"] == 50
    assert out["notes"]["opening_year"]["not_yet"] == 1
    this_year = str(date.today().year)
    out = _run(city_url, "indicators", "--year", this_year, "--format", "json")
    assert {i["id"]: i for i in out["indicators"]}["3"]["value"] == 75
    assert out["notes"]["opening_year"]["counted"] == 1
    lon2, lat2 = transformer(4545, 4490).transform(fx.X0 + 500, fx.Y0 + 600)
    _run(
        city_url,
        "facilities",
        "move",
        str(added["id"]),
        "--lon",
        str(lon2),
        "--lat",
        str(lat2),
        "--expected-version",
        "1",
        "--format",
        "json",
    )
    stale = CliRunner().invoke(
        main,
        [
            "--database-url",
            city_url,
            "facilities",
            "remove",
            str(added["id"]),
            "--reason",
            "x",
            "--expected-version",
            "1",
        ],
    )
    assert stale.exit_code != 0 and "version 2, not 1" in stale.output
    bad = CliRunner().invoke(
        main,
        [
            "--database-url",
            city_url,
            "facilities",
            "add",
            "--kind",
            "home_care_station",
            "--name",
            "<script>x</script>",
            "--lon",
            str(lon),
            "--lat",
            str(lat),
        ],
    )
    assert bad.exit_code != 0 and "markup" in bad.output
    _run(city_url, "facilities", "remove", str(added["id"]), "--reason", "closed", "--format", "json")
    assert len(_run(city_url, "facilities", "list", "--kind", "home_care_station", "--format", "json")) == 1


def test_enter_indicator(city_url):
    _run(
        city_url,
        "facilities",
        "enter-indicator",
        "--number",
        "1",
        "--year",
        "2021",
        "--value",
        "92.5",
        "--source",
        "区民政局统计",
        "--date",
        "2022-01-10",
        "--format",
        "json",
    )
    out = _run(city_url, "indicators", "--year", "2021", "--format", "json")
    one = {i["id"]: i for i in out["indicators"]}["1"]
    assert one["value"] == 93 and one["detail"]["value_date"] == "2022-01-10"
    bad = CliRunner().invoke(
        main,
        [
            "--database-url",
            city_url,
            "facilities",
            "enter-indicator",
            "--number",
            "2",
            "--year",
            "2021",
            "--value",
            "1",
            "--source",
            "<script>x</script>",
        ],
    )
    assert bad.exit_code != 0 and "markup" in bad.output


def test_whatif_writes_nothing(city_url):
    lon, lat = transformer(4545, 4490).transform(fx.X0 + 3500, fx.Y0 + 500)
    out = _run(
        city_url,
        "facilities",
        "whatif",
        "--add",
        f"home_care_station:{lon},{lat}",
        "--remove",
        "1",
        "--format",
        "json",
    )
    ind = {i["id"]: i for i in out["units"][0]["indicators"]}
    assert ind["3"]["before"] == 50 and ind["3"]["after"] == 50
    assert len(_run(city_url, "facilities", "list", "--format", "json")) == 15


@pytest.mark.parametrize("method", ["straight", "network"])
def test_circles_runs_and_siting(city_url, method, tmp_path):
    first = _run(
        city_url,
        "facilities",
        "circles",
        "--method",
        method,
        "--households-per-point",
        "20",
        "--format",
        "json",
        "--out",
        str(tmp_path),
    )
    assert first["totals"]["urban"]["households"] == 10000 and (tmp_path / "coverage.csv").exists()
    second = _run(
        city_url,
        "facilities",
        "circles",
        "--method",
        method,
        "--urban-minutes",
        "10",
        "--households-per-point",
        "20",
        "--life-circles",
        "--format",
        "json",
    )
    life = second["totals"]["life_circles"]
    assert list(life) == ["5min", "10min", "15min"]
    assert (
        life["5min"]["households_covered"]
        <= life["10min"]["households_covered"]
        <= life["15min"]["households_covered"]
    )
    assert second["totals"]["urban"]["households_covered"] <= first["totals"]["urban"]["households_covered"]
    runs = _run(city_url, "facilities", "runs", "list", "--format", "json")
    assert [r["id"] for r in runs][:2] == [second["run_id"], first["run_id"]]
    shown = _run(city_url, "facilities", "runs", "show", str(first["run_id"]), "--format", "json")
    assert shown["parameters"]["method"] == method and shown["features"] > 0
    diff = _run(
        city_url,
        "facilities",
        "runs",
        "compare",
        str(first["run_id"]),
        str(second["run_id"]),
        "--format",
        "json",
    )
    assert diff["b"]["parameters"]["urban_minutes"] == 10
    site = _run(
        city_url,
        "facilities",
        "site",
        "--method",
        method,
        "--candidates",
        "grid",
        "--spacing",
        "500",
        "--format",
        "json",
    )
    assert (
        site["problem"] == "set_cover"
        and site["covered_weight"] + site["uncoverable_weight"] == site["total_weight"]
    )
    mclp = _run(
        city_url,
        "facilities",
        "site",
        "--n",
        "1",
        "--candidates",
        "centroids",
        "--solver",
        "greedy",
        "--format",
        "json",
    )
    assert mclp["solver"] == "greedy" and len(mclp["sites"]) <= 1


@pytest.fixture(scope="module")
def scheduler_address():
    """An in-process Dask scheduler with two workers, by its address (as ``--scheduler`` takes it)."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0") as lc:
        yield lc.scheduler_address


@pytest.mark.parametrize("method", ["straight", "network"])
def test_circles_and_indicators_on_a_dask_scheduler_answer_the_same(
    city_url, scheduler_address, method, monkeypatch
):
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    circles = ["facilities", "circles", "--method", method, "--households-per-point", "20", "--life-circles"]
    circles += ["--no-save", "--format", "json"]
    alone = _run(city_url, *circles)
    assert _run(city_url, *circles, "--scheduler", scheduler_address) == alone
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", scheduler_address)
    assert _run(city_url, *circles) == alone
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS")
    indicators = ["indicators", "--year", "2020", "--served", method, "--level", "town", "--format", "json"]
    assert _run(city_url, *indicators, "--scheduler", scheduler_address) == _run(city_url, *indicators)


def test_workers_must_be_at_least_one(city_url):
    result = CliRunner().invoke(main, ["--database-url", city_url, "facilities", "circles", "--workers", "0"])
    assert result.exit_code == 2 and "--workers" in result.output
