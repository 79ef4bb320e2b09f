"""``import --update`` of every layer: LibreOffice re-saved XLSX and GeoPackage round trips, links kept.

Divisions, roads, boundary lines and markers (signs, place names and facilities are in
``test_roundtrip_libreoffice.py``; signs are here again with their links to standard names).
Each layer: export (Chinese labels) → re-save in headless LibreOffice → ``import --update``
changes nothing and loses no link; one edited cell is exactly one change, written through the
domain with an audit entry; a second edit of the copy exported before the first is refused.
"""

from __future__ import annotations

import _bounds_world as world
import geopandas as gpd
import io_fixtures as fx
import pandas as pd
import pytest
import shapely
from sqlalchemy import func
from sqlalchemy import select
from test_roundtrip_libreoffice import SOFFICE
from test_roundtrip_libreoffice import _facilities
from test_roundtrip_libreoffice import edit_cell
from test_roundtrip_libreoffice import resave

from boundaries.models import BoundaryLine
from boundaries.models import BoundaryMarker
from data.exporter import export_layer
from data.importer import ImportRefused
from data.importer import import_file
from gis.models import AuditLog
from gis.models import RoadSegment
from placenames.models import PlaceName
from placenames.models import Sign
from placenames.romanize import romanize

needs_soffice = pytest.mark.skipif(
    SOFFICE is None, reason="LibreOffice (libreoffice-calc-nogui) is not installed"
)


def _divisions(session, tmp_path):
    world.build(session, markers=False)
    return "海南区", "常住人口", 52000, "population", "division"


def _roads(session, tmp_path):
    gdf = gpd.GeoDataFrame(
        {
            "name": ["甲路", "乙街", None],
            "road_class": ["主干路", "支路", "小路"],
            "oneway": [False, True, False],
            "speed_kmh": [60.0, 30.0, None],
            "division_code": ["150302000000", "150302000000", None],
        },
        geometry=[
            shapely.LineString([(106.80, 39.66), (106.81, 39.67)]),
            shapely.LineString([(106.81, 39.67), (106.82, 39.665)]),
            shapely.LineString([(106.82, 39.665), (106.83, 39.66)]),
        ],
        crs=4490,
    )
    path = tmp_path / "roads.gpkg"
    gdf.to_file(path)
    import_file(session, path, layer="roads", actor="tester")
    return "甲路", "限速", 50, "speed_kmh", "road_segment"


def _lines(session, tmp_path):
    world.build(session, markers=True)
    return "150303-640205", "界线协议书", "《蒙宁线协议书》", "agreement", "boundary_line"


def _markers(session, tmp_path):
    world.build(session, markers=True)
    return "1564001Q", "材质", "钢筋混凝土", "material", "boundary_marker"


def _signs(session, tmp_path):
    features = [
        fx.feature(
            shapely.geometry.mapping(shapely.Point(106.80 + i / 100, 39.66)), name=n, category_code="2511"
        )
        for i, n in enumerate(("人民路", "海北大街"))
    ]
    import_file(
        session, fx.write_geojson(features, tmp_path / "names.geojson"), layer="place_names", actor="t"
    )
    ids = dict(session.execute(select(PlaceName.name, PlaceName.id)).all())
    gdf = fx.signs_gdf(3, prefix="LK")
    gdf["place_name_id"] = [ids["人民路"], ids["海北大街"], None]
    gdf["division_code"] = "150302001001"
    gdf["house_number"] = ["1", "2", "3"]
    gdf["text_romanized"] = [romanize(t) for t in gdf["text_zh"]]
    path = tmp_path / "signs.gpkg"
    gdf.to_file(path)
    import_file(session, path, layer="signs", actor="tester")
    return "LK00000", "材质", "铝", "material", "sign"


ARRANGE = {
    "divisions": _divisions,
    "roads": _roads,
    "boundary_lines": _lines,
    "markers": _markers,
    "signs": _signs,
}


def links(session) -> dict[str, list]:
    """The links an import must keep: each sign's standard name, each marker's line section."""
    return {
        "signs": session.execute(select(Sign.code, Sign.place_name_id).order_by(Sign.code)).all(),
        "markers": session.execute(
            select(BoundaryMarker.number, BoundaryLine.code)
            .join(BoundaryLine, BoundaryLine.id == BoundaryMarker.line_id)
            .order_by(BoundaryMarker.number)
        ).all(),
    }


def updates(session, table: str) -> int:
    """Audit entries of updates of ``table``."""
    return session.scalar(
        select(func.count())
        .select_from(AuditLog)
        .where(AuditLog.table_name == table, AuditLog.action == "update")
    )


@needs_soffice
@pytest.mark.parametrize("layer", list(ARRANGE))
def test_resaved_export_round_trips_and_one_edit_is_one_change(session, tmp_path, layer):
    key, header, value, field, table = ARRANGE[layer](session, tmp_path)
    before_links = links(session)
    out = tmp_path / f"{layer}.xlsx"
    rows = export_layer(session, layer, out, labels="zh")["rows"]
    saved = resave(out, tmp_path)

    report = import_file(session, saved, layer=layer, actor="officer", update=True)
    assert report.counts() == {"new": 0, "changed": 0, "unchanged": rows, "refused": 0}
    assert links(session) == before_links

    edit_cell(saved, key, header, value)
    edited = resave(saved, tmp_path)
    report = import_file(session, edited, layer=layer, actor="officer", update=True, dry_run=True)
    assert [(o.status, o.fields) for o in report.outcomes if o.status != "unchanged"] == [
        ("changed", [field])
    ]

    audited = updates(session, table)
    report = import_file(session, edited, layer=layer, actor="officer", update=True)
    assert report.counts()["changed"] == 1
    assert updates(session, table) == audited + 1
    assert links(session) == before_links
    assert (
        import_file(session, edited, layer=layer, actor="officer", update=True, dry_run=True).counts()[
            "changed"
        ]
        == 0
    )

    edit_cell(edited, key, header, value + 5 if isinstance(value, int) else value + "甲")
    with pytest.raises(ImportRefused, match="changed in the database since the export") as refused:
        import_file(session, edited, layer=layer, actor="officer", update=True)
    assert [o.status for o in refused.value.report.outcomes if o.status != "unchanged"] == ["refused"]
    assert updates(session, table) == audited + 1


@pytest.mark.parametrize("layer", [*ARRANGE, "facilities"])
def test_geopackage_export_round_trips(session, tmp_path, layer):
    {**ARRANGE, "facilities": _facilities}[layer](session, tmp_path)
    before_links = links(session)
    out = tmp_path / f"{layer}.gpkg"
    rows = export_layer(session, layer, out, labels="zh")["rows"]
    report = import_file(session, out, layer=layer, actor="officer", update=True)
    assert report.counts() == {"new": 0, "changed": 0, "unchanged": rows, "refused": 0}
    assert links(session) == before_links


def _exported(session, tmp_path, layer: str) -> tuple[gpd.GeoDataFrame, object]:
    path = tmp_path / f"{layer}.gpkg"
    export_layer(session, layer, path)
    return gpd.read_file(path, layer=layer), tmp_path / f"{layer}-edited.gpkg"


def test_marker_moved_off_its_line_needs_a_reason(session, tmp_path):
    world.build(session, markers=True)
    gdf, path = _exported(session, tmp_path, "markers")
    first = gdf["number"] == "1564001Q"
    gdf.loc[first, "geometry"] = shapely.Point(106.91, 39.52)  # about 860 m east of the line
    gdf.to_file(path)
    with pytest.raises(ImportRefused, match="farther than the tolerance"):
        import_file(session, path, layer="markers", actor="officer", update=True)
    report = import_file(
        session, path, layer="markers", actor="officer", update=True, reason="界桩随河道迁移，联检确认"
    )
    assert report.counts()["changed"] == 1
    entry = session.scalars(
        select(AuditLog).where(AuditLog.table_name == "boundary_marker").order_by(AuditLog.id.desc())
    ).first()
    assert entry.action == "update" and entry.reason == "界桩随河道迁移，联检确认"


@pytest.mark.parametrize(
    ("layer", "column", "value", "message"),
    [
        ("divisions", "name", "新海南区", "dated division event"),
        ("divisions", "valid_to", "2030-01-01", "dated division event"),
        ("boundary_lines", "last_inspection_year", 2024, "completing an inspection round"),
        ("boundary_lines", "line_code", "1565", "the line code stays"),
        ("markers", "seq", 9, "follow from its number"),
    ],
)
def test_edits_outside_an_import_are_refused(session, tmp_path, layer, column, value, message):
    world.build(session, markers=True)
    gdf, path = _exported(session, tmp_path, layer)
    if layer == "divisions":
        row = gdf["code"] == "150303000000"
    elif layer == "boundary_lines":
        row = gdf["line_code"] == "1564"
    else:
        row = gdf["number"] == "1564001Q"
    gdf.loc[row, column] = value
    gdf.to_file(path)
    with pytest.raises(ImportRefused, match=message) as refused:
        import_file(session, path, layer=layer, actor="officer", update=True)
    assert [o.status for o in refused.value.report.outcomes].count("refused") == 1


def test_roads_are_matched_by_their_id(session, tmp_path):
    _roads(session, tmp_path)
    gdf, path = _exported(session, tmp_path, "roads")
    gdf.loc[gdf["name"] == "乙街", "road_class"] = "lane"
    extra = gdf.iloc[[0]].copy()
    extra["id"], extra["name"] = None, "丙路"
    pd_rows = gpd.GeoDataFrame(pd.concat([gdf, extra], ignore_index=True), crs=gdf.crs)
    pd_rows.to_file(path)
    report = import_file(session, path, layer="roads", actor="officer", update=True)
    assert report.counts() == {"new": 1, "changed": 1, "unchanged": 2, "refused": 0}
    assert session.scalar(select(RoadSegment.road_class).where(RoadSegment.name == "乙街")) == "lane"
    assert session.scalar(select(func.count()).select_from(RoadSegment)) == 4
