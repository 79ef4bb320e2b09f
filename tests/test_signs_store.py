"""Sign inventory, audit over the database, work orders and the ``signs`` commands (both backends)."""

from __future__ import annotations

import io
import json

import pytest
from click.testing import CliRunner
from geoalchemy2.shape import from_shape
from PIL import Image
from shapely.geometry import LineString
from shapely.geometry import MultiPolygon
from shapely.geometry import Polygon
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from boundaries.models import Division
from cli.main import main
from gis.crs import STORAGE_SRID
from gis.crs import transformer
from gis.db import make_engine
from gis.errors import InvalidInput
from gis.errors import StaleVersion
from gis.models import AuditLog
from gis.models import RoadSegment
from placenames import store as names_store
from placenames.models import PlaceName
from placenames.models import Sign
from placenames.models import WorkOrder
from placenames.signs import queries as signs_queries
from placenames.signs import store as signs_store
from placenames.signs import workorders
from placenames.signs.validation import SignValidationError

D = "150302000000"
TO_LONLAT = transformer(4545, STORAGE_SRID)


def _lonlat(x: float, y: float) -> tuple[float, float]:
    """Metres east/north of a point in Haibowan (EPSG:4545 offsets) as lon/lat."""
    bx, by = transformer(STORAGE_SRID, 4545).transform(106.82, 39.67)
    return TO_LONLAT.transform(bx + x, by + y)


def _line(*xy):
    return LineString([_lonlat(x, y) for x, y in xy])


def _png(size=(8, 8)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (20, 80, 160)).save(buf, format="PNG")
    return buf.getvalue()


def _arrange(session: Session) -> PlaceName:
    session.add_all(
        [
            RoadSegment(
                name="人民路",
                road_class="street",
                division_code=D,
                geom=from_shape(_line((0, 0), (200, 0)), srid=STORAGE_SRID),
            ),
            RoadSegment(
                name="人民路",
                road_class="street",
                division_code=D,
                geom=from_shape(_line((200, 0), (400, 0)), srid=STORAGE_SRID),
            ),
            RoadSegment(
                name="海北大街",
                road_class="street",
                division_code=D,
                geom=from_shape(_line((200, 0), (200, 300)), srid=STORAGE_SRID),
            ),
        ]
    )
    place = PlaceName(
        name="人民路", category_code="253", romanized="Renmin Lu", division_code=None, status="approved"
    )
    session.add(place)
    session.flush()
    return place


def _sign(session, place, number, x, y, **extra):
    lon, lat = _lonlat(x, y)
    values = {
        "kind": "house_number",
        "place_name_id": place.id,
        "text_zh": "人民路",
        "text_romanized": "RENMIN LU",
        "house_number": number,
        "division_code": "150302001001",
        "lon": lon,
        "lat": lat,
        **extra,
    }
    return signs_store.create_sign(session, actor="officer", values=values)


def test_create_sign_records_history(session):
    place = _arrange(session)
    sign = _sign(session, place, "1", 10, 12)
    assert sign.id and sign.version == 1
    entry = session.scalars(
        select(AuditLog).where(AuditLog.table_name == "sign", AuditLog.row_key == str(sign.id))
    ).one()
    assert entry.actor == "officer" and entry.action == "create"
    assert entry.after["house_number"] == "1"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"house_number": "一号"}, "not a number pattern"),
        ({"text_zh": "人民路<img src=x>"}, "markup"),
        ({"text_zh": "人民\x1b路"}, "control character"),
        ({"lon": 39.67, "lat": 106.82}, "swapped"),
    ],
)
def test_bad_signs_refused_nothing_written(session, extra, message):
    place = _arrange(session)
    before = session.scalar(select(func.count()).select_from(Sign))
    with pytest.raises(SignValidationError, match=message):
        _sign(session, place, "1", 10, 12, **extra)
    assert session.scalar(select(func.count()).select_from(Sign)) == before


def test_sign_far_from_its_street_refused(session):
    place = _arrange(session)
    with pytest.raises(SignValidationError, match=r"stands 5\d\d m from 人民路"):
        _sign(session, place, "1", 100, 530)
    with pytest.raises(SignValidationError, match="more than 2 km"):
        _sign(session, place, "1", 100, 5000)
    assert _sign(session, place, "1", 100, 530, kind="building").kind == "building"  # not a street sign


def test_update_sign_refuses_stale_version(session):
    place = _arrange(session)
    sign = _sign(session, place, "1", 10, 12)
    signs_store.update_sign(
        session, sign.id, actor="officer", changes={"condition": "worn"}, expected_version=1
    )
    assert sign.version == 2
    with pytest.raises(StaleVersion, match="version 2, not 1"):
        signs_store.update_sign(
            session, sign.id, actor="other", changes={"condition": "good"}, expected_version=1
        )
    with pytest.raises(SignValidationError, match="not a number pattern"):
        signs_store.update_sign(
            session, sign.id, actor="officer", changes={"house_number": "x"}, expected_version=2
        )
    session.refresh(sign)
    assert sign.house_number == "1" and sign.condition == "worn"


def test_inspection_and_map_window(session):
    place = _arrange(session)
    sign = _sign(session, place, "1", 10, 12)
    far = _sign(session, place, "3", 390, 12)
    signs_store.inspect_sign(session, sign.id, actor="inspector", condition="worn", note="褪色")
    assert sign.condition == "worn" and sign.last_inspected is not None
    entry = session.scalars(
        select(AuditLog).where(AuditLog.row_key == str(sign.id), AuditLog.action == "update")
    ).one()
    assert entry.reason == "inspection: 褪色"
    lon0, lat0 = _lonlat(0, 0)
    lon1, lat1 = _lonlat(100, 50)
    window = signs_queries.signs_gdf(session, bbox=(lon0, lat0, lon1, lat1))
    assert window["id"].tolist() == [sign.id]
    assert far.id in signs_queries.signs_gdf(session)["id"].tolist()


def test_audit_over_database(session):
    place = _arrange(session)
    for number, x, y in (("1", 10, 12), ("3", 50, 12), ("3", 70, 12), ("2", 30, 12), ("9", 120, 12)):
        _sign(session, place, number, x, y)
    _sign(session, place, "5", 150, 12, text_romanized="RENMINLU", text_zh="人民街")
    findings = signs_queries.run_audit(session, division_code=D)
    kinds = set(findings["kind"])
    assert {
        "duplicate_number",
        "wrong_side",
        "number_gap",
        "wrong_text",
        "intersection_without_sign",
        "street_end_without_sign",
        "street_without_plates",
    } <= kinds
    wrong = findings[findings["kind"] == "wrong_text"].iloc[0]
    assert wrong["difference"] == "人民[路→街]"
    stats = signs_queries.statistics(session).set_index("code")
    assert stats.loc[D, "kind_house_number"] == 6


def test_audit_of_a_town_keeps_its_own_findings(session):
    place = _arrange(session)
    town = Polygon([_lonlat(-50, -50), _lonlat(150, -50), _lonlat(150, 100), _lonlat(-50, 100)])
    session.add_all(
        [
            Division(code=D, name="海勃湾区", level="district"),
            Division(
                code="150302001000",
                name="甲街道",
                level="town",
                parent_code=D,
                geom=from_shape(MultiPolygon([town]), srid=STORAGE_SRID),
            ),
        ]
    )
    inside = _sign(session, place, "1", 10, 12, text_zh="人民街")
    outside = _sign(session, place, "3", 300, 12, text_zh="人民街", division_code="150302002001")
    whole = signs_queries.run_audit(session, division_code=D)
    assert {inside.id, outside.id} <= set(whole.loc[whole["kind"] == "wrong_text", "sign_id"])
    part = signs_queries.run_audit(session, division_code="150302001000")
    assert part.loc[part["kind"] == "wrong_text", "sign_id"].tolist() == [inside.id]
    nodes = part[part["sign_id"].isna()]
    assert len(nodes) and nodes.geometry.within(town).all()


def test_renaming_turns_old_signs_into_a_work_list(session):
    place = _arrange(session)
    shown = [_sign(session, place, n, x, 12) for n, x in (("1", 10), ("3", 40))]
    names_store.rename(
        session, place.id, actor="names", new_name="团结路", reason="更名", justification="test"
    )
    findings = signs_queries.run_audit(session)
    old = findings[findings["kind"] == "old_name"]
    assert sorted(old["sign_id"]) == [s.id for s in shown]
    orders = workorders.work_list_for_renaming(
        session, place_name_id=place.id, actor="names", old_names=["人民路"]
    )
    assert [o.sign_id for o in orders] == [s.id for s in shown]
    assert all(o.reason == "renamed" and o.status == "open" for o in orders)
    assert workorders.work_list_for_renaming(session, place_name_id=place.id, actor="names") == []


def test_work_order_life_cycle(session, tmp_path):
    place = _arrange(session)
    sign = _sign(session, place, "1", 10, 12, condition="damaged")
    order = workorders.report(
        session,
        actor="officer",
        reason="damaged",
        sign_id=sign.id,
        description="裂了",
        photos=[_png()],
        instance_dir=tmp_path,
    )
    assert order.status == "open" and order.photos[0].startswith("photos/")
    assert (tmp_path / order.photos[0]).exists()
    with pytest.raises(InvalidInput, match="is open: cannot close"):
        workorders.close(session, order.id, actor="m", photo=_png(), instance_dir=tmp_path)
    workorders.assign(session, order.id, actor="officer", assignee="maintainer1")
    with pytest.raises(StaleVersion):
        workorders.resolve(session, order.id, actor="m", action="replaced", expected_version=1)
    workorders.resolve(session, order.id, actor="maintainer1", action="replaced", note="换新牌")
    assert sign.condition == "good" and sign.install_date is not None
    with pytest.raises(ValueError, match="needs a photo"):
        workorders.close(session, order.id, actor="officer", photo=None)
    workorders.close(session, order.id, actor="officer", photo=_png((9, 9)), instance_dir=tmp_path)
    assert order.status == "closed"
    assert len(sign.photos) == 1
    history = workorders.sign_history(session, sign.id)
    assert [h["action"] for h in history if h["table"] == "work_order"] == [
        "create",
        "update",
        "update",
        "update",
    ]
    assert [e["action"] for e in order.history] == ["reported", "assigned", "replaced", "closed"]


def test_public_reports_validated(session, tmp_path, monkeypatch):
    _arrange(session)
    lon, lat = _lonlat(10, 12)
    with pytest.raises(ValueError, match="a public report needs photo"):
        workorders.report(
            session, actor="public", reason="missing", lon=lon, lat=lat, description="路牌不见了", public=True
        )
    with pytest.raises(ValueError, match="photo 1: the photo is not a usable image"):
        workorders.report(
            session,
            actor="public",
            reason="missing",
            lon=lon,
            lat=lat,
            description="x",
            photos=[b"GIF89a not really"],
            public=True,
        )
    monkeypatch.setenv("UPLOAD_MAX_BYTES", "50")
    with pytest.raises(ValueError, match="over the limit of 50 bytes"):
        workorders.report(
            session,
            actor="public",
            reason="missing",
            lon=lon,
            lat=lat,
            description="x",
            photos=[_png()],
            public=True,
        )
    monkeypatch.delenv("UPLOAD_MAX_BYTES")
    with pytest.raises(ValueError, match="markup"):
        workorders.report(
            session,
            actor="public",
            reason="missing",
            lon=lon,
            lat=lat,
            description="<script>alert(1)</script>",
            photos=[_png()],
            public=True,
        )
    assert session.scalar(select(func.count()).select_from(WorkOrder)) == 0
    assert not (tmp_path / "photos").exists()
    order = workorders.report(
        session,
        actor="public",
        reason="missing",
        lon=lon,
        lat=lat,
        description="路牌不见了",
        photos=[_png()],
        public=True,
        instance_dir=tmp_path,
    )
    assert order.sign_id is None and order.source == "public"


def test_signs_commands(fresh_db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("WUHAI_INSTANCE", str(tmp_path))
    engine = make_engine(fresh_db_url)
    with Session(engine) as session:
        place = _arrange(session)
        place_id = place.id
        for number, x in (("1", 10), ("3", 60), ("7", 120)):
            _sign(session, place, number, x, 12)
        session.commit()
    engine.dispose()
    runner = CliRunner()
    root = ["--database-url", fresh_db_url, "--actor", "tester", "signs"]
    audit = runner.invoke(main, [*root, "audit", "--district", D, "--format", "json"])
    assert audit.exit_code == 0, audit.output
    result = json.loads(audit.output)
    assert result["counts"]["street_without_plates"] == 1
    assert result["findings"]["number_gap"][0]["detail"] == "missing 5"
    lon, lat = _lonlat(90, 12)
    (tmp_path / "e.csv").write_text(f"name,lon,lat\nA,{lon},{lat}\n", encoding="utf-8")
    args = [
        "number",
        "--street",
        "人民路",
        "--entrances",
        str(tmp_path / "e.csv"),
        "--crs",
        "EPSG:4490",
        "--format",
        "json",
    ]
    dry = json.loads(runner.invoke(main, [*root, *args]).output)
    by_id = json.loads(runner.invoke(main, [*root, "number", "--street", str(place_id), *args[3:]]).output)
    assert by_id["proposal"] == dry["proposal"] and by_id["street"] == "人民路"
    assert [p["house_number"] for p in dry["proposal"]] == ["5"] and dry["written"] == []
    done = runner.invoke(main, [*root, *args, "--commit"])
    assert done.exit_code == 0, done.output
    assert len(json.loads(done.output)["written"]) == 1
    stats = json.loads(runner.invoke(main, [*root, "stats", "--format", "json"]).output)
    assert stats["total"] == 4
    far = runner.invoke(main, [*root, "number", "--street", "没有路"])
    assert far.exit_code == 3 and "no road segments named 没有路" in far.output


def test_concurrent_edit_is_a_conflict(fresh_db_url):
    engine = make_engine(fresh_db_url)
    try:
        with Session(engine) as setup:
            sign_id = _sign(setup, _arrange(setup), "1", 10, 12).id
            setup.commit()
        with Session(engine) as first, Session(engine) as second:
            stale = signs_store.get_sign(first, sign_id)  # loaded at version 1, held by the caller
            assert stale.version == 1
            signs_store.update_sign(
                second, sign_id, actor="b", changes={"condition": "worn"}, expected_version=1
            )
            second.commit()
            with pytest.raises(StaleVersion, match="changed or removed by someone else"):
                signs_store.update_sign(
                    first, sign_id, actor="a", changes={"condition": "damaged"}, expected_version=None
                )
            first.rollback()
        with Session(engine) as check:
            assert signs_store.get_sign(check, sign_id).condition == "worn"
    finally:
        engine.dispose()


def test_workorder_and_show_commands(fresh_db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("WUHAI_INSTANCE", str(tmp_path))
    engine = make_engine(fresh_db_url)
    with Session(engine) as session:
        sign_id = _sign(session, _arrange(session), "1", 10, 12, text_mongolian="\u182a\u1820").id
        session.commit()
    engine.dispose()
    photo = tmp_path / "p.png"
    photo.write_bytes(_png())
    (tmp_path / "bad.png").write_bytes(b"not an image")
    runner = CliRunner()
    root = ["--database-url", fresh_db_url, "--actor", "officer", "signs"]

    def run(*args):
        result = runner.invoke(main, [*root, *args, "--format", "json"])
        return result.exit_code, result.output

    code, out = run(
        "workorder",
        "report",
        "--reason",
        "damaged",
        "--sign",
        str(sign_id),
        "--photo",
        str(tmp_path / "bad.png"),
    )
    assert code != 0 and "not a usable image" in out
    code, out = run("workorder", "report", "--reason", "damaged", "--sign", str(sign_id), "--text", "歪了")
    order_id = json.loads(out)["id"]
    assert run("workorder", "assign", str(order_id), "--to", "m1")[0] == 0
    assert run("workorder", "resolve", str(order_id), "--action", "repaired")[0] == 0
    code, out = run("workorder", "close", str(order_id), "--photo", str(photo))
    assert code == 0 and json.loads(out)["status"] == "closed"
    listed = json.loads(run("workorder", "list", "--status", "closed")[1])
    assert [o["id"] for o in listed] == [order_id]
    shown = json.loads(run("show", str(sign_id))[1])
    assert shown["condition"] == "good" and len(shown["work_orders"]) == 1 and len(shown["history"]) >= 5
    svg = runner.invoke(main, [*root, "show", str(sign_id), "--svg"]).output
    assert svg.startswith("<svg") and "RENMIN LU" in svg and "1号" in svg
