"""A renaming walked end to end, once from the command line and once from the web, on both backends.

A named street (three road segments, crossed by another street) with street signs and
house-number plates showing its name is renamed through 申报 → 审核 → 批准 → 公告. Then the
gazetteer and the national exchange carry the renaming's own approval and the former name, the
road segments and the plates' addresses follow, one work order is open per old-name sign, and
once those are done the sign audit has no old name, no unknown street and no new intersection
finding.
"""

from __future__ import annotations

import io
import json
from datetime import date

import pandas as pd
import pytest
from geoalchemy2.shape import from_shape
from PIL import Image
from shapely.geometry import LineString
from sqlalchemy import select

from gis.db import make_engine
from gis.db import make_session_factory
from gis.models import AuditLog
from gis.models import RoadSegment
from gis.roads import roads_gdf
from placenames import exchange
from placenames import gazetteer
from placenames import queries
from placenames import store as names_store
from placenames.models import Sign
from placenames.models import WorkOrder
from placenames.signs import queries as signs_queries
from placenames.signs import store as signs_store
from placenames.signs.geocode import geocode

OFFICER, MAINTAINER = "placename_officer", "sign_maintainer"
DISTRICT, TOWN = "150302000000", "150302001000"
OLD, NEW = "光明路", "明德路"
APPROVAL = ("乌海市人民政府", "乌政字〔2026〕9号", "2026-11-01")
ANNOUNCED = "2026-12-01"
LAT = 39.68
WATCHED = ("old_name", "unknown_street", "intersection_without_sign")


def _session(url: str):
    engine = make_engine(url)
    return engine, make_session_factory(engine)()


def _add_street(url: str) -> dict[str, object]:
    """光明路 (announced 2009, three segments) crossed by 海北大街, with signs and plates showing it."""
    engine, s = _session(url)
    try:
        pn = names_store.propose(s, actor="seed", name=OLD, category_code="253", division_code=TOWN,
                                 geom=LineString([(106.80, LAT), (106.83, LAT)]))  # fmt: skip
        names_store.review(s, pn.id, actor="seed")
        names_store.approve(s, pn.id, actor="seed", authority="乌海市人民政府", document="乌政字〔2009〕5号",
                            approval_date=date(2009, 5, 1))  # fmt: skip
        names_store.announce(s, pn.id, actor="seed", announcement_date=date(2009, 6, 1))
        cross = s.scalars(select(names_store.PlaceName).where(names_store.PlaceName.name == "海北大街")).one()
        lines = [(OLD, [(106.80 + i * 0.01, LAT), (106.81 + i * 0.01, LAT)]) for i in range(3)]
        lines += [
            ("海北大街", [(106.82, 39.675), (106.82, LAT)]),
            ("海北大街", [(106.82, LAT), (106.82, 39.685)]),
        ]
        for name, coords in lines:
            s.add(RoadSegment(name=name, road_class="street", division_code=DISTRICT, source="synthetic",
                              geom=from_shape(LineString(coords), srid=4490)))  # fmt: skip
        s.flush()
        old_signs = []
        street = [  # (place, text, lon, lat)
            (pn.id, OLD, 106.8001, LAT + 0.0001),
            (None, OLD, 106.8201, LAT + 0.0001),
            (pn.id, OLD, 106.8299, LAT + 0.0001),
            (cross.id, "海北大街", 106.8199, LAT - 0.0001),
            (cross.id, "海北大街", 106.8201, 39.6751),
            (cross.id, "海北大街", 106.8201, 39.6849),
        ]
        for i, (place, text, lon, lat) in enumerate(street):
            sign = signs_store.create_sign(s, actor="seed", values={
                "kind": "street", "code": f"HBW-1{i:03d}", "text_zh": text, "place_name_id": place,
                "text_romanized": "GUANGMING LU" if text == OLD else "HAIBEI DAJIE",
                "division_code": TOWN, "lon": lon, "lat": lat})  # fmt: skip
            if text == OLD:
                old_signs.append(sign.id)
        plates = [(pn.id, "1", 106.803, LAT + 0.0001), (pn.id, "2", 106.803, LAT - 0.0001),
                  (None, "3", 106.806, LAT + 0.0001), (None, "4", 106.806, LAT - 0.0001)]  # fmt: skip
        for i, (place, number, lon, lat) in enumerate(plates):
            plate = signs_store.create_sign(s, actor="seed", values={
                "kind": "house_number", "code": f"HBW-2{i:03d}", "text_zh": OLD, "text_romanized": "GUANGMING LU",
                "house_number": number, "place_name_id": place, "division_code": TOWN, "lon": lon, "lat": lat})  # fmt: skip
            old_signs.append(plate.id)
        s.commit()
        return {"place": pn.id, "old_signs": sorted(old_signs)}
    finally:
        s.close()
        engine.dispose()


@pytest.fixture
def walk(twins):
    made = [_add_street(url) for url in (twins.cli_url, twins.web_url)]
    assert made[0] == made[1]
    return twins, made[0]


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buf, format="PNG")
    return buf.getvalue()


def _watched(findings: list[dict]) -> dict[str, set]:
    """The watched audit findings by kind: signs, or node coordinates (street keys change with the name)."""
    out: dict[str, set] = {kind: set() for kind in WATCHED}
    for f in findings:
        if f["kind"] in WATCHED:
            out[f["kind"]].add(f["sign_id"] or (round(f["lon"], 5), round(f["lat"], 5)))
    return out


def _audit(url: str) -> dict[str, set]:
    engine, s = _session(url)
    try:
        gdf = signs_queries.run_audit(s, division_code=DISTRICT)
        return _watched(
            [
                {
                    "kind": r.kind,
                    "sign_id": None if pd.isna(r.sign_id) else int(r.sign_id),
                    "lon": r.geometry.x,
                    "lat": r.geometry.y,
                }
                for r in gdf.itertuples()
            ]  # fmt: skip
        )
    finally:
        s.close()
        engine.dispose()


def _assert_clean(before: dict[str, set], after: dict[str, set]) -> None:
    assert not before["old_name"] and not before["unknown_street"]
    assert not after["old_name"], after["old_name"]
    assert not after["unknown_street"], after["unknown_street"]
    assert after["intersection_without_sign"] <= before["intersection_without_sign"]


def _assert_followed(url: str, made: dict, orders: list[dict]) -> None:
    """After the announcement: the name, its approval, road segments, plate addresses, work orders."""
    engine, s = _session(url)
    try:
        pn = names_store.get(s, made["place"])
        assert (pn.name, pn.status) == (NEW, "announced")
        assert (pn.approving_authority, pn.approval_doc_no, str(pn.approval_date)) == APPROVAL
        assert str(pn.announcement_date) == ANNOUNCED
        assert len(roads_gdf(s, name=NEW)) == 3 and not len(roads_gdf(s, name=OLD))
        assert len(signs_store.resolve_street(s, NEW, district=DISTRICT)["segments"]) == 3
        plates = s.scalars(select(Sign).where(Sign.kind == "house_number", Sign.code.like("HBW-2%"))).all()
        assert {(p.text_zh, p.text_romanized, p.place_name_id) for p in plates} == {(NEW, "MINGDE LU", pn.id)}
        readdressed = s.scalars(
            select(AuditLog.row_key).where(AuditLog.table_name == "sign", AuditLog.reason.like("renaming #%"))
        ).all()
        assert sorted(int(k) for k in readdressed) == sorted(p.id for p in plates)
        assert sorted(o["sign_id"] for o in orders) == made["old_signs"]
        assert {o.reason for o in s.scalars(select(WorkOrder))} == {"renamed"}
        hit = geocode(s, f"{OLD}3号")
        assert hit["road"] == NEW and hit["exact"] and f"renamed to {NEW} on {ANNOUNCED}" in hit["note"]
        assert geocode(s, f"{NEW}4号")["note"] is None
    finally:
        s.close()
        engine.dispose()


def _assert_products(html: str, table: pd.DataFrame) -> None:
    """The gazetteer and the exchange carry the new name, the renaming's approval and the former name."""
    authority, document, approved = APPROVAL
    assert f"{authority} {document} {approved} 批准，{ANNOUNCED} 公告" in html
    assert f"【曾用名】{OLD}（至{ANNOUNCED}）" in html
    assert "乌政字〔2009〕5号" not in html
    row = table[table["标准名称"] == NEW].iloc[0]
    assert (row["批准机关"], row["批准文号"], row["批准时间"], row["公告时间"]) == (
        authority,
        document,
        approved,
        ANNOUNCED,
    )
    assert row["曾用名"] == OLD and row["使用时间"] == "现今地名"
    assert not (table["标准名称"] == OLD).any()


def test_walk_from_the_command_line(walk, tmp_path):
    twins, made = walk
    before = _audit(twins.cli_url)
    pid = str(made["place"])
    out = twins.cli("names", "renaming", "propose", pid, NEW, "--reason", "与乌达区道路重名", "--format", "json",
                    actor=OFFICER)  # fmt: skip
    rid = str(json.loads(out.output)["id"])
    twins.cli("names", "renaming", "review", rid, actor=OFFICER)
    authority, document, approved = APPROVAL
    twins.cli("names", "renaming", "approve", rid, "--authority", authority, "--document", document,
              "--date", approved, actor=OFFICER)  # fmt: skip
    shown = json.loads(twins.cli("names", "show", pid, "--format", "json", actor=OFFICER).output)
    assert shown["name"] == OLD
    out = twins.cli(
        "names", "renaming", "announce", rid, "--date", ANNOUNCED, "--format", "json", actor=OFFICER
    )
    orders = json.loads(out.output)["work_orders"]
    _assert_followed(twins.cli_url, made, orders)
    hit = json.loads(twins.cli("names", "geocode", f"{OLD}1号", "--format", "json", actor=OFFICER).output)
    assert hit["road"] == NEW and f"renamed to {NEW} on {ANNOUNCED}" in hit["note"]
    twins.cli("names", "gazetteer", "-o", str(tmp_path / "gz"), "--no-pdf", actor=OFFICER)
    html = (tmp_path / "gz" / f"{gazetteer.TITLE}.html").read_text(encoding="utf-8")
    twins.cli("names", "export", "-o", str(tmp_path / "names.csv"), actor=OFFICER)
    _assert_products(html, pd.read_csv(tmp_path / "names.csv", dtype=str, encoding="utf-8-sig"))
    middle = _audit(twins.cli_url)
    assert middle["old_name"] and middle["intersection_without_sign"] - before["intersection_without_sign"]
    photo = tmp_path / "done.png"
    photo.write_bytes(_png())
    for i, order in enumerate(orders):
        oid = str(order["id"])
        twins.cli("signs", "workorder", "assign", oid, "--to", "维修一班", actor=MAINTAINER)
        how = "replaced" if i % 2 else "repaired"
        twins.cli("signs", "workorder", "resolve", oid, "--action", how, actor=MAINTAINER)
        twins.cli("signs", "workorder", "close", oid, "--photo", str(photo), actor=MAINTAINER)
    out = twins.cli("signs", "audit", "--district", DISTRICT, "--format", "json", actor=OFFICER)
    findings = [
        {"kind": kind, "sign_id": f["sign_id"], "lon": f["lon"], "lat": f["lat"]}
        for kind, items in json.loads(out.output)["findings"].items()
        for f in items
    ]
    _assert_clean(before, _watched(findings))
    _assert_done(twins.cli_url)


def test_walk_from_the_web(walk, tmp_path):
    twins, made = walk
    officer, maintainer = twins.web(OFFICER), twins.web(MAINTAINER)
    before = _api_audit(officer)
    assert before == _audit(twins.web_url)
    pid = made["place"]
    resp = officer.post(f"/names/{pid}/renamings", data={"new_name": NEW, "reason": "与乌达区道路重名"})
    assert resp.status_code == 302
    page = officer.get(f"/names/{pid}").get_data(as_text=True)
    assert 'id="renaming-review-form"' in page
    rid = _renaming_id(twins.web_url, pid)
    assert officer.post(f"/names/renamings/{rid}/review", data={"version": "1"}).status_code == 302
    authority, document, approved = APPROVAL
    form = {"version": "2", "authority": authority, "document": document, "approval_date": approved}
    assert officer.post(f"/names/renamings/{rid}/approve", data=form).status_code == 302
    page = officer.get(f"/names/{pid}").get_data(as_text=True)
    assert 'id="renaming-announce-form"' in page and f"<h1>{OLD}" in page
    resp = officer.post(
        f"/names/renamings/{rid}/announce", data={"version": "3", "announcement_date": ANNOUNCED}
    )
    assert resp.status_code == 302 and f"/signs/worklist/{pid}" in resp.headers["Location"]
    worklist = officer.get(f"/signs/worklist/{pid}").get_data(as_text=True)
    assert all(f"HBW-{c}" in worklist for c in ("1000", "1001", "1002", "2000", "2003"))
    page = officer.get(f"/names/{pid}").get_data(as_text=True)
    assert f"<h1>{NEW}" in page and document in page and OLD in page
    orders = _orders(twins.web_url)
    _assert_followed(twins.web_url, made, orders)
    engine, s = _session(twins.web_url)
    try:
        html = gazetteer.render_html(queries.names_gdf(s), queries.former_names_frame(s))
        exchange.export_names(s, tmp_path / "names.csv")
    finally:
        s.close()
        engine.dispose()
    _assert_products(html, pd.read_csv(tmp_path / "names.csv", dtype=str, encoding="utf-8-sig"))
    for i, order in enumerate(orders):
        oid = order["id"]
        steps = [
            ("assign", {"assignee": "维修一班"}),
            ("resolve", {"how": "replaced" if i % 2 else "repaired"}),
            ("close", {"photo": (io.BytesIO(_png()), "done.png")}),
        ]
        for version, (step, data) in enumerate(steps, start=1):
            resp = maintainer.post(f"/signs/orders/{oid}/{step}", data={"version": str(version), **data},
                                   content_type="multipart/form-data")  # fmt: skip
            assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    _assert_clean(before, _api_audit(officer))
    _assert_done(twins.web_url)


def _api_audit(client) -> dict[str, set]:
    resp = client.get(f"/api/signs/audit?division={DISTRICT}")
    assert resp.status_code == 200
    return _watched(
        [
            {
                "kind": f["properties"]["kind"],
                "sign_id": f["properties"]["sign_id"],
                "lon": f["geometry"]["coordinates"][0],
                "lat": f["geometry"]["coordinates"][1],
            }
            for f in resp.get_json()["features"]
        ]  # fmt: skip
    )


def _renaming_id(url: str, place_id: int) -> int:
    from placenames.renaming import open_renaming

    engine, s = _session(url)
    try:
        return open_renaming(s, place_id).id
    finally:
        s.close()
        engine.dispose()


def _orders(url: str) -> list[dict]:
    engine, s = _session(url)
    try:
        return [
            {"id": o.id, "sign_id": o.sign_id} for o in s.scalars(select(WorkOrder).order_by(WorkOrder.id))
        ]
    finally:
        s.close()
        engine.dispose()


def _assert_done(url: str) -> None:
    """Every renamed order closed and every sign of the street showing the new name."""
    engine, s = _session(url)
    try:
        assert {o.status for o in s.scalars(select(WorkOrder))} == {"closed"}
        ours = Sign.code.like("HBW-1%") | Sign.code.like("HBW-2%")
        faces = {(x.text_zh, x.text_romanized) for x in s.scalars(select(Sign).where(ours))}
        assert faces - {("海北大街", "HAIBEI DAJIE")} == {(NEW, "MINGDE LU")}
    finally:
        s.close()
        engine.dispose()
