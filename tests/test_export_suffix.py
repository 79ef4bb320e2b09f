"""An export whose output file does not end as its format's files do is refused naming the
output (a Shapefile asked into a .zip stopped with a traceback), and nothing is written."""

from __future__ import annotations

import json

import pytest
from test_io_export import _invoke


@pytest.mark.parametrize(
    ("name", "fmt"), [("signs.zip", "shp"), ("signs.csv", "gpkg"), ("signs.gpkg", "geojson")]
)
def test_export_to_a_file_of_another_format_is_refused(fresh_db_url, tmp_path, name, fmt):
    out = tmp_path / "out" / name
    result = _invoke(
        fresh_db_url, "export", "--layer", "signs", "-o", str(out), "--format", fmt, "--report", "json"
    )
    assert result.exit_code == 1, result.output
    error = json.loads(result.stdout)["error"]
    assert (error["kind"], error["field"]) == ("invalid", "output")
    assert not out.parent.exists() or list(out.parent.iterdir()) == []
