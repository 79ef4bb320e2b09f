"""Reading files: format, encoding and CRS detection, reprojection to EPSG:4490, writing formats GDAL reads."""

from __future__ import annotations

import geopandas as gpd
import io_fixtures as fx
import numpy as np
import pyogrio
import pytest
import shapely

from gis import gcj02
from gis.io import FileError
from gis.io import detect_dbf_encoding
from gis.io import extent_problems
from gis.io import read_vector
from gis.io import write_vector


def _same_points(result, expected: gpd.GeoDataFrame, tol: float = 1e-7) -> None:
    got = result.gdf.geometry
    want = expected.to_crs(4490).geometry
    assert np.abs(got.x.to_numpy() - want.x.to_numpy()).max() < tol
    assert np.abs(got.y.to_numpy() - want.y.to_numpy()).max() < tol


@pytest.mark.parametrize("epsg", [4326, 4490, 4545, 3857])
def test_gpkg_in_any_crs_is_reprojected_to_4490(tmp_path, epsg):
    src = fx.signs_gdf(crs=epsg)
    path = tmp_path / "signs.gpkg"
    src.to_file(path)
    result = read_vector(path)
    assert result.gdf.crs.to_epsg() == 4490
    assert result.source_crs == f"EPSG:{epsg}"
    _same_points(result, src)
    assert list(result.gdf.index) == [1, 2, 3, 4, 5]
    assert result.gdf["text_zh"].tolist() == list(fx.TEXTS)


@pytest.mark.parametrize(
    ("encoding", "cpg", "detected"),
    [
        ("UTF-8", "UTF-8", "UTF-8"),
        ("UTF-8", None, "UTF-8"),
        ("CP936", None, "GBK"),
        ("CP936", "GBK", "GBK"),
        ("CP936", "936", "GBK"),
    ],
)
def test_shapefile_encodings_detected(tmp_path, encoding, cpg, detected):
    src = fx.signs_gdf(crs=4545)
    path = fx.write_shapefile(src, tmp_path / "signs.shp", encoding=encoding, cpg=cpg)
    assert detect_dbf_encoding(path) == detected
    result = read_vector(path)
    assert result.gdf["text_zh"].tolist() == list(fx.TEXTS)
    assert result.gdf["kind"].tolist() == list(fx.KINDS_ZH)
    _same_points(result, src)
    if cpg is None:
        assert any("no .cpg" in n for n in result.notes)


def test_gbk_dbf_with_wrong_cpg_is_refused_naming_row_and_field(tmp_path):
    path = fx.write_shapefile(fx.signs_gdf(), tmp_path / "signs.shp", encoding="CP936", cpg="UTF-8")
    with pytest.raises(
        FileError, match=r"row 1 field (kind|text_zh): bytes are not valid utf-8 .*--encoding gbk"
    ):
        read_vector(path)
    # the explicit encoding wins
    assert read_vector(path, encoding="GBK").gdf["text_zh"].iloc[0] == "人民路"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_encodings_and_chinese_columns(tmp_path, encoding):
    src = fx.signs_gdf()
    path = fx.write_csv(src, tmp_path / "signs.csv", encoding=encoding)
    result = read_vector(path, crs="EPSG:4490")
    assert result.encoding == {"utf-8": "UTF-8", "utf-8-sig": "UTF-8-BOM", "gbk": "GBK"}[encoding]
    assert result.gdf["text_zh"].tolist() == list(fx.TEXTS)
    _same_points(result, src, tol=1e-9)


@pytest.mark.parametrize(
    ("lon", "lat"), [("lon", "lat"), ("LNG", "LAT"), ("x", "y"), ("longitude", "latitude")]
)
def test_csv_coordinate_column_names(tmp_path, lon, lat):
    path = fx.write_csv(fx.signs_gdf(), tmp_path / "signs.csv", lon=lon, lat=lat)
    assert len(read_vector(path, crs=4326).gdf) == 5


def test_csv_without_crs_is_refused(tmp_path):
    path = fx.write_csv(fx.signs_gdf(), tmp_path / "signs.csv")
    with pytest.raises(FileError, match="no coordinate reference system; give one with --crs"):
        read_vector(path)


def test_csv_gcj02_is_converted(tmp_path):
    src = fx.signs_gdf()
    shifted = src.copy()
    glon, glat = gcj02.wgs84_to_gcj02(src.geometry.x.to_numpy(), src.geometry.y.to_numpy())
    shifted.geometry = shapely.points(glon, glat)
    path = fx.write_csv(shifted, tmp_path / "amap.csv")
    result = read_vector(path, crs="gcj02")
    _same_points(result, src, tol=1e-7)  # WGS84 taken as CGCS2000 (sub-metre)


def test_xlsx(tmp_path):
    src = fx.signs_gdf(crs=4326)
    path = fx.write_xlsx(src, tmp_path / "signs.xlsx")
    result = read_vector(path, crs=4326)
    assert result.gdf["text_zh"].tolist() == list(fx.TEXTS)
    _same_points(result, src)


def test_shapefile_without_prj_has_no_crs(tmp_path):
    path = fx.write_shapefile(fx.signs_gdf(), tmp_path / "signs.shp", encoding="UTF-8", cpg="UTF-8")
    path.with_suffix(".prj").unlink()
    with pytest.raises(FileError, match="has no coordinate reference system"):
        read_vector(path)
    assert len(read_vector(path, crs="EPSG:4490").gdf) == 5


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.geojson", b"\x89PNG\r\n\x1a\n\x00\x00garbage", "cannot read the file"),
        ("bad.gpkg", b"SQLite format 3\x00" + b"\x00" * 50, "cannot read the file"),
        ("bad.xlsx", b"PK\x03\x04truncated", "cannot read the Excel workbook"),
        ("bad.csv", b"", "the file is empty"),
        ("bad.csv", b"lon,lat\x00\x01\x02", "binary data"),
        ("bad.dxf", b"0\nSECTION", "unsupported file type"),
    ],
)
def test_garbage_files(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(FileError, match=message):
        read_vector(path, crs=4490)


def test_truncated_geopackage(tmp_path):
    path = tmp_path / "signs.gpkg"
    fx.signs_gdf(200).to_file(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(FileError, match="signs.gpkg: cannot read the file"):
        read_vector(path)


def test_extent_problems_flags_swapped_and_outside():
    geoms = np.array(
        [shapely.Point(106.8, 39.7), shapely.Point(39.7, 106.8), shapely.Point(116.4, 39.9), None],
        dtype=object,
    )
    outside, swapped = extent_problems(geoms)
    assert outside.tolist() == [False, False, True, False]
    assert swapped.tolist() == [False, True, False, False]


@pytest.mark.parametrize("fmt", ["gpkg", "geojson", "shp", "csv", "xlsx"])
def test_write_vector_round_trip(tmp_path, fmt):
    src = fx.signs_gdf(crs=4545)
    path = tmp_path / f"out.{fmt}"
    files = write_vector(src, path)
    assert all(p.exists() for p in files)
    back = read_vector(path, crs=4490 if fmt in {"csv", "xlsx"} else None)
    assert back.gdf["text_zh"].tolist() == list(fx.TEXTS)
    _same_points(back, src, tol=1e-7)
    if fmt == "shp":
        assert path.with_suffix(".cpg").read_text() == "UTF-8"
    if fmt == "csv":
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    if fmt not in {"csv", "xlsx"}:
        info = pyogrio.read_info(path)
        assert info["features"] == 5
        assert pyogrio.read_dataframe(path)["text_zh"].tolist() == list(fx.TEXTS)
