"""The corpus of bad files: each is refused whole, the report names the row and the problem, the DB is unchanged."""

from __future__ import annotations

import re

import io_fixtures as fx
import numpy as np
import pytest
import shapely

from boundaries.models import BoundaryLine
from boundaries.models import Division
from data.importer import ImportRefused
from data.importer import import_file
from data.validation import mojibake_original
from gis.models import AuditLog
from placenames.models import Sign

BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[106.80, 39.60], [106.82, 39.62], [106.82, 39.60], [106.80, 39.62], [106.80, 39.60]]],
}
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[106.80, 39.60], [106.81, 39.60], [106.81, 39.61], [106.80, 39.61], [106.80, 39.60]]],
}
LINE = {"type": "LineString", "coordinates": [[106.80, 39.60], [106.85, 39.65]]}
LINE_PROPS = {
    "level": "district",
    "left_code": "150302",
    "left_name": "海勃湾区",
    "right_code": "150303",
    "right_name": "海南区",
}


def _signs_csv(tmp_path, edit=None, *, encoding="utf-8-sig", name="signs.csv"):
    gdf = fx.signs_gdf()
    table = gdf.drop(columns="geometry")
    table.insert(0, "lat", gdf.geometry.y.map(repr))
    table.insert(0, "lon", gdf.geometry.x.map(repr))
    if edit:
        edit(table)
    path = tmp_path / name
    table.to_csv(path, index=False, encoding=encoding)
    return path


def _set(row, column, value):
    def edit(table):
        table[column] = table[column].astype(object)
        table.loc[row - 1, column] = value

    return edit


def _case_self_intersection(tmp_path):
    path = fx.write_geojson(
        [
            fx.feature(SQUARE, code="150302999001", name="甲社区", level="community"),
            fx.feature(BOWTIE, code="150302999002", name="乙社区", level="community"),
        ],
        tmp_path / "divisions.geojson",
    )
    return path, "divisions", {}


def _case_nan_csv(tmp_path):
    return _signs_csv(tmp_path, _set(3, "lon", "NaN")), "signs", {"crs": "EPSG:4490"}


def _case_inf_csv(tmp_path):
    return _signs_csv(tmp_path, _set(2, "lat", "inf")), "signs", {"crs": "EPSG:4490"}


def _case_nan_gpkg_line(tmp_path):
    import geopandas as gpd

    with np.errstate(invalid="ignore"):
        lines = shapely.from_wkt(
            ["LINESTRING (106.80 39.60, 106.85 39.65)", "LINESTRING (106.80 39.60, NaN 39.65)"]
        )
    gdf = gpd.GeoDataFrame(
        {"code": ["T-L1", "T-L2"], "name": ["甲线", "乙线"], **{k: [v, v] for k, v in LINE_PROPS.items()}},
        geometry=lines,
        crs=4490,
    )
    path = tmp_path / "lines.gpkg"
    gdf.to_file(path)
    return path, "boundary_lines", {}


def _case_empty(tmp_path):
    feats = [
        fx.feature({"type": "Point", "coordinates": [106.8, 39.7]}, code="T1", kind="门牌"),
        fx.feature({"type": "Point", "coordinates": []}, code="T2", kind="门牌"),
    ]
    return fx.write_geojson(feats, tmp_path / "signs.geojson"), "signs", {}


def _case_point_for_line(tmp_path):
    feats = [
        fx.feature(LINE, code="T-L1", name="甲线", **LINE_PROPS),
        fx.feature({"type": "Point", "coordinates": [106.8, 39.7]}, code="T-L2", name="乙线", **LINE_PROPS),
    ]
    return fx.write_geojson(feats, tmp_path / "lines.geojson"), "boundary_lines", {}


def _case_missing_value(tmp_path):
    return _signs_csv(tmp_path, _set(2, "kind", "")), "signs", {"crs": 4490}


def _case_missing_column(tmp_path):
    return _signs_csv(tmp_path, lambda t: t.pop("code")), "signs", {"crs": 4490}


def _case_duplicate_in_file(tmp_path):
    return _signs_csv(tmp_path, _set(4, "code", "T00001")), "signs", {"crs": 4490}


def _case_no_crs(tmp_path):
    path = fx.write_shapefile(fx.signs_gdf(), tmp_path / "signs.shp", encoding="UTF-8", cpg="UTF-8")
    path.with_suffix(".prj").unlink()
    return path, "signs", {}


def _case_swapped(tmp_path):
    def edit(table):
        table.loc[1, ["lon", "lat"]] = table.loc[1, ["lat", "lon"]].to_numpy()

    return _signs_csv(tmp_path, edit), "signs", {"crs": 4490}


def _case_outside(tmp_path):
    def edit(table):
        table.loc[0, ["lon", "lat"]] = ["116.397", "39.909"]  # Tiananmen

    return _signs_csv(tmp_path, edit), "signs", {"crs": 4490}


def _case_truncated(tmp_path):
    path = tmp_path / "signs.gpkg"
    fx.signs_gdf(300).to_file(path)
    path.write_bytes(path.read_bytes()[:20000])
    return path, "signs", {}


def _case_garbage(tmp_path):
    path = tmp_path / "signs.geojson"
    path.write_bytes(bytes(range(256)) * 4)
    return path, "signs", {}


def _case_wrong_cpg(tmp_path):
    return (
        fx.write_shapefile(fx.signs_gdf(), tmp_path / "signs.shp", encoding="CP936", cpg="UTF-8"),
        "signs",
        {},
    )


def _case_forced_wrong_encoding(tmp_path):
    return _signs_csv(tmp_path, encoding="gbk"), "signs", {"crs": 4490, "encoding": "utf-8"}


def _case_replacement_chars(tmp_path):
    garbled = "海北大街".encode().decode("gbk", errors="replace")
    return _signs_csv(tmp_path, _set(2, "text_zh", garbled)), "signs", {"crs": 4490}


def _case_mojibake_latin(tmp_path):
    return (
        _signs_csv(tmp_path, _set(3, "text_zh", "人民路".encode().decode("cp1252"))),
        "signs",
        {"crs": 4490},
    )


def _case_mojibake_gbk(tmp_path):
    return _signs_csv(tmp_path, _set(1, "text_zh", "滨河大道".encode().decode("gbk"))), "signs", {"crs": 4490}


def _case_script(tmp_path):
    return _signs_csv(tmp_path, _set(2, "text_zh", "人民路<script>alert(1)</script>")), "signs", {"crs": 4490}


def _case_control(tmp_path):
    return _signs_csv(tmp_path, _set(5, "text_zh", "人民\x07路")), "signs", {"crs": 4490}


def _case_too_long(tmp_path):
    return _signs_csv(tmp_path, _set(4, "text_zh", "路" * 201)), "signs", {"crs": 4490}


def _case_bad_choice(tmp_path):
    return _signs_csv(tmp_path, _set(2, "kind", "广告牌")), "signs", {"crs": 4490}


def _case_script_in_list(tmp_path):
    feats = [
        fx.feature(
            {"type": "Point", "coordinates": [106.8, 39.7]},
            name="甲路",
            category_code="1201",
            aliases=["乙路", "<img src=x onerror=alert(1)>"],
        )
    ]
    return fx.write_geojson(feats, tmp_path / "names.geojson"), "place_names", {}


CASES = [
    (
        "self-intersecting polygon",
        _case_self_intersection,
        r"row 2 \[geometry\]: invalid geometry: Self-intersection",
    ),
    ("NaN coordinate (CSV)", _case_nan_csv, r"row 3 \[geometry\]: coordinate is NaN or infinite"),
    ("infinite coordinate", _case_inf_csv, r"row 2 \[geometry\]: coordinate is NaN or infinite"),
    ("NaN vertex (GPKG line)", _case_nan_gpkg_line, r"row 2 \[geometry\]: coordinate is NaN or infinite"),
    ("empty geometry", _case_empty, r"row 2 \[geometry\]: (empty geometry|missing or unreadable geometry)"),
    (
        "point for a line layer",
        _case_point_for_line,
        r"row 2 \[geometry\]: Point where layer boundary_lines takes LineString/MultiLineString",
    ),
    (
        "missing required value",
        _case_missing_value,
        r"row 2 \[kind\]: required field kind \(标志类型\) is empty",
    ),
    (
        "missing required column",
        _case_missing_column,
        r"file \[code\]: required column code \(标志编码\) is missing",
    ),
    (
        "duplicate key in file",
        _case_duplicate_in_file,
        r"row 2 \[code\]: duplicate key 'T00001' in the file \(also row 4\)",
    ),
    ("no CRS", _case_no_crs, r"file: signs.shp: the data has no coordinate reference system"),
    ("swapped lat/lon", _case_swapped, r"row 2 \[geometry\]: latitude and longitude look swapped"),
    ("outside Wuhai", _case_outside, r"row 1 \[geometry\]: outside Wuhai's extent \(lon 116.3970"),
    ("truncated file", _case_truncated, r"file: signs.gpkg: cannot read the file"),
    ("garbage file", _case_garbage, r"file: signs.geojson: cannot read the file"),
    (
        "GBK with a UTF-8 .cpg",
        _case_wrong_cpg,
        r"file: signs.shp: row 1 field \w+: bytes are not valid utf-8 as declared by the .cpg",
    ),
    ("GBK read as UTF-8", _case_forced_wrong_encoding, r"file: signs.csv: line 2: bytes are not valid utf-8"),
    ("replacement characters", _case_replacement_chars, r"row 2 \[text_zh\]: replacement character U\+FFFD"),
    (
        "mojibake (UTF-8 read as CP1252)",
        _case_mojibake_latin,
        r"row 3 \[text_zh\]: garbled text \(mojibake\); the original was probably '人民路'",
    ),
    (
        "mojibake (UTF-8 read as GBK)",
        _case_mojibake_gbk,
        r"row 1 \[text_zh\]: garbled text \(mojibake\); the original was probably '滨河大道'",
    ),
    ("<script> in a name", _case_script, r"row 2 \[text_zh\]: markup or script"),
    ("markup inside a list", _case_script_in_list, r"row 1 \[aliases\]: markup or script"),
    ("control character", _case_control, r"row 5 \[text_zh\]: control character U\+0007"),
    ("over-long name", _case_too_long, r"row 4 \[text_zh\]: too long: 201 characters, at most 200"),
    ("value not allowed", _case_bad_choice, r"row 2 \[kind\]: '广告牌' is not one of street, house_number"),
]


def _counts(session):
    return [fx.count(session, m) for m in (Sign, Division, BoundaryLine, AuditLog)]


@pytest.mark.parametrize(("label", "build", "message"), CASES, ids=[c[0] for c in CASES])
def test_bad_file_is_refused_and_db_unchanged(session, tmp_path, label, build, message):
    path, layer, options = build(tmp_path)
    before = _counts(session)
    with pytest.raises(ImportRefused) as info:
        import_file(session, path, layer=layer, actor="tester", **options)
    report = info.value.report
    assert not report.ok and report.imported == 0
    assert any(re.search(message, str(p)) for p in report.problems), [str(p) for p in report.problems]
    assert "nothing was written" in report.render()
    assert _counts(session) == before


def test_duplicate_against_database(session, tmp_path):
    path = _signs_csv(tmp_path)
    import_file(session, path, layer="signs", actor="tester", crs=4490)
    before = _counts(session)
    again = _signs_csv(tmp_path, _set(1, "code", "NEW00001"), name="again.csv")
    with pytest.raises(ImportRefused) as info:
        import_file(session, again, layer="signs", actor="tester", crs=4490)
    problems = [str(p) for p in info.value.report.problems]
    assert "row 2 [code]: key 'T00001' already exists in the database" in problems
    assert not any(p.startswith("row 1 ") for p in problems)
    assert _counts(session) == before


def test_every_bad_row_is_named(session, tmp_path):
    def edit(table):
        table.loc[0, "text_zh"] = "<b>粗体</b>"
        table.loc[2, "kind"] = None
        table.loc[4, ["lon", "lat"]] = ["0", "0"]

    path = _signs_csv(tmp_path, edit)
    with pytest.raises(ImportRefused) as info:
        import_file(session, path, layer="signs", actor="tester", crs=4490)
    rows = sorted({p.row for p in info.value.report.problems})
    assert rows == [1, 3, 5]
    assert "3 rows" in info.value.report.render()


@pytest.mark.parametrize(
    "text",
    [
        "人民路",
        "海勃湾区新华街道",
        "Café Wuhai",
        "乌达区·苏海图",
        "1号楼2单元",
        "O'Brien",
        "LÜZHOU LU",
        "Ürümqi Lu",
        "Müller-Straße",
    ],
)
def test_ordinary_text_is_not_flagged(text):
    assert mojibake_original(text) is None
