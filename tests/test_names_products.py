"""Products on both backends: exchange export/import, print maps, gazetteer; and the names CLI."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest
from click.testing import CliRunner
from shapely.geometry import LineString
from shapely.geometry import MultiPolygon
from shapely.geometry import Point
from shapely.geometry import box
from sqlalchemy import select

from boundaries.models import Division
from cli.main import main
from gis.db import make_engine
from gis.db import make_session_factory
from placenames import exchange
from placenames import gazetteer
from placenames import mapping
from placenames import store
from placenames.models import FormerName
from placenames.models import PlaceName

HBW = "150302000000"
TOWN = "150302001000"


def _wkb(geom):
    from geoalchemy2.shape import from_shape

    return from_shape(geom, srid=4490)


@pytest.fixture
def registry(session):
    city = box(106.7, 39.55, 106.95, 39.85)
    session.add_all(
        [
            Division(code="150300000000", name="乌海市", level="city", geom=_wkb(MultiPolygon([city]))),
            Division(
                code=HBW,
                name="海勃湾区",
                level="district",
                parent_code="150300000000",
                geom=_wkb(MultiPolygon([city])),
                in_wuhai=True,
            ),  # fmt: skip
            Division(
                code=TOWN,
                name="凤凰岭街道",
                level="town",
                parent_code=HBW,
                geom=_wkb(MultiPolygon([box(106.8, 39.6, 106.9, 39.7)])),
            ),  # fmt: skip
        ]
    )
    session.flush()
    made = {}
    for name, cat, div, geom in [
        ("海勃湾区", "213", HBW, box(106.7, 39.55, 106.95, 39.85)),
        ("人民路", "253", TOWN, LineString([(106.80, 39.67), (106.85, 39.67)])),
        ("甘德尔山", "131", HBW, Point(106.90, 39.75)),
        ("幸福小区", "241", TOWN, Point(106.82, 39.66)),
        ("黄河", "121", HBW, LineString([(106.76, 39.56), (106.78, 39.84)])),
    ]:
        pn = store.propose(session, actor="t", name=name, category_code=cat, division_code=div, geom=geom,
                           meaning=f"{name}的含义")  # fmt: skip
        store.review(session, pn.id, actor="t")
        store.approve(session, pn.id, actor="t", authority="乌海市人民政府", document="乌政字〔2020〕1号",
                      approval_date=date(2020, 1, 1), justification="ok")  # fmt: skip
        store.announce(session, pn.id, actor="t", announcement_date=date(2020, 2, 1))
        made[name] = pn
    return session, made


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".gpkg"])
def test_exchange_round_trip(registry, tmp_path, suffix):
    session, made = registry
    path = tmp_path / f"names{suffix}"
    assert exchange.export_names(session, path)["rows"] == 5
    report = exchange.import_names(session, path, actor="t")
    assert (report["new"], report["changed"], report["retired"], report["unchanged"]) == ([], [], [], 5)


def test_exchange_import_reports_then_applies(registry, tmp_path):
    session, made = registry
    path = tmp_path / "names.csv"
    exchange.export_names(session, path)
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    row = table.index[table["标准名称"] == "幸福小区"][0]
    table.loc[row, ["标准名称", "罗马字母拼写"]] = ["和谐小区", ""]
    table.loc[table["标准名称"] == "甘德尔山", "东经"] = "106.91"
    table.loc[table["标准名称"] == "黄河", "使用时间"] = "历史地名"
    extra = {"标准名称": "新建路", "类别代码": "253", "行政区划代码": TOWN, "东经": "106.81", "北纬": "39.66",
             "批准机关": "乌海市人民政府", "批准文号": "乌政字〔2025〕1号", "批准时间": "2025-01-02",
             "公告时间": "2025-02-01"}  # fmt: skip
    table = pd.concat([table, pd.DataFrame([extra])], ignore_index=True)
    table.to_csv(path, index=False, encoding="utf-8-sig")
    report = exchange.import_names(session, path, actor="t")
    assert [r["name"] for r in report["new"]] == ["新建路"]
    assert {r["name"]: r["fields"] for r in report["changed"]} == {
        "幸福小区": ["name"],
        "甘德尔山": ["point"],
    }
    assert [r["name"] for r in report["retired"]] == ["黄河"]
    assert report["applied"] is False
    assert session.scalar(select(PlaceName.status).where(PlaceName.name == "黄河")) == "announced"
    exchange.import_names(session, path, actor="t", confirm=True)
    assert made["幸福小区"].name == "和谐小区"
    assert session.scalars(select(FormerName.name)).all() == ["幸福小区"]
    assert made["黄河"].status == "retired"
    new = session.scalars(select(PlaceName).where(PlaceName.name == "新建路")).one()
    assert (new.status, new.approval_doc_no) == ("announced", "乌政字〔2025〕1号")
    again = exchange.import_names(session, path, actor="t")
    assert (again["new"], again["changed"], again["retired"]) == ([], [], [])


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("东经", "39.66", "outside Wuhai"),
        ("类别代码", "999", "类别代码"),
        ("标准名称", "<script>x</script>路", "markup"),
        ("行政区划代码", "1503", "12 digits"),
        ("地名含义", "坏\x00数据", "control"),
    ],
)
def test_exchange_rejects_bad_rows(registry, tmp_path, column, value, message):
    session, _ = registry
    path = tmp_path / "names.csv"
    exchange.export_names(session, path)
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    table.loc[2, column] = value
    table.to_csv(path, index=False, encoding="utf-8-sig")
    with pytest.raises(ValueError, match=message) as err:
        exchange.import_names(session, path, actor="t", confirm=True)
    assert "row 4" in str(err.value)


def test_gazetteer_html(registry, tmp_path):
    session, made = registry
    store.rename(session, made["幸福小区"].id, actor="t", new_name="和谐小区", reason="x", justification="x")
    result = gazetteer.write_gazetteer(session, tmp_path, pdf=False)
    html = (tmp_path / "乌海市地名志.html").read_text(encoding="utf-8")
    assert result["entries"] == 5 and result["maps"] == 1
    assert "Gande&#39;er Shan" in html and "【曾用名】幸福小区" in html and "海勃湾区地名概览图" in html
    assert (tmp_path / "overview_150302.png").stat().st_size > 1000


def test_gazetteer_escapes_markup():
    import geopandas as gpd

    names = gpd.GeoDataFrame(
        {
            "id": [1],
            "name": ["<b>x</b>"],
            "romanized": [None],
            "category_code": ["253"],
            "division_code": [TOWN],
            "status": ["announced"],
            "meaning": ["<script>alert(1)</script>"],
            "history": [None],
            "location_desc": [None],
            "aliases": [[]],
            "mongolian": [None],
            "approving_authority": [None],
            "approval_doc_no": [None],
            "approval_date": [None],
            "announcement_date": [None],
            "source": ["manual"],
        },  # fmt: skip
        geometry=[Point(106.8, 39.6)],
        crs=4490,
    )
    html = gazetteer.render_html(names, pd.DataFrame(columns=["place_name_id", "name", "valid_to"]))
    assert "<script>alert" not in html and "&lt;script&gt;" in html


@pytest.mark.parametrize(("kind", "suffix"), [("names", ".png"), ("divisions", ".pdf")])
def test_maps(registry, tmp_path, kind, suffix):
    session, _ = registry
    out = mapping.write_map(session, tmp_path / f"map{suffix}", kind=kind, dpi=100)
    data = (tmp_path / f"map{suffix}").read_bytes()
    assert data[:4] == (b"\x89PNG" if suffix == ".png" else b"%PDF")
    assert out["features"] > 0
    if suffix == ".pdf":
        assert b"NotoSansCJK" in data.replace(b"-", b"")


def test_map_rejects_bad_arguments(registry, tmp_path):
    with pytest.raises(ValueError):
        mapping.write_map(registry[0], tmp_path / "map.svg")
    with pytest.raises(ValueError):
        mapping.write_map(registry[0], tmp_path / "map.png", kind="roads")


def _cli(url: str, actor: str = "officer"):
    """Run ``wuhai-gis names ...`` through the root group, which answers errors."""
    runner = CliRunner()

    def run(*args):
        return runner.invoke(main, ["--database-url", url, "--actor", actor, "names", *args])

    return run


def test_cli_procedure(fresh_db_url):
    run = _cli(fresh_db_url)
    assert run("romanize", "大川淀一巷").output == "Dachuandian 1 Xiang\n"
    assert run("romanize", "王村", "--category", "242", "--caps").output == "WANGCUN\n"
    out = run("propose", "人民路", "--category", "253", "--wkt", "LINESTRING(106.80 39.67, 106.82 39.67)",
              "--format", "json")  # fmt: skip
    assert out.exit_code == 0, out.output
    pid = json.loads(out.output)["id"]
    assert run("review", str(pid)).exit_code == 0
    assert run("approve", str(pid), "--authority", "乌海市人民政府", "--document", "D1").exit_code == 0
    assert run("announce", str(pid), "--date", "2024-01-05").exit_code == 0
    stale = run("rename", str(pid), "人民大街", "--reason", "x", "--expected-version", "1")
    assert stale.exit_code == 4 and "changed it meanwhile" in stale.output
    assert run("rename", str(pid), "人民大街", "--reason", "拓宽").exit_code == 0
    history = json.loads(run("history", str(pid), "--format", "json").output)
    assert [h["action"] for h in history] == ["propose", "review", "approve", "announce", "rename"]
    hits = json.loads(run("search", "人民路", "--format", "json").output)
    assert hits[0]["name"] == "人民大街" and hits[0]["match"] == "former_exact"
    dup = run("propose", "人民大街", "--category", "253", "--format", "json")
    dup_id = json.loads(dup.output)["id"]
    run("review", str(dup_id))
    blocked = run("approve", str(dup_id), "--authority", "a", "--document", "d")
    assert blocked.exit_code == 1 and "cannot approve: 人民大街 already exists" in blocked.output
    problem = json.loads(
        run("approve", str(dup_id), "--authority", "a", "--document", "d", "--format", "json").output
    )
    assert problem["error"]["kind"] == "invalid" and problem["error"]["details"][0]["rule"] == "duplicate"
    engine = make_engine(fresh_db_url)
    with make_session_factory(engine)() as session:
        assert session.get(PlaceName, pid).author == "officer"
    engine.dispose()


def test_gazetteer_pdf_embeds_cjk_font(tmp_path):
    import geopandas as gpd
    from weasyprint import HTML

    names = gpd.GeoDataFrame(
        {
            "id": [1],
            "name": ["甘德尔山"],
            "romanized": ["Gande'er Shan"],
            "category_code": ["131"],
            "division_code": [TOWN],
            "status": ["announced"],
            "meaning": ["蒙古语地名"],
            "history": [None],
            "location_desc": ["海勃湾区东部"],
            "aliases": [["岗德尔山"]],
            "mongolian": [None],
            "approving_authority": ["乌海市人民政府"],
            "approval_doc_no": ["乌政字〔2020〕1号"],
            "approval_date": [date(2020, 1, 1)],
            "announcement_date": [None],
            "source": ["manual"],
        },  # fmt: skip
        geometry=[Point(106.9, 39.75)],
        crs=4490,
    )
    html = gazetteer.render_html(names, pd.DataFrame(columns=["place_name_id", "name", "valid_to"]))
    pdf = HTML(string=html, base_url=str(tmp_path)).write_pdf(uncompressed_pdf=True)
    assert pdf[:4] == b"%PDF" and b"Noto" in pdf and b"CJK" in pdf


def test_cli_edit(fresh_db_url):
    run = _cli(fresh_db_url)
    made = run("propose", "团结路", "--category", "253", "--format", "json")
    pid = str(json.loads(made.output)["id"])
    out = run("edit", pid, "--meaning", "寓意团结", "--alias", "团结街", "--format", "json")
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["meaning"] == "寓意团结"
    bad = run("edit", pid, "--romanized", "Beijing Lu", "--romanized-reason", "x")
    assert bad.exit_code == 1 and "does not spell" in bad.output
    history = json.loads(run("history", pid, "--format", "json").output)
    assert history[-1]["action"] == "edit" and history[-1]["changes"]["meaning"] == [None, "寓意团结"]


def test_gazetteer_and_maps_skip_rows_without_geometry(registry, tmp_path):
    """Divisions and names without a geometry (the statistics list a town before its polygon
    is drawn) stay in the gazetteer's text and are left off its maps."""
    session, _ = registry
    session.add(Division(code="150302002000", name="无图街道", level="town", parent_code=HBW, geom=None))
    pn = store.propose(session, actor="t", name="无图巷", category_code="253", division_code=TOWN, geom=None)
    store.review(session, pn.id, actor="t")
    store.approve(session, pn.id, actor="t", authority="乌海市人民政府", document="乌政字〔2020〕2号",
                  approval_date=date(2020, 1, 1), justification="ok")  # fmt: skip
    store.announce(session, pn.id, actor="t", announcement_date=date(2020, 2, 1))
    session.flush()
    result = gazetteer.write_gazetteer(session, tmp_path, pdf=False)
    assert result["entries"] == 6 and result["maps"] == 1
    assert "无图巷" in (tmp_path / "乌海市地名志.html").read_text(encoding="utf-8")
    for kind in ("names", "divisions"):
        out = mapping.write_map(session, tmp_path / f"{kind}.png", kind=kind, dpi=72)
        assert out["features"] > 0 and (tmp_path / f"{kind}.png").stat().st_size > 1000


def test_exchange_rename_opens_the_sign_work_orders(registry, tmp_path):
    from placenames.models import WorkOrder
    from placenames.signs import store as signs_store

    session, made = registry
    values = {"kind": "other", "code": "XF-0001", "text_zh": "幸福小区", "place_name_id": made["幸福小区"].id,
              "division_code": TOWN, "lon": 106.82, "lat": 39.66}  # fmt: skip
    sign = signs_store.create_sign(session, actor="t", values=values)
    path = tmp_path / "names.csv"
    exchange.export_names(session, path)
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    table.loc[table["标准名称"] == "幸福小区", ["标准名称", "罗马字母拼写"]] = ["和谐小区", ""]
    table.to_csv(path, index=False, encoding="utf-8-sig")
    exchange.import_names(session, path, actor="t", confirm=True)
    orders = session.scalars(select(WorkOrder).where(WorkOrder.reason == "renamed")).all()
    assert [o.sign_id for o in orders] == [sign.id]
