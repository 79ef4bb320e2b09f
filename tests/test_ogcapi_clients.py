"""The OGC API in the real clients: GDAL's OAPIF driver (ogrinfo, ogr2ogr) and QGIS's OAPIF provider.

Every collection loads with one geometry type, the right one, as many features as the database
holds, numbers typed as numbers and Chinese text intact; ogr2ogr writes a GeoPackage without a
warning. Needs Debian's gdal-bin, and python3-qgis with qgis-providers for the QGIS test.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
from datetime import date

import pytest
from shapely.geometry import Point
from shapely.geometry import box
from web_fixtures import seeded_app
from web_fixtures import served_over_http

EXPECTED_TYPES = {
    "divisions": "MultiPolygon",
    "roads": "LineString",
    "place_names": "Point",
    "place_names_lines": "MultiLineString",
    "place_names_areas": "MultiPolygon",
    "signs": "Point",
    "boundary_lines": "MultiLineString",
    "markers": "Point",
    "facilities": "Point",
}
GDAL_TYPES = {"Point": "Point", "LineString": "Line String", "MultiLineString": "Multi Line String",
              "MultiPolygon": "Multi Polygon"}  # fmt: skip
QGIS_PROBE = """
import json, sys
from qgis.core import QgsApplication, QgsVectorLayer, QgsWkbTypes
app = QgsApplication([], False)
app.initQgis()
out = {}
for cid in sys.argv[2:]:
    lyr = QgsVectorLayer(f"url='{sys.argv[1]}' typename='{cid}'", cid, "OAPIF")
    if not lyr.isValid():
        out[cid] = None
        continue
    names = [str(f["name"]) for f in lyr.getFeatures() if "name" in lyr.fields().names()]
    out[cid] = {"geometry": QgsWkbTypes.displayString(lyr.wkbType()), "count": lyr.featureCount(),
                "names": names, "fields": {f.name(): f.typeName() for f in lyr.fields()}}
print(json.dumps(out, ensure_ascii=False), flush=True)
import os
os._exit(0)  # QGIS 3.22 may crash while tearing down network threads; the answer is out
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _add_world(app) -> None:
    """Names as a point and an area next to the seed's lines; facilities whose first ten lack numbers."""
    from facilities import usecases as facility_acts
    from placenames import store as names_store
    from webmap.db import get_session

    with app.app_context():
        s = get_session()
        for name, geom in (
            ("团结巷", Point(106.82, 39.68)),
            ("滨河大道", box(106.81, 39.66, 106.82, 39.67)),
        ):
            pn = names_store.propose(s, actor="seed", name=name, category_code="253", division_code="150302001000", geom=geom)  # fmt: skip
            names_store.review(s, pn.id, actor="seed")
            names_store.approve(s, pn.id, actor="seed", authority="乌海市人民政府", document="乌政字〔2024〕2号", approval_date=date(2024, 5, 1))  # fmt: skip
        for i in range(12):
            extra = {"floor_area_m2": 450.5, "planned_year": 2027} if i == 11 else {}
            kind = "community_service" if i == 11 else "home_care_station"
            facility_acts.add_facility(s, actor="seed", kind=kind, name=f"新华社区第{i}服务站",
                                       lon=106.81 + i * 0.001, lat=39.68, **extra)  # fmt: skip
        s.commit()


def _expected(app) -> dict[str, dict]:
    """Per collection: how many features the database holds and which number properties have a value."""
    from sqlalchemy import func
    from sqlalchemy import select

    from webmap.db import get_session
    from webmap.ogcapi.collections import collections

    out = {}
    with app.app_context():
        s = get_session()
        for cid, coll in collections().items():
            where = [*coll.public_filters(), coll.table.c[coll.geometry_column].is_not(None)]
            count = s.scalar(select(func.count()).select_from(coll.table).where(*where))
            numbers = {
                p: coll.column_type(p)
                for p in coll.properties
                if p != coll.id_column and coll.column_type(p) in ("integer", "number")
            }
            valued = {p for p in numbers if s.scalar(select(func.count(coll.table.c[p])).where(*where))}
            out[cid] = {"count": count, "numbers": numbers, "valued": valued}
    return out


@pytest.fixture(scope="module")
def served(request, backend, tmp_path_factory):
    """A seeded app with names of every geometry and facilities, served over HTTP on a free port."""
    app = seeded_app(request, backend, tmp_path_factory.mktemp("ogcclients"), WTF_CSRF_ENABLED=False)
    _add_world(app)
    with served_over_http(app) as base:
        yield f"{base}/ogcapi", _expected(app)
    app.extensions["wuhai_engine"].dispose()


def _run(*args: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=300, env=env)


def _gdal_layers(text: str) -> dict[str, dict]:
    layers: dict[str, dict] = {}
    for block in text.split("Layer name: ")[1:]:
        name = block.split("\n", 1)[0].strip()
        fields = dict(re.findall(r"^(\w+): (\w+(?:\(\w+\))?) \(", block, re.M))
        layers[name] = {
            "geometry": re.search(r"^Geometry: (.+)$", block, re.M).group(1).strip(),
            "count": int(re.search(r"^Feature Count: (\d+)", block, re.M).group(1)),
            "fields": fields,
        }
    return layers


@pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="gdal-bin not installed")
def test_gdal_reads_every_collection_single_typed_with_typed_numbers(served):
    base, expected = served
    out = _run("ogrinfo", "-ro", "-so", "-al", f"OAPIF:{base}")
    assert out.returncode == 0, out.stderr
    layers = _gdal_layers(out.stdout)
    assert set(layers) == set(EXPECTED_TYPES)
    for cid, want in EXPECTED_TYPES.items():
        got = layers[cid]
        assert got["geometry"] == GDAL_TYPES[want], cid
        assert got["count"] == expected[cid]["count"], cid
        for prop, kind in expected[cid]["numbers"].items():
            gdal = got["fields"].get(prop)
            assert gdal in (("Real",) if kind == "number" else ("Integer", "Integer64")), (cid, prop, gdal)
    assert layers["facilities"]["fields"]["floor_area_m2"] == "Real"
    assert layers["facilities"]["fields"]["year_closed"] == "Integer"  # empty everywhere, typed by the schema
    assert layers["place_names"]["fields"]["approval_date"] == "Date"


@pytest.mark.skipif(shutil.which("ogr2ogr") is None, reason="gdal-bin not installed")
def test_ogr2ogr_to_geopackage_without_a_warning_and_chinese_intact(served, tmp_path):
    base, expected = served
    out = _run("ogr2ogr", "-f", "GPKG", str(tmp_path / "all.gpkg"), f"OAPIF:{base}")
    assert out.returncode == 0, out.stderr
    assert "Warning" not in out.stderr and "ERROR" not in out.stderr, out.stderr
    info = _gdal_layers(_run("ogrinfo", "-ro", "-so", "-al", str(tmp_path / "all.gpkg")).stdout)
    for cid, want in EXPECTED_TYPES.items():
        assert info[cid]["geometry"] == GDAL_TYPES[want] and info[cid]["count"] == expected[cid]["count"], cid
    names = json.loads(
        _run("ogr2ogr", "-f", "GeoJSON", "/vsistdout/", str(tmp_path / "all.gpkg"), "place_names").stdout
    )
    assert {"人民路", "海北大街", "团结巷", "滨河大道"} <= {
        f["properties"]["name"] for f in names["features"]
    }
    areas = json.loads(
        _run(
            "ogr2ogr", "-f", "GeoJSON", "/vsistdout/", str(tmp_path / "all.gpkg"), "place_names_areas"
        ).stdout
    )
    assert [f["properties"]["name"] for f in areas["features"]] == ["滨河大道"]


def _qgis_available() -> bool:
    python = shutil.which("python3", path="/usr/bin")
    return bool(python) and _run(python, "-c", "import qgis.core").returncode == 0


@pytest.mark.skipif(not _qgis_available(), reason="python3-qgis not installed")
def test_qgis_loads_every_collection_single_typed_with_typed_numbers(served, tmp_path):
    import os

    base, expected = served
    probe = tmp_path / "probe.py"
    probe.write_text(QGIS_PROBE, encoding="utf-8")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(tmp_path)}
    out = _run("/usr/bin/python3", str(probe), base, *EXPECTED_TYPES, env=env)
    assert out.returncode == 0, out.stderr
    layers = json.loads(out.stdout.strip().splitlines()[-1])
    for cid, want in EXPECTED_TYPES.items():
        got = layers[cid]
        assert got is not None, f"QGIS cannot open {cid}"
        assert got["geometry"] == want and got["count"] == expected[cid]["count"], (
            cid,
            got["geometry"],
            got["count"],
        )
        for prop in expected[cid][
            "valued"
        ]:  # QGIS 3.22 types from the first page: what has a value somewhere
            kind = expected[cid]["numbers"][prop]
            assert got["fields"][prop] in (("Real",) if kind == "number" else ("Integer", "Integer64")), (
                cid,
                prop,
            )
    assert layers["facilities"]["fields"]["floor_area_m2"] == "Real"
    assert layers["facilities"]["fields"]["planned_year"] == "Integer"
    assert {"人民路", "海北大街", "团结巷", "滨河大道"} == set(layers["place_names"]["names"])


def _gdal_names(text: str) -> list[str]:
    return sorted(re.findall(r"^\s+name \(String\) = (.+)$", text, re.M))


def _cql2(base: str, cid: str, text: str) -> list[str]:
    """The names of the features the API's CQL2 filter keeps (every page)."""
    from urllib.parse import quote
    from urllib.request import urlopen

    url, names = f"{base}/collections/{cid}/items?f=json&limit=1000&filter={quote(text)}", []
    while url:
        with urlopen(url, timeout=60) as resp:  # noqa: S310 (the test's own server)
            page = json.loads(resp.read())
        names += [f["properties"]["name"] for f in page["features"]]
        url = next((link["href"] for link in page["links"] if link["rel"] == "next"), None)
    return sorted(names)


@pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="gdal-bin not installed")
@pytest.mark.parametrize(
    "where",
    [
        "kind = 'community_service' AND floor_area_m2 > 100",
        "kind = 'home_care_station' AND name LIKE '%第1%'",
        "status = 'running' OR planned_year >= 2027",
    ],
)
def test_gdal_where_keeps_the_features_the_cql2_filter_keeps(served, where):
    """ogrinfo -where through OAPIF (GDAL sends what the server takes, filters the rest itself)
    selects the same facilities as the server's CQL2 filter of the same predicate."""
    base, _expected = served
    out = _run("ogrinfo", "-ro", "-al", "-q", "-where", where, f"OAPIF:{base}", "facilities")
    assert out.returncode == 0, out.stderr
    by_gdal = _gdal_names(out.stdout)
    assert by_gdal == _cql2(base, "facilities", where)
    assert 0 < len(by_gdal) < 12 + 1


@pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="gdal-bin not installed")
def test_gdal_reads_a_cql2_filtered_items_url(served):
    """GDAL's GeoJSON reader opens a CQL2-filtered items URL: only the matching features, typed."""
    from urllib.parse import quote

    base, _expected = served
    text = "S_INTERSECTS(geometry, BBOX(106.8145, 39.67, 106.8175, 39.69)) AND floor_area_m2 IS NULL"
    url = f"{base}/collections/facilities/items?f=json&limit=1000&filter={quote(text)}"
    out = _run("ogrinfo", "-ro", "-al", "-q", url)
    assert out.returncode == 0, out.stderr
    assert (
        _gdal_names(out.stdout)
        == _cql2(base, "facilities", text)
        == [f"新华社区第{i}服务站" for i in (5, 6, 7)]
    )
