"""Export: files GDAL, QGIS and Excel read with Chinese intact, filters, and the import/export commands."""

from __future__ import annotations

import json

import fiona
import io_fixtures as fx
import pyogrio
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from cli.main import main
from data.exporter import export_layer
from data.exporter import parse_where
from data.importer import ImportReport
from data.importer import import_file
from data.importer import validate
from data.layers import LAYERS
from gis.db import make_engine
from gis.io import read_vector
from placenames.models import Sign

SQUARE = [[[106.70, 39.50], [106.95, 39.50], [106.95, 39.80], [106.70, 39.80], [106.70, 39.50]]]


def _xlsx_rows(path):
    wb = load_workbook(path, read_only=True)
    try:
        return list(wb.worksheets[0].iter_rows(values_only=True))
    finally:
        wb.close()


def _load(session, tmp_path):
    gdf = fx.signs_gdf(6, prefix="X")
    gdf["division_code"] = [
        "150302001001",
        "150302001002",
        "150303001001",
        "150302002001",
        "150304001001",
        "150302001001",
    ]
    path = tmp_path / "in.gpkg"
    gdf.to_file(path)
    import_file(session, path, layer="signs", actor="tester")
    return gdf


@pytest.mark.parametrize("fmt", ["gpkg", "geojson", "shp", "csv", "xlsx"])
def test_export_is_readable_and_importable_again(session, tmp_path, fmt):
    src = _load(session, tmp_path)
    out = tmp_path / f"signs.{fmt}"
    result = export_layer(session, "signs", out, where={"code": list(src["code"])})
    assert result["rows"] == 6
    if fmt in {"gpkg", "geojson", "shp"}:
        back = pyogrio.read_dataframe(out, layer="signs" if fmt == "gpkg" else None)
        assert back.crs.to_epsg() == 4490
        assert sorted(back["text_zh"]) == sorted(src["text_zh"])
        with fiona.open(out, layer="signs" if fmt == "gpkg" else None) as collection:
            assert len(collection) == 6
            assert {f["properties"]["text_zh"] for f in collection} == set(src["text_zh"])
    if fmt == "shp":
        assert out.with_suffix(".cpg").read_text() == "UTF-8"
        assert all(len(name) <= 10 for name in pyogrio.read_info(out)["fields"])
    if fmt == "csv":
        raw = out.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")  # Excel needs the BOM to show Chinese
        header = raw[3:].decode("utf-8").splitlines()[0].split(",")
        assert header[:2] == ["lon", "lat"] and "text_zh" in header
    if fmt == "xlsx":
        rows = _xlsx_rows(out)
        assert rows[0][:3] == ("lon", "lat", "id")
        assert len(rows) == 7
    # the exported file passes the import's validation unchanged (keys aside, it would import)
    read = read_vector(out, crs=4490 if fmt in {"csv", "xlsx"} else None)
    report = ImportReport(file=out.name, layer="signs")
    values, _geoms = validate(None, read.gdf, LAYERS["signs"], report)
    assert report.ok, [str(p) for p in report.problems]
    assert sorted(values["code"]) == sorted(src["code"])
    assert set(values["kind"]) <= set(LAYERS["signs"].field("kind").choices)


def test_chinese_headers_import_back(session, tmp_path):
    _load(session, tmp_path)
    out = tmp_path / "signs.xlsx"
    export_layer(session, "signs", out, labels="zh", where={"code": ["X00000"]})
    header = _xlsx_rows(out)[0]
    assert "标志编码" in header and "标志文字" in header
    report = ImportReport(file=out.name, layer="signs")
    values, _ = validate(None, read_vector(out, crs=4490).gdf, LAYERS["signs"], report)
    assert report.ok and values["code"].tolist() == ["X00000"]


def test_filters(session, tmp_path):
    _load(session, tmp_path)
    where = parse_where(LAYERS["signs"], ["类型=门牌,楼牌", "code=X00001,X00002,X00003"])
    assert where == {"kind": ["house_number", "building"], "code": ["X00001", "X00002", "X00003"]}
    result = export_layer(session, "signs", tmp_path / "a.geojson", where=where)
    assert result["rows"] == 2  # X00001 门牌, X00002 楼牌
    with pytest.raises(ValueError, match="has no field 'colour'"):
        parse_where(LAYERS["signs"], ["colour=red"])


def test_district_filter(session, tmp_path):
    _load(session, tmp_path)
    district = fx.write_geojson(
        [
            fx.feature(
                {"type": "Polygon", "coordinates": SQUARE},
                code="150302000000",
                name="海勃湾区",
                level="district",
            )
        ],
        tmp_path / "d.geojson",
    )
    import_file(session, district, layer="divisions", actor="tester")
    out = tmp_path / "h.csv"
    result = export_layer(
        session, "signs", out, district="海勃湾区", where={"code": [f"X{i:05d}" for i in range(6)]}
    )
    assert result["rows"] == 4
    lines = [
        {"type": "LineString", "coordinates": [[106.80, 39.60], [106.85, 39.65]]},
        {"type": "LineString", "coordinates": [[107.30, 39.90], [107.35, 39.95]]},
    ]
    props = {
        "level": "district",
        "left_code": "150302",
        "left_name": "海勃湾区",
        "right_code": "150303",
        "right_name": "海南区",
    }
    path = fx.write_geojson(
        [fx.feature(g, code=f"XL{i}", name=f"线{i}", **props) for i, g in enumerate(lines)],
        tmp_path / "l.geojson",
    )
    import_file(session, path, layer="boundary_lines", actor="tester")
    result = export_layer(
        session,
        "boundary_lines",
        tmp_path / "l.gpkg",
        district="150302000000",
        where={"code": ["XL0", "XL1"]},
    )
    assert result["rows"] == 1


def _invoke(url, *args):
    """``wuhai-gis`` through its root group, whose error handler answers refusals."""
    return CliRunner().invoke(main, ["--database-url", url, "--actor", "cli-tester", *args])


def _count(url):
    engine = make_engine(url)
    try:
        with Session(engine) as s:
            return len(s.execute(select(Sign.id)).all())
    finally:
        engine.dispose()


def test_cli_import_refuse_and_export(fresh_db_url, tmp_path):
    url = fresh_db_url
    good = fx.write_csv(fx.signs_gdf(), tmp_path / "good.csv")
    result = _invoke(url, "import", str(good), "--layer", "signs", "--crs", "EPSG:4490", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "dry run: all 5 rows are valid" in result.output
    assert _count(url) == 0

    result = _invoke(url, "import", str(good), "--layer", "标志", "--crs", "4490", "--report", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["ok"] and report["imported"] == 5 and report["encoding"] == "UTF-8-BOM"
    assert _count(url) == 5

    bad = fx.signs_gdf(prefix="B")
    bad.loc[2, "text_zh"] = "<script>alert('x')</script>"
    bad_path = fx.write_csv(bad, tmp_path / "bad.csv")
    result = _invoke(url, "import", str(bad_path), "--layer", "signs", "--crs", "4490", "--report", "json")
    assert result.exit_code == 1
    error = json.loads(result.stdout)["error"]
    problem = {"row": 3, "field": "text_zh", "message": "markup or script (e.g. <script>) is not allowed"}
    assert (error["kind"], error["row"], error["field"]) == ("invalid", 3, "text_zh")
    assert error["details"] == [problem]
    assert error["report"]["ok"] is False and error["report"]["problems"] == [problem]
    assert _count(url) == 5

    result = _invoke(url, "import", str(bad_path), "--layer", "signs")
    assert result.exit_code == 1 and "no coordinate reference system" in result.output
    assert "Traceback" not in result.output

    out = tmp_path / "out" / "signs.shp"
    result = _invoke(
        url, "export", "--layer", "signs", "--format", "shp", "-o", str(out), "--where", "kind=门牌"
    )
    assert result.exit_code == 0, result.output
    assert "wrote 1 signs rows" in result.output
    assert pyogrio.read_dataframe(out)["text_zh"].tolist() == ["海北大街"]

    result = _invoke(url, "export", "--layer", "nope", "-o", str(out))
    assert result.exit_code == 1 and "Error: unknown layer 'nope'" in result.stderr


def test_cli_import_refusal_names_every_bad_row_and_field_in_json(fresh_db_url, tmp_path):
    bad = fx.signs_gdf(prefix="R")
    bad.loc[1, "kind"] = "spaceship"
    bad.loc[3, "text_zh"] = "line\nbreak"
    path = fx.write_csv(bad, tmp_path / "bad.csv")
    result = _invoke(
        fresh_db_url, "import", str(path), "--layer", "signs", "--crs", "4490", "--report", "json"
    )
    assert result.exit_code == 1
    error = json.loads(result.stdout)["error"]
    assert error["kind"] == "invalid" and "nothing was written" in error["message"]
    assert [(d["row"], d["field"]) for d in error["details"]] == [(2, "kind"), (4, "text_zh")]
    assert (error["row"], error["field"]) == (2, "kind")
    assert error["report"]["rows"] == 5 and error["report"]["imported"] == 0
    assert _count(fresh_db_url) == 0


def test_cli_import_refusal_in_text_is_one_error_naming_the_row(fresh_db_url, tmp_path):
    bad = fx.signs_gdf(prefix="T")
    bad.loc[0, "kind"] = "spaceship"
    path = fx.write_csv(bad, tmp_path / "bad.csv")
    result = _invoke(fresh_db_url, "import", str(path), "--layer", "signs", "--crs", "4490")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith("Error: ") and "row 1 [kind]" in result.stderr
    assert "REFUSED" in result.stderr and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("args", "code", "kind", "field"),
    [
        (["--where", "nofield=1"], 1, "invalid", "where"),
        (["--where", "kind"], 1, "invalid", "where"),
        (["--district", "无此区"], 3, "not_found", "division"),
        (["--layer", "nope"], 1, "invalid", "layer"),
    ],
)
def test_cli_export_errors_are_json_errors(fresh_db_url, tmp_path, args, code, kind, field):
    out = tmp_path / "x.gpkg"
    result = _invoke(fresh_db_url, "export", "--layer", "signs", "-o", str(out), "--report", "json", *args)
    assert result.exit_code == code, result.output
    error = json.loads(result.stdout)["error"]
    assert (error["kind"], error["field"]) == (kind, field)
    assert not out.exists()
