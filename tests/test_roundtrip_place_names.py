# ruff: noqa: F811  (pytest fixtures imported from web_fixtures are redefined as arguments)
"""Place names hold points, lines and areas: their GeoPackage (one table per type) and Shapefiles
(one file per type) come back through ``import --update`` and the import page with no change;
one edited attribute is one change."""

from __future__ import annotations

import io
import re
import subprocess

import io_fixtures as fx
import pyogrio
import pytest
import shapely
from sqlalchemy import select
from test_roundtrip_layers import updates
from web_fixtures import app  # noqa: F401
from web_fixtures import client  # noqa: F401
from web_fixtures import login
from web_fixtures import web_db  # noqa: F401

from data.exporter import export_layer
from data.importer import ImportRefused
from data.importer import import_file
from gis.db import make_engine
from gis.db import make_session_factory
from placenames.models import PlaceName

NAMES = {"甘德尔街": "point", "滨河大道": "line", "千里山镇": "polygon", "人民公园": "polygon"}


def _names(session, tmp_path) -> None:
    features = [
        fx.feature(
            shapely.geometry.mapping(shapely.Point(106.80, 39.66)), name="甘德尔街", category_code="2511"
        ),
        fx.feature(
            shapely.geometry.mapping(shapely.LineString([(106.80, 39.65), (106.81, 39.66)])),
            name="滨河大道",
            category_code="2511",
            aliases=["滨河路"],
        ),
        fx.feature(
            shapely.geometry.mapping(shapely.Point(106.82, 39.68).buffer(0.01)),
            name="千里山镇",
            category_code="2120",
            meaning="因千里山得名",
        ),
        fx.feature(
            shapely.geometry.mapping(shapely.box(106.83, 39.67, 106.84, 39.68)),
            name="人民公园",
            category_code="2550",
        ),
    ]
    import_file(
        session, fx.write_geojson(features, tmp_path / "names.geojson"), layer="place_names", actor="t"
    )


def _set(path, table: str, column: str, value: str, name_column: str, name: str) -> None:
    """Change one attribute in one table of a GeoPackage through GDAL, as an edit in QGIS does."""
    sql = f'UPDATE "{table}" SET "{column}" = \'{value}\' WHERE "{name_column}" = \'{name}\''
    subprocess.run(["ogrinfo", "-q", str(path), "-sql", sql], check=True, capture_output=True)


def _meaning(session, name: str):
    return session.execute(select(PlaceName.meaning).where(PlaceName.name == name)).scalar_one()


@pytest.mark.parametrize("labels", ["en", "zh"])
def test_geopackage_of_every_geometry_type_round_trips(session, tmp_path, labels):
    _names(session, tmp_path)
    path = tmp_path / "names.gpkg"
    rows = export_layer(session, "place_names", path, labels=labels)["rows"]
    tables = [str(n) for n, kind in pyogrio.list_layers(path) if kind]
    assert tables == ["place_names_point", "place_names_line", "place_names_polygon"]

    report = import_file(session, path, layer="place_names", actor="officer", update=True)
    assert report.counts() == {"new": 0, "changed": 0, "unchanged": rows, "refused": 0}
    assert rows == len(NAMES)
    assert any("place_names_line (rows 2-2)" in n for n in report.notes), report.notes

    name_col, meaning_col = ("name", "meaning") if labels == "en" else ("标准名称", "含义")
    _set(path, "place_names_line", meaning_col, "沿黄河岸", name_col, "滨河大道")
    audited = updates(session, "place_name")
    report = import_file(session, path, layer="place_names", actor="officer", update=True)
    assert [
        (o.key.split("|")[0], o.status, o.fields) for o in report.outcomes if o.status != "unchanged"
    ] == [("滨河大道", "changed", ["meaning"])]
    assert _meaning(session, "滨河大道") == "沿黄河岸"
    assert updates(session, "place_name") == audited + 1


def test_an_edit_in_an_area_table_since_changed_is_refused(session, tmp_path):
    _names(session, tmp_path)
    path = tmp_path / "names.gpkg"
    export_layer(session, "place_names", path)
    _set(path, "place_names_polygon", "meaning", "新含义", "name", "人民公园")
    import_file(session, path, layer="place_names", actor="officer", update=True)
    _set(path, "place_names_polygon", "meaning", "再改", "name", "人民公园")  # version in the file is old
    with pytest.raises(ImportRefused, match="changed in the database since the export"):
        import_file(session, path, layer="place_names", actor="officer", update=True)
    assert _meaning(session, "人民公园") == "新含义"


def test_shapefiles_of_each_geometry_type_round_trip(session, tmp_path):
    _names(session, tmp_path)
    files = export_layer(session, "place_names", tmp_path / "names.shp")["files"]
    shapefiles = sorted(f for f in files if f.endswith(".shp"))
    assert [f.rsplit("_", 1)[1] for f in shapefiles] == ["line.shp", "point.shp", "polygon.shp"]
    total = 0
    for shp in shapefiles:
        report = import_file(session, shp, layer="place_names", actor="officer", update=True)
        counts = report.counts()
        assert counts["changed"] == counts["new"] == counts["refused"] == 0, (shp, report.render())
        total += counts["unchanged"]
    assert total == len(NAMES)

    polygons = next(f for f in shapefiles if f.endswith("_polygon.shp"))
    gdf = pyogrio.read_dataframe(polygons)
    gdf.loc[gdf["name"] == "千里山镇", "meaning"] = "千里山脚下"
    pyogrio.write_dataframe(gdf, polygons, encoding="UTF-8")
    report = import_file(session, polygons, layer="place_names", actor="officer", update=True)
    assert [(o.status, o.fields) for o in report.outcomes if o.status != "unchanged"] == [
        ("changed", ["meaning"])
    ]
    assert _meaning(session, "千里山镇") == "千里山脚下"


def _export(url: str, path):
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as s:
            return export_layer(s, "place_names", path, labels="zh")["rows"]
    finally:
        engine.dispose()


def test_import_page_reads_every_table_of_the_geopackage(client, web_db, tmp_path):
    url, _ids = web_db
    path = tmp_path / "地名.gpkg"
    rows = _export(url, path)
    assert len([n for n, kind in pyogrio.list_layers(path) if kind]) >= 2  # points and lines at least
    login(client, "placename_officer")
    data = {"layer": "place_names", "update": "1", "file": (io.BytesIO(path.read_bytes()), path.name)}
    review = client.post("/imports/", data=data, content_type="multipart/form-data")
    html = review.get_data(as_text=True)
    assert review.status_code == 200, html
    counts = {k: int(v) for k, v in re.findall(r'class="count (\w+)">[^<]*?(\d+)</span>', html)}
    assert counts.get("unchanged") == rows, html
    assert counts.get("changed", 0) == counts.get("new", 0) == 0, html
