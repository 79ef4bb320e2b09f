"""Officers', sign maintainers', inspection teams' and planners' pages through the Flask test client."""
# ruff: noqa: F811  (pytest fixtures imported from web_fixtures are redefined as arguments)

from __future__ import annotations

import io
from datetime import date

from sqlalchemy import select
from web_fixtures import app  # noqa: F401
from web_fixtures import client  # noqa: F401
from web_fixtures import login
from web_fixtures import web_db  # noqa: F401

from gis.models import AuditLog
from placenames.models import PlaceName
from placenames.models import WorkOrder
from webmap.db import get_session


def test_officer_renames_and_gets_the_sign_work_list(client, app):
    pid = app.config["SEED_IDS"]["人民路"]
    login(client, "placename_officer")
    page = client.get(f"/names/{pid}").get_data(as_text=True)
    assert "Renmin Lu" in page and 'name="version" value="4"' in page
    resp = client.post(f"/names/{pid}/rename", data={"version": "4", "new_name": "新民路", "reason": "道路改造后更名",
                                                    "document": "乌政字〔2025〕9号"})  # fmt: skip
    assert resp.status_code == 302 and f"/signs/worklist/{pid}" in resp.headers["Location"]
    worklist = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert worklist.count("HBW-000") == 3 and "新民路" in worklist
    with app.app_context():
        s = get_session()
        assert s.get(PlaceName, pid).name == "新民路"
        orders = s.scalars(select(WorkOrder).where(WorkOrder.reason == "renamed")).all()
        assert len(orders) == 3
        audit = s.scalars(
            select(AuditLog).where(AuditLog.table_name == "place_name", AuditLog.actor == "placename_officer")
        ).all()
        assert [a.action for a in audit] == ["update"]
    history = client.get(f"/names/{pid}").get_data(as_text=True)
    assert "人民路" in history and "道路改造后更名" in history  # former name and the reason in the history


def test_stale_version_is_a_conflict_not_an_overwrite(client, app):
    pid = app.config["SEED_IDS"]["海北大街"]
    login(client, "placename_officer")
    first = client.post(
        f"/names/{pid}/edit", data={"version": "4", "meaning": "海勃湾北部的大街", "reason": "补充含义"}
    )
    assert first.status_code == 302
    stale = client.post(f"/names/{pid}/edit", data={"version": "4", "meaning": "另一种说法", "reason": "x"})
    assert stale.status_code == 409
    assert "changed it meanwhile" in stale.get_data(as_text=True)
    with app.app_context():
        assert get_session().get(PlaceName, pid).meaning == "海勃湾北部的大街"


def test_propose_check_then_review_and_rule_findings(client, app):
    login(client, "placename_officer")
    check = client.post("/names/new", data={"action": "check", "name": "人民路", "category_code": "253",
                                            "division_code": "150302001000"})  # fmt: skip
    assert check.status_code == 200 and "duplicate" in check.get_data(as_text=True).lower()
    geometry = '{"type":"Point","coordinates":[106.84,39.69]}'
    made = client.post("/names/new", data={"action": "propose", "name": "朝阳街", "category_code": "253",
                                           "division_code": "150302001000", "geometry": geometry})  # fmt: skip
    assert made.status_code == 302
    pid = int(made.headers["Location"].rstrip("/").split("/")[-1])
    assert client.post(f"/names/{pid}/review", data={"version": "1"}).status_code == 302
    blocked = client.post(
        f"/names/{pid}/approve", data={"version": "2", "authority": "乌海市人民政府", "document": ""}
    )
    assert blocked.status_code == 422
    with app.app_context():
        pn = get_session().get(PlaceName, pid)
        assert (pn.status, pn.romanized) == ("under_review", "Chaoyang Jie")


def test_hostile_input_is_refused_and_escaped(client):
    login(client, "placename_officer")
    resp = client.post(
        "/names/new",
        data={"action": "propose", "name": "<script>alert(1)</script>路", "category_code": "253"},
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "<script>alert(1)" not in html


def test_sign_edit_and_conflict(client, app):
    sid = app.config["SEED_IDS"]["sign1"]
    login(client, "sign_maintainer")
    ok = client.post(
        f"/signs/{sid}", data={"version": "1", "condition": "worn", "text_zh": "人民路", "reason": "巡查"}
    )
    assert ok.status_code == 302
    stale = client.post(f"/signs/{sid}", data={"version": "1", "condition": "damaged", "text_zh": "人民路"})
    assert stale.status_code == 409
    assert client.get("/signs/?condition=worn").get_data(as_text=True).count("HBW-0001") == 1


def test_work_order_assign_resolve_close(client, app):
    from PIL import Image

    from placenames.signs import workorders

    with app.app_context():
        s = get_session()
        order = workorders.report(s, actor="sign_maintainer", reason="damaged", sign_id=app.config["SEED_IDS"]["sign2"],
                                  description="被车撞歪")  # fmt: skip
        s.commit()
        oid = order.id
    login(client, "sign_maintainer")
    assert (
        client.post(f"/signs/orders/{oid}/assign", data={"version": "1", "assignee": "王师傅"}).status_code
        == 302
    )
    buf = io.BytesIO()
    Image.new("RGB", (10, 10), "blue").save(buf, format="JPEG")
    photo = buf.getvalue()
    r = client.post(f"/signs/orders/{oid}/resolve", data={"version": "2", "how": "repaired", "photo": (io.BytesIO(photo), "a.jpg")},
                    content_type="multipart/form-data")  # fmt: skip
    assert r.status_code == 302
    stale = client.post(f"/signs/orders/{oid}/close", data={"version": "2", "photo": (io.BytesIO(photo), "b.jpg")},
                        content_type="multipart/form-data")  # fmt: skip
    assert stale.status_code == 409
    done = client.post(f"/signs/orders/{oid}/close", data={"version": "3", "photo": (io.BytesIO(photo), "b.jpg")},
                       content_type="multipart/form-data")  # fmt: skip
    assert done.status_code == 302
    with app.app_context():
        assert get_session().get(WorkOrder, oid).status == "closed"


def test_inspection_round_marker_form_gnss_and_report(client, app):
    from boundaries import inspections

    with app.app_context():
        s = get_session()
        rnd = inspections.create_round(s, actor="test", line_code="150302-150303", round_no=1, title="海勃湾—海南界线第1次联检",
                                       parties=["海勃湾区", "海南区"], tolerance_m=1.0)  # fmt: skip
        s.commit()
        rid = rnd.id
    login(client, "boundary_inspector")
    assert client.post(f"/boundaries/rounds/{rid}/start").status_code == 302
    form = client.post(
        f"/boundaries/rounds/{rid}/markers/HN001Q",
        data={"condition": "intact", "lon": "106.80003", "lat": "39.62"},
    )
    assert form.status_code == 302
    gpx = (b'<?xml version="1.0"?><gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1">'
           b'<wpt lat="39.62" lon="106.84"><name>HN002Q</name></wpt></gpx>')  # fmt: skip
    up = client.post(
        f"/boundaries/rounds/{rid}/gnss",
        data={"file": (io.BytesIO(gpx), "fix.gpx")},
        content_type="multipart/form-data",
    )
    assert up.status_code == 302
    page = client.get(f"/boundaries/rounds/{rid}").get_data(as_text=True)
    assert "HN001Q" in page and "2.57" in page  # 0.00003° of longitude ≈ 2.57 m, flagged
    folium_map = client.get(f"/boundaries/rounds/{rid}/map")
    assert folium_map.status_code == 200 and "unsafe-inline" in folium_map.headers["Content-Security-Policy"]
    body = folium_map.get_data(as_text=True)
    assert "/static/vendor/leaflet/leaflet.js" in body and "cdn.jsdelivr" not in body
    for party in ("海勃湾区", "海南区"):
        client.post(
            f"/boundaries/rounds/{rid}/signoff",
            data={"party": party, "signer": "张三", "on": date.today().isoformat()},
        )
    assert client.post(f"/boundaries/rounds/{rid}/complete", data={}).status_code == 302
    report = client.get(f"/boundaries/rounds/{rid}/report").get_data(as_text=True)
    assert "HN002Q" in report and "张三" in report
    pdf = client.get(f"/boundaries/rounds/{rid}/report?format=pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF") and len(pdf.data) > 50_000  # CJK font subset embedded


def test_planner_dashboard_choropleth_and_whatif(client):
    login(client, "planner")
    page = client.get("/planning/?year=2024").get_data(as_text=True)
    assert "乌海市" in page and "2025" in page
    choro = client.get("/planning/choropleth?year=2024&level=district&key=urban_elderly_coverage")
    body = choro.get_data(as_text=True)
    assert choro.status_code == 200 and "城市社区养老设施服务覆盖率 (%)" in body and "map-legend" in body
    assert (
        "海勃湾区" in body or "\\u6d77\\u52c3\\u6e7e\\u533a" in body
    )  # folium writes the GeoJSON with JSON escapes
    whatif = client.post(
        "/planning/whatif",
        data={"year": "2024", "kind": "home_care_station", "lon": "106.83", "lat": "39.67"},
    )
    assert whatif.status_code == 200
    csv = client.get("/planning/indicators.csv?year=2024&level=city")
    assert csv.status_code == 200 and csv.get_data(as_text=True).lstrip("\ufeff").startswith(
        "code,name,number"
    )


def test_officer_downloads_division_map(client):
    login(client, "placename_officer")
    with client.get("/names/products/map?kind=divisions") as resp:
        assert resp.status_code == 200 and resp.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert client.get("/names/products/map?kind=roads").status_code == 400


def test_admin_creates_account_and_sees_audit(client, app):
    login(client, "admin")
    r = client.post(
        "/admin/users", data={"username": "li", "password": "long enough pw", "roles": ["planner"]}
    )
    assert r.status_code == 302
    audit = client.get("/admin/audit?table_name=app_user").get_data(as_text=True)
    assert "li" in audit and "password_hash" not in audit
    token = client.post("/admin/users/1/token").get_data(as_text=True)
    assert 'id="api-token"' in token
