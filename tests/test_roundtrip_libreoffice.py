"""Export → LibreOffice re-save (as an officer's spreadsheet program would) → ``import --update``.

LibreOffice runs headless (Debian's ``libreoffice-calc-nogui``); a re-saved export must come back
with no change, and one edited cell must come back as exactly that change.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import geopandas as gpd
import io_fixtures as fx
import pytest
import shapely
from openpyxl import load_workbook

from data.exporter import export_layer
from data.importer import ImportRefused
from data.importer import import_file
from data.spreadsheet import companion_path
from facilities.kinds import BY_CODE
from placenames.romanize import romanize

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = pytest.mark.skipif(
    SOFFICE is None, reason="LibreOffice (libreoffice-calc-nogui) is not installed"
)


def resave(path: Path, workdir: Path) -> Path:
    """``path`` opened and saved again as XLSX by headless LibreOffice; the new file."""
    outdir = workdir / f"lo-{len(list(workdir.glob('lo-*')))}"
    outdir.mkdir(parents=True)
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation={(workdir / 'lo-profile').as_uri()}",
            "--headless",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(outdir),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    out = outdir / path.name
    assert out.exists(), f"LibreOffice wrote no {out.name}"
    if companion_path(path).exists():  # kept beside the sheet, as the officer keeps both files
        shutil.copy(companion_path(path), companion_path(out))
    return out


def edit_cell(path: Path, key: str, header: str, value) -> None:
    """Set the cell of column ``header`` in the row whose cells include ``key``."""
    wb = load_workbook(path)
    ws = wb.worksheets[0]
    headers = [c.value for c in ws[1]]
    column = headers.index(header) + 1
    row = next(r for r in ws.iter_rows(min_row=2) if key in [c.value for c in r])
    ws.cell(row[0].row, column, value)
    wb.save(path)


def _signs(session, tmp_path):
    gdf = fx.signs_gdf(5, prefix="LO")
    gdf["material"] = ["铝", "'=1+2", "钢", None, "铝"]
    gdf["division_code"] = "150302001001"
    gdf["house_number"] = [str(i + 1) for i in range(5)]
    gdf["text_romanized"] = [romanize(t) for t in gdf["text_zh"]]
    path = tmp_path / "signs.gpkg"
    gdf.to_file(path)
    import_file(session, path, layer="signs", actor="tester")
    return {"code": list(gdf["code"])}, "LO00001", "材质", "不锈钢", "material"


def _place_names(session, tmp_path):
    ring = shapely.Point(106.82, 39.68).buffer(0.01, quad_segs=600)  # WKT longer than a cell
    features = [
        fx.feature(
            shapely.geometry.mapping(shapely.Point(106.80, 39.66)), name="甘德尔街", category_code="2511"
        ),
        fx.feature(
            shapely.geometry.mapping(ring), name="千里山镇", category_code="2120", meaning="因千里山得名"
        ),
        fx.feature(
            shapely.geometry.mapping(shapely.LineString([(106.80, 39.65), (106.81, 39.66)])),
            name="滨河大道",
            category_code="2511",
            aliases=["滨河路"],
        ),
    ]
    path = fx.write_geojson(features, tmp_path / "names.geojson")
    import_file(session, path, layer="place_names", actor="tester")
    return {"name": ["甘德尔街", "千里山镇", "滨河大道"]}, "甘德尔街", "含义", "以人名命名", "meaning"


def _facilities(session, tmp_path):
    gdf = gpd.GeoDataFrame(
        {
            "kind": ["home_care_station", "elderly_institution"],
            "name": ["LO测试服务站", "LO测试养老院"],
            "status": ["running", "planned"],
            "beds": [20, 120],
            "has_volunteer_site": [True, False],
            # the kinds' service rules, which the facility store fills in when they are blank
            "service_radius_m": [
                BY_CODE[k].service_radius_m for k in ("home_care_station", "elderly_institution")
            ],
            "service_minutes": [
                BY_CODE[k].service_minutes for k in ("home_care_station", "elderly_institution")
            ],
        },
        geometry=shapely.points([106.81, 106.83], [39.66, 39.69]),
        crs=4490,
    )
    path = tmp_path / "fac.gpkg"
    gdf.to_file(path)
    import_file(session, path, layer="facilities", actor="tester")
    return {"name": list(gdf["name"])}, "LO测试服务站", "床位数", 25, "beds"


@pytest.mark.parametrize(
    ("layer", "arrange"),
    [("signs", _signs), ("place_names", _place_names), ("facilities", _facilities)],
)
def test_resaved_export_round_trips_and_one_edit_is_one_change(session, tmp_path, layer, arrange):
    where, key, header, value, field = arrange(session, tmp_path)
    out = tmp_path / f"{layer}.xlsx"
    export_layer(session, layer, out, where=where, labels="zh")
    saved = resave(out, tmp_path)

    report = import_file(session, saved, layer=layer, actor="officer", update=True)
    counts = report.counts()
    assert counts == {"new": 0, "changed": 0, "unchanged": len(next(iter(where.values()))), "refused": 0}

    edit_cell(saved, key, header, value)
    edited = resave(saved, tmp_path)
    report = import_file(session, edited, layer=layer, actor="officer", update=True, dry_run=True)
    changed = [o for o in report.outcomes if o.status != "unchanged"]
    assert [(o.status, o.fields) for o in changed] == [("changed", [field])]

    report = import_file(session, edited, layer=layer, actor="officer", update=True)
    assert report.counts()["changed"] == 1
    again = import_file(session, edited, layer=layer, actor="officer", update=True, dry_run=True)
    assert again.counts()["changed"] == 0  # the change is in

    edit_cell(
        edited, key, header, value + 5 if isinstance(value, int) else value + "甲"
    )  # a second edit on the copy exported before the first
    with pytest.raises(ImportRefused, match="changed in the database since the export") as refused:
        import_file(session, edited, layer=layer, actor="officer", update=True)
    assert [o.status for o in refused.value.report.outcomes if o.status != "unchanged"] == ["refused"]
