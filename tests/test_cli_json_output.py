"""Every command's ``--format json`` is strict JSON: a missing number (pandas' NaN) is ``null``,
never the bare ``NaN`` that jq and JavaScript refuse."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from test_facilities_cli import _dispose_cli_engines  # noqa: F401
from test_facilities_cli import city_url  # noqa: F401

from cli.main import main


def _strict(text: str):
    def refuse(constant):
        raise ValueError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize(
    "args",
    [
        ("facilities", "list"),
        ("boundaries", "divisions", "--as-of", "2020-01-01"),
    ],
)
def test_json_output_has_null_for_missing_numbers(city_url, args):  # noqa: F811
    result = CliRunner().invoke(
        main,
        ["--database-url", city_url, "--actor", "planner", *args, "--format", "json"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    rows = _strict(result.output)
    assert rows and any(None in row.values() for row in rows)
