"""``wuhai-gis load-reference`` and ``wuhai-gis stats`` through the real command line, on both backends."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cli.main import main
from data.reference import STEPS


def _run(url: str, *args: str) -> str:
    result = CliRunner().invoke(
        main, ["--database-url", url, "--actor", "tester", *args], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def _stats(url: str) -> dict:
    return json.loads(_run(url, "stats", "--format", "json"))


def test_base_step_twice_gives_identical_counts(fresh_db_url):
    first = json.loads(_run(fresh_db_url, "load-reference", "--step", "base", "--format", "json"))
    stats_first = _stats(fresh_db_url)
    second = json.loads(_run(fresh_db_url, "load-reference", "--step", "base", "--format", "json"))
    assert second["steps"]["base"] == {**first["steps"]["base"], "written": 0}
    assert first["steps"]["base"]["written"] > 0
    stats = _stats(fresh_db_url)
    assert stats == stats_first
    layers = stats["layers"]
    assert (layers["divisions"], layers["neighbour_units"], layers["boundary_lines"]) == (113, 8, 10)
    assert layers["road_segments"] == first["steps"]["base"]["road_segments"] > 1500
    assert layers["divisions_by_level"] == {
        "city/地级市": 1,
        "district/市辖区": 3,
        "town/街道": 15,
        "town/镇": 5,
        "town/开发区": 2,
        "community/社区": 70,
        "community/其他": 4,
        "village/村": 13,
    }
    totals = stats["totals"]
    assert (totals["population"], totals["population_60plus"]) == (556_621, 90_600)
    assert totals["households"] == round(556_621 / 2.5)
    districts = {d["name"]: d for d in stats["districts"]}
    assert {k: (d["towns"], d["communities"], d["villages"]) for k, d in districts.items()} == {
        "海勃湾区": (8, 37, 5),
        "海南区": (5, 11, 8),
        "乌达区": (9, 22, 0),
    }
    assert sum(d["road_segments"] for d in districts.values()) == layers["road_segments"]


def test_stats_text_on_an_empty_database(fresh_db_url):
    out = _run(fresh_db_url, "stats")
    for heading in ("Layers", "Divisions in Wuhai", "Districts", "Facilities", "Totals"):
        assert heading in out
    assert _stats(fresh_db_url)["layers"]["divisions"] == 0


def test_unknown_step_is_refused(fresh_db_url):
    result = CliRunner().invoke(
        main, ["--database-url", fresh_db_url, "load-reference", "--step", "nonsense"]
    )
    assert result.exit_code != 0
    assert "nonsense" in result.output


@pytest.mark.slow
def test_full_load_twice_is_idempotent(fresh_db_url):
    first = json.loads(_run(fresh_db_url, "load-reference", "--format", "json"))
    assert set(first["steps"]) == set(STEPS)
    stats_first = _stats(fresh_db_url)
    _run(fresh_db_url, "load-reference", "--format", "json")
    assert _stats(fresh_db_url) == stats_first
    # the plan's 2020 figures, as `stats` reports them
    layers, totals, facilities = stats_first["layers"], stats_first["totals"], stats_first["facilities"]
    assert layers["place_names"] == 3611
    assert 33_000 <= layers["signs"] <= 35_000
    assert (totals["elderly_beds"], totals["elderly_nursing_beds"]) == (3354, 1237)
    assert totals["elderly_beds_per_1000_aged_60plus"] == 37.0
    assert facilities["welfare_lottery"]["count"] == 129
    assert facilities["marriage_registry"]["count"] == 3
    assert facilities["home_care_station"]["count"] == 46
