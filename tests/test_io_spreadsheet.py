"""Exports that open well (spreadsheets, Shapefiles per geometry type, GPKG styles) and the refusals of bad sheets."""

from __future__ import annotations

import json
import sqlite3

import io_fixtures as fx
import pyogrio
import pytest
from click.testing import CliRunner
from openpyxl import Workbook
from openpyxl import load_workbook

from cli.main import main
from data.exporter import export_layer
from data.importer import ImportRefused
from data.importer import import_file
from gis.errors import InvalidInput


def _signs(session, tmp_path):
    gdf = fx.signs_gdf(3, prefix="SP")
    gdf["material"] = ['\'=HYPERLINK("x")', "铝", "'@cmd"]
    gdf["division_code"] = "150302001001"
    path = tmp_path / "in.gpkg"
    gdf.to_file(path)
    import_file(session, path, layer="signs", actor="tester")
    return {"code": list(gdf["code"])}


def test_xlsx_keeps_codes_as_text_translates_values_and_quotes_formulas(session, tmp_path):
    where = _signs(session, tmp_path)
    out = tmp_path / "signs.xlsx"
    export_layer(session, "signs", out, where=where, labels="zh")
    ws = load_workbook(out).worksheets[0]
    header = [c.value for c in ws[1]]
    rows = {r[header.index("标志编码")].value: r for r in ws.iter_rows(min_row=2)}
    first = rows["SP00000"]
    code = first[header.index("所在政区代码")]
    assert code.value == "150302001001" and code.data_type == "s" and code.number_format == "@"
    assert first[header.index("标志类型")].value == "街路巷牌" and first[header.index("状况")].value == "完好"
    assert first[header.index("材质")].value == '\'=HYPERLINK("x")'  # text, never a live formula
    assert all(c.data_type != "f" for r in ws.iter_rows() for c in r)
    assert rows["SP00002"][header.index("材质")].value == "'@cmd"
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref.startswith("A1:")
    assert ws.column_dimensions["A"].width >= 8
    assert "[]" not in {c.value for r in ws.iter_rows() for c in r}
    assert {"记录ID", "版本", "坐标系", "经度", "纬度"} <= set(header)
    # the stored text comes back unquoted
    report = import_file(session, out, layer="signs", actor="tester", update=True, dry_run=True)
    assert report.counts()["unchanged"] == 3


def test_csv_codes_stay_text_in_excel_and_formulas_are_quoted(session, tmp_path):
    where = _signs(session, tmp_path)
    out = tmp_path / "signs.csv"
    export_layer(session, "signs", out, where=where)
    text = out.read_text(encoding="utf-8-sig")
    assert '"=""150302001001"""' in text  # ="150302001001": Excel keeps the digits
    assert "'=HYPERLINK" in text and "'@cmd" in text
    report = import_file(session, out, layer="signs", actor="tester", update=True, dry_run=True)
    assert report.counts() == {"new": 0, "changed": 0, "unchanged": 3, "refused": 0}


def test_import_refuses_formula_text_naming_row_and_field(session, tmp_path):
    gdf = fx.signs_gdf(2, prefix="FQ")
    gdf["material"] = ["=1+2", "铝"]
    path = fx.write_csv(gdf, tmp_path / "f.csv")
    with pytest.raises(ImportRefused) as refused:
        import_file(session, path, layer="signs", actor="tester", crs=4490)
    assert (refused.value.row, refused.value.field) == (1, "material")
    assert "formula" in str(refused.value)


def test_mixed_layer_becomes_one_shapefile_per_geometry_type(session, tmp_path):
    features = [
        fx.feature({"type": "Point", "coordinates": [106.80, 39.66]}, name="甲街", category_code="2511"),
        fx.feature(
            {"type": "LineString", "coordinates": [[106.80, 39.65], [106.81, 39.66]]},
            name="乙路",
            category_code="2511",
        ),
    ]
    import_file(session, fx.write_geojson(features, tmp_path / "n.geojson"), layer="place_names", actor="t")
    out = tmp_path / "out" / "names.shp"
    result = export_layer(session, "place_names", out, where={"name": ["甲街", "乙路"]})
    names = sorted(p.rsplit("/", 1)[1] for p in result["files"] if p.endswith(".shp"))
    assert names == ["names_line.shp", "names_point.shp"]
    assert not out.exists()
    assert sorted(p.name for p in out.parent.iterdir() if p.name.startswith(".")) == []  # no staging left
    assert pyogrio.read_info(out.parent / "names_point.shp")["geometry_type"] == "Point"
    gpkg = tmp_path / "names.gpkg"
    export_layer(session, "place_names", gpkg, where={"name": ["甲街", "乙路"]})
    tables = {str(name): str(kind) for name, kind in pyogrio.list_layers(gpkg).tolist()}
    assert tables["place_names_point"] == "Point" and tables["place_names_line"] == "LineString"


def test_failed_export_leaves_nothing(session, tmp_path, monkeypatch):
    where = _signs(session, tmp_path)

    def boom(*_a, **_k):
        raise RuntimeError("disk full")

    monkeypatch.setattr("data.exporter.write_vector", boom)
    out = tmp_path / "out" / "signs.shp"
    with pytest.raises(RuntimeError):
        export_layer(session, "signs", out, where=where)
    assert list(out.parent.iterdir()) == []


def test_gpkg_carries_the_web_map_style(session, tmp_path):
    where = _signs(session, tmp_path)
    out = tmp_path / "signs.gpkg"
    export_layer(session, "signs", out, where=where)
    with sqlite3.connect(out) as con:
        rows = con.execute("SELECT f_table_name, useAsDefault, styleQML FROM layer_styles").fetchall()
    assert [(t, d) for t, d, _q in rows] == [("signs", 1)]
    assert "241,196,15" in rows[0][2]  # #f1c40f, the signs' fill on the web map


def _xlsx(path, rows, merge=None):
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    if merge:
        ws.merge_cells(merge)
    wb.save(path)
    return path


@pytest.mark.parametrize(
    ("rows", "merge", "row", "field", "message"),
    [
        ([["lon", "lat", "code", "kind"]], None, 1, "file", "no rows"),
        ([["lon", "lat", "code", "code"], [106.8, 39.7, "A1", "A2"]], None, 1, "code", "appears twice"),
        (
            [["lon", "lat", "code", "kind"], [106.8, 39.7, "A1", "门牌"], [106.8, 39.7, None, "门牌"]],
            "C2:C3",
            1,
            "code",
            "merged cells",
        ),
        (
            [["lon", "lat", "code", "kind"], [106.8, 39.7, '=CONCAT("A",1)', "门牌"]],
            None,
            1,
            "code",
            "formula",
        ),
    ],
)
def test_bad_sheets_are_refused_with_row_and_reason(session, tmp_path, rows, merge, row, field, message):
    path = _xlsx(tmp_path / "bad.xlsx", rows, merge)
    with pytest.raises(InvalidInput, match=message) as refused:
        import_file(session, path, layer="signs", actor="tester", crs=4490)
    assert (refused.value.row, refused.value.field) == (row, field)


def _invoke(url, *args):
    return CliRunner().invoke(
        main, ["--database-url", url, "--actor", "cli-tester", *args, "--report", "json"]
    )


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        (["--crs", "+proj=longlat +a=1 +b=1"], "crs"),
        (["--crs", "EPSG:999999"], "crs"),
        (["--encoding", "no-such-codec"], "encoding"),
    ],
)
def test_cli_bad_crs_and_encoding_are_one_line_refusals(fresh_db_url, tmp_path, extra, field):
    path = fx.write_csv(fx.signs_gdf(2), tmp_path / "s.csv")
    result = _invoke(fresh_db_url, "import", str(path), "--layer", "signs", *extra)
    assert result.exit_code == 1, result.output
    error = json.loads(result.output)["error"]
    assert error["field"] == field and "Traceback" not in result.output


def test_cli_integer_past_the_column_range_is_refused(fresh_db_url, tmp_path):
    fac = tmp_path / "f.csv"
    fac.write_text(
        "lon,lat,kind,name,beds\n106.81,39.66,home_care_station,站一,99999999999999999999999\n",
        encoding="utf-8",
    )
    result = _invoke(fresh_db_url, "import", str(fac), "--layer", "facilities", "--crs", "4490")
    assert result.exit_code == 1, result.output
    error = json.loads(result.output)["error"]
    assert (error["row"], error["field"]) == (1, "beds") and "out of range" in error["message"]


def test_cli_file_over_the_upload_limit_is_refused(fresh_db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("IMPORT_MAX_BYTES", "100")
    path = fx.write_csv(fx.signs_gdf(5), tmp_path / "s.csv")
    result = _invoke(fresh_db_url, "import", str(path), "--layer", "signs", "--crs", "4490")
    assert result.exit_code == 1
    assert "IMPORT_MAX_BYTES" in json.loads(result.output)["error"]["message"]


def test_cli_update_reports_each_row(fresh_db_url, tmp_path):
    path = fx.write_csv(fx.signs_gdf(3, prefix="U"), tmp_path / "s.csv")
    assert _invoke(fresh_db_url, "import", str(path), "--layer", "signs", "--crs", "4490").exit_code == 0
    again = _invoke(fresh_db_url, "import", str(path), "--layer", "signs", "--crs", "4490")
    assert again.exit_code == 1 and "already exists" in again.output  # without --update as before
    out = tmp_path / "export.csv"
    assert _invoke(fresh_db_url, "export", "--layer", "signs", "-o", str(out)).exit_code == 0
    result = _invoke(fresh_db_url, "import", str(out), "--layer", "signs", "--update", "--dry-run")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["counts"] == {"new": 0, "changed": 0, "unchanged": 3, "refused": 0}
    assert [o["status"] for o in report["outcomes"]] == ["unchanged"] * 3
