"""Import round trips on both backends: every format, Chinese text intact, any CRS stored as EPSG:4490."""

from __future__ import annotations

import io_fixtures as fx
import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text as sql

from boundaries.models import BoundaryLine
from boundaries.models import BoundaryMarker
from boundaries.models import Division
from data.importer import ImportRefused
from data.importer import import_file
from data.layers import LAYERS
from data.layers import get_layer
from gis.models import AuditLog
from placenames.models import Sign


def _write(fmt: str, tmp_path, gdf):
    if fmt == "geojson":
        path = tmp_path / "signs.geojson"
        gdf.to_crs(4326).to_file(path, driver="GeoJSON")
    elif fmt == "gpkg":
        path = tmp_path / "signs.gpkg"
        gdf.to_file(path)
    elif fmt == "shp-utf8":
        path = fx.write_shapefile(gdf, tmp_path / "signs.shp", encoding="UTF-8", cpg="UTF-8")
    elif fmt == "shp-gbk":
        path = fx.write_shapefile(gdf, tmp_path / "signs.shp", encoding="CP936", cpg=None)
    elif fmt == "shp-gbk-cpg":
        path = fx.write_shapefile(gdf, tmp_path / "signs.shp", encoding="CP936", cpg="GBK")
    elif fmt == "csv":
        path = fx.write_csv(gdf, tmp_path / "signs.csv", encoding="gbk")
    else:
        path = fx.write_xlsx(gdf, tmp_path / "signs.xlsx")
    return path


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "shp-utf8", "shp-gbk", "shp-gbk-cpg", "csv", "xlsx"])
def test_round_trip_each_format(session, tmp_path, fmt):
    src = fx.signs_gdf(crs=4545 if fmt.startswith("shp") else 4490)
    path = _write(fmt, tmp_path, src)
    crs = (
        "EPSG:4545"
        if fmt in {"csv", "xlsx"} and src.crs.to_epsg() == 4545
        else ("EPSG:4490" if fmt in {"csv", "xlsx"} else None)
    )
    report = import_file(session, path, layer="signs", actor="tester", crs=crs)
    assert report.ok and report.imported == 5
    stored = fx.stored_points(session, Sign)
    expected = src.to_crs(4490)
    for code, text, geom in zip(expected["code"], expected["text_zh"], expected.geometry, strict=True):
        got_text, lon, lat = stored[code]
        assert got_text == text
        assert lon == pytest.approx(geom.x, abs=1e-7)
        assert lat == pytest.approx(geom.y, abs=1e-7)
    kinds = dict(session.execute(select(Sign.code, Sign.kind)).all())
    assert kinds["T00001"] == "house_number"  # 门牌 mapped through the value aliases
    signs = session.execute(select(Sign).where(Sign.code == "T00000")).scalar_one()
    assert (signs.author, signs.source, signs.version, signs.condition) == (
        "tester",
        f"import:{path.name}",
        1,
        "good",
    )


@pytest.mark.parametrize("epsg", [4326, 4490, 4545, 3857])
def test_any_crs_is_stored_in_4490(session, tmp_path, epsg):
    src = fx.signs_gdf(crs=epsg, prefix=f"E{epsg}")
    path = tmp_path / "signs.gpkg"
    src.to_file(path)
    report = import_file(session, path, layer="signs", actor="tester")
    assert report.source_crs == f"EPSG:{epsg}"
    srid = session.execute(select(func.ST_SRID(Sign.geom)).where(Sign.code == f"E{epsg}00000")).scalar_one()
    assert srid == 4490
    stored = fx.stored_points(session, Sign)
    want = fx.signs_gdf()
    for i, geom in enumerate(want.geometry):
        _text, lon, lat = stored[f"E{epsg}{i:05d}"]
        assert lon == pytest.approx(geom.x, abs=1e-7) and lat == pytest.approx(geom.y, abs=1e-7)


def test_one_audit_entry_per_import_with_keys(session, tmp_path):
    path = tmp_path / "signs.gpkg"
    fx.signs_gdf(prefix="A").to_file(path)
    before = fx.count(session, AuditLog)
    report = import_file(session, path, layer="signs", actor="clerk", reason="2026 survey")
    entries = (
        session.execute(select(AuditLog).where(AuditLog.action == "import").order_by(AuditLog.id.desc()))
        .scalars()
        .all()
    )
    assert fx.count(session, AuditLog) == before + 1
    entry = entries[0]
    assert entry.actor == "clerk" and entry.table_name == "sign" and entry.reason == "2026 survey"
    assert entry.after["keys"] == [f"A{i:05d}" for i in range(5)]
    assert entry.after["id_ranges"] == [[report.ids[0], report.ids[-1]]]
    assert report.ids == list(range(report.ids[0], report.ids[0] + 5))
    assert entry.row_key == f"import:{report.ids[0]}-{report.ids[-1]}"


def test_dry_run_writes_nothing(session, tmp_path):
    path = tmp_path / "signs.gpkg"
    fx.signs_gdf(prefix="D").to_file(path)
    before = fx.count(session, Sign), fx.count(session, AuditLog)
    report = import_file(session, path, layer="signs", actor="tester", dry_run=True)
    assert report.ok and report.imported == 0 and report.rows == 5
    assert (fx.count(session, Sign), fx.count(session, AuditLog)) == before


def test_keys_are_reserved_only_for_a_real_import(session, tmp_path, backend):
    # PostgreSQL: the keys come from the sequence, taken while the file is checked; a dry run
    # takes none. The stored rows carry exactly the reported keys.
    def next_key() -> int:
        if backend == "postgis":
            query = "SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM sign_id_seq"
            return session.execute(sql(query)).scalar_one()
        return (session.execute(select(func.max(Sign.id))).scalar() or 0) + 1

    path = tmp_path / "signs.gpkg"
    fx.signs_gdf(prefix="K").to_file(path)
    start = next_key()
    import_file(session, path, layer="signs", actor="tester", dry_run=True)
    assert next_key() == start
    report = import_file(session, path, layer="signs", actor="tester")
    assert report.ids == list(range(start, start + 5))
    stored = session.execute(select(Sign.code, Sign.id).order_by(Sign.id)).all()
    assert stored == [(f"K{i:05d}", start + i) for i in range(5)]


def test_polygons_become_multipolygons_and_lines_multilines(session, tmp_path):
    square = {
        "type": "Polygon",
        "coordinates": [
            [[106.80, 39.60], [106.81, 39.60], [106.81, 39.61], [106.80, 39.61], [106.80, 39.60]]
        ],
    }
    path = fx.write_geojson(
        [
            fx.feature(
                square, 区划代码="150302999001", 名称="测试社区", 级别="社区", 常住人口=1200, 户数="480"
            )
        ],
        tmp_path / "d.geojson",
    )
    import_file(session, path, layer="divisions", actor="tester")
    division = session.execute(
        select(Division.name, Division.level, Division.population, func.ST_GeometryType(Division.geom)).where(
            Division.code == "150302999001"
        )
    ).one()
    assert division[:3] == ("测试社区", "community", 1200)
    assert "MULTIPOLYGON" in division[3].upper()

    line = {"type": "LineString", "coordinates": [[106.80, 39.60], [106.85, 39.65]]}
    path = fx.write_geojson(
        [
            fx.feature(
                line,
                code="T-L1",
                name="测试界线",
                level="县级",
                left_code="150302",
                left_name="海勃湾区",
                right_code="150303",
                right_name="海南区",
            )
        ],
        tmp_path / "l.geojson",
    )
    import_file(session, path, layer="boundary_lines", actor="tester")
    kind = session.execute(
        select(func.ST_GeometryType(BoundaryLine.geom)).where(BoundaryLine.code == "T-L1")
    ).scalar_one()
    assert "MULTILINESTRING" in kind.upper()

    # markers refer to their line by code; the import stores the line's id
    point = {"type": "Point", "coordinates": [106.81, 39.61]}
    path = fx.write_geojson(
        [fx.feature(point, 界桩编号="T-L1-001", line_code="T-L1", 序号=1, marker_type="A")],
        tmp_path / "m.geojson",
    )
    import_file(session, path, layer="markers", actor="tester")
    line_id = session.execute(select(BoundaryLine.id).where(BoundaryLine.code == "T-L1")).scalar_one()
    assert (
        session.execute(
            select(BoundaryMarker.line_id).where(BoundaryMarker.number == "T-L1-001")
        ).scalar_one()
        == line_id
    )
    path = fx.write_geojson(
        [fx.feature(point, number="T-L9-001", line_code="T-L9", seq=1, marker_type="A")],
        tmp_path / "m2.geojson",
    )
    with pytest.raises(
        ImportRefused, match=r"row 1 \[line_code\]: 'T-L9' does not exist in boundary_line.code"
    ):
        import_file(session, path, layer="markers", actor="tester")


def test_registry_is_consistent_with_the_models():
    for lyr in LAYERS.values():
        columns = set(lyr.table.c.keys())
        assert lyr.geometry_column in columns
        assert set(lyr.geometry_types) <= {
            "Point",
            "MultiPoint",
            "LineString",
            "MultiLineString",
            "Polygon",
            "MultiPolygon",
        }
        assert set(lyr.key) <= {f.name for f in lyr.fields}
        for f in lyr.fields:
            assert f.name in columns, (lyr.name, f.name)
            if f.choices and f.value_aliases:
                assert set(f.value_aliases.values()) <= set(f.choices), (lyr.name, f.name)
    assert get_layer("标志") is LAYERS["signs"]
    assert get_layer("sign").field("text_zh").max_length == 200
    with pytest.raises(ValueError, match="unknown layer 'nope'"):
        get_layer("nope")
    # a shapefile's truncated column names are accepted
    mapping, unknown = LAYERS["signs"].match_columns(["text_roman", "house_numb", "geometry_x"])
    assert mapping == {"text_roman": "text_romanized", "house_numb": "house_number"} and unknown == [
        "geometry_x"
    ]


def test_imported_rows_are_in_the_spatial_index(session, tmp_path):
    from gis.dialects import bbox_filter

    for batch in ("P", "Q"):  # twice: the index maintenance is back in place after the first import
        path = tmp_path / f"{batch}.gpkg"
        fx.signs_gdf(prefix=batch, seed=ord(batch)).to_file(path)
        import_file(session, path, layer="signs", actor="tester")
    table = Sign.__table__
    found = (
        session.execute(
            select(Sign.code).where(
                bbox_filter(session, table, (106.78, 39.64, 106.86, 39.72)),
                Sign.code.like("P%") | Sign.code.like("Q%"),
            )
        )
        .scalars()
        .all()
    )
    assert sorted(found) == sorted([f"P{i:05d}" for i in range(5)] + [f"Q{i:05d}" for i in range(5)])
    nowhere = (
        session.execute(select(Sign.code).where(bbox_filter(session, table, (100.0, 30.0, 100.1, 30.1))))
        .scalars()
        .all()
    )
    assert nowhere == []


def test_facilities_from_excel_with_chinese_headers_and_values(session, tmp_path):
    from openpyxl import Workbook

    from facilities.models import Facility

    square = {
        "type": "Polygon",
        "coordinates": [
            [[106.80, 39.60], [106.90, 39.60], [106.90, 39.70], [106.80, 39.70], [106.80, 39.60]]
        ],
    }
    path = fx.write_geojson(
        [fx.feature(square, code="150302999003", name="丙社区", level="社区")], tmp_path / "d.geojson"
    )
    import_file(session, path, layer="divisions", actor="tester")
    wb = Workbook()
    ws = wb.active
    ws.append(["设施名称", "设施类型", "运营性质", "床位数", "护理型床位数", "所在政区代码", "经度", "纬度"])
    ws.append(["测试养老院", "养老机构", "公建民营", 120, 60, "150302999003", 106.85, 39.65])
    ws.append(["测试幸福院", "互助养老幸福院", None, None, None, "150302999003", 106.86, 39.66])
    wb.save(tmp_path / "f.xlsx")
    report = import_file(session, tmp_path / "f.xlsx", layer="设施", actor="tester", crs="EPSG:4326")
    assert report.imported == 2
    rows = session.execute(
        select(
            Facility.name,
            Facility.kind,
            Facility.operator_type,
            Facility.beds,
            Facility.nursing_beds,
            Facility.status,
        )
        .where(Facility.division_code == "150302999003")
        .order_by(Facility.kind)
    ).all()
    assert [tuple(r) for r in rows] == [
        ("测试养老院", "elderly_institution", "public_private", 120, 60, "running"),
        ("测试幸福院", "mutual_aid_home", None, None, None, "running"),
    ]
    # more nursing beds than beds, and a division that does not exist: both rows named
    ws.append(["坏养老院", "养老机构", None, 10, 20, "150302999999", 106.87, 39.67])
    wb.save(tmp_path / "g.xlsx")
    with pytest.raises(ImportRefused) as info:
        import_file(session, tmp_path / "g.xlsx", layer="facilities", actor="tester", crs="EPSG:4326")
    problems = [str(p) for p in info.value.report.problems]
    assert "row 3: nursing_beds is larger than beds" in problems
    assert "row 3 [division_code]: '150302999999' does not exist in division.code" in problems
    assert (
        "row 1 [kind/name]: key 'elderly_institution|测试养老院' already exists in the database" in problems
    )


def test_csv_with_wkt_polygons(session, tmp_path):
    path = tmp_path / "d.csv"
    path.write_text(
        "区划代码,名称,级别,wkt\n"
        '150302999004,丁社区,community,"POLYGON ((106.80 39.60, 106.81 39.60, 106.81 39.61, 106.80 39.60))"\n',
        encoding="utf-8",
    )
    report = import_file(session, path, layer="divisions", actor="tester", crs=4490)
    assert report.imported == 1
    kind = session.execute(
        select(func.ST_GeometryType(Division.geom)).where(Division.code == "150302999004")
    ).scalar_one()
    assert "MULTIPOLYGON" in kind.upper()


def test_divisions_with_parents_in_the_same_file_and_neighbours(session, tmp_path):
    def square(x, y, d=0.01):
        return {"type": "Polygon", "coordinates": [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]]}

    feats = [  # child first: the import orders parents before children
        fx.feature(
            square(106.80, 39.60),
            code="150302998001",
            name="子社区",
            level="社区",
            parent_code="150302998000",
        ),
        fx.feature(square(106.80, 39.60, 0.05), code="150302998000", name="测试街道", level="街道"),
        fx.feature(square(105.90, 38.70), code="640299000000", name="邻市", level="市", in_wuhai="否"),
    ]
    report = import_file(
        session, fx.write_geojson(feats, tmp_path / "d.geojson"), layer="divisions", actor="tester"
    )
    assert report.imported == 3
    parent = session.execute(select(Division.parent_code).where(Division.code == "150302998001")).scalar_one()
    assert parent == "150302998000"
    # the same neighbour claimed to be in Wuhai is outside the extent
    feats[2]["properties"].update(code="640299000001", in_wuhai="是")
    with pytest.raises(ImportRefused, match=r"row 1 \[geometry\]: outside Wuhai's extent"):
        import_file(
            session, fx.write_geojson(feats[2:], tmp_path / "e.geojson"), layer="divisions", actor="tester"
        )
