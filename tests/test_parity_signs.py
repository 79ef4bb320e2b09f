"""Signs and work orders: the same acts through the command line and the web give the same rows and history."""

from __future__ import annotations

import io
import json
import re

import pytest
from PIL import Image
from sqlalchemy import select

from gis.db import make_engine
from gis.db import make_session_factory
from placenames import store as names_store
from placenames.models import Sign
from placenames.signs import workorders

SIGN_AND_ORDERS = ["sign", "work_order"]


def _png(colour: str = "blue") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture
def photo(tmp_path, monkeypatch):
    """A photo on disk for the command line; the command line stores photos under WUHAI_INSTANCE."""
    monkeypatch.setenv("WUHAI_INSTANCE", str(tmp_path / "cli-instance"))
    path = tmp_path / "p.png"
    path.write_bytes(_png())
    return path


def _upload(path) -> tuple[io.BytesIO, str]:
    return io.BytesIO(path.read_bytes()), "p.png"


def test_edit_sign_fields_and_position(twins):
    sid = twins.ids["sign1"]
    twins.cli(
        "signs",
        "edit",
        str(sid),
        "--condition",
        "worn",
        "--material",
        "铝板",
        "--reason",
        "巡查",
        "--lon",
        "106.8205",
        "--lat",
        "39.6703",
        "--version",
        "1",
        actor="sign_maintainer",
    )
    web = twins.web("sign_maintainer")
    resp = web.post(
        f"/signs/{sid}",
        data={
            "version": "1",
            "condition": "worn",
            "material": "铝板",
            "reason": "巡查",
            "lon": "106.8205",
            "lat": "39.6703",
        },
    )
    assert resp.status_code == 302
    rows = twins.assert_same(["sign"])
    edited = next(r for r in rows["sign"] if r["id"] == sid)
    assert edited["condition"] == "worn" and edited["version"] == 2 and "106.8205" in edited["geom"]
    assert rows["audit_log"][-1]["reason"] == "巡查"


def test_unchanged_position_does_not_move_the_sign(twins):
    sid = twins.ids["sign0"]
    twins.cli("signs", "edit", str(sid), "--text-zh", "人民路", "--version", "1", actor="placename_officer")
    web = twins.web("placename_officer")
    page = web.get(f"/signs/{sid}").get_data(as_text=True)
    lon = re.search(r'<input name="lon"[^>]* value="([^"]+)"', page).group(1)
    lat = re.search(r'<input name="lat"[^>]* value="([^"]+)"', page).group(1)
    resp = web.post(f"/signs/{sid}", data={"version": "1", "text_zh": "人民路", "lon": lon, "lat": lat})
    assert resp.status_code == 302
    twins.assert_same(["sign"])


def test_work_order_life_cycle(twins, photo):
    sid = twins.ids["sign2"]
    twins.cli(
        "signs",
        "workorder",
        "report",
        "--reason",
        "damaged",
        "--sign",
        str(sid),
        "--text",
        "被车撞歪",
        "--photo",
        str(photo),
        actor="sign_maintainer",
    )
    twins.cli(
        "signs", "workorder", "assign", "1", "--to", "王师傅", "--version", "1", actor="sign_maintainer"
    )
    twins.cli(
        "signs",
        "workorder",
        "resolve",
        "1",
        "--action",
        "repaired",
        "--note",
        "扶正",
        "--version",
        "2",
        actor="sign_maintainer",
    )
    twins.cli(
        "signs", "workorder", "close", "1", "--photo", str(photo), "--version", "3", actor="sign_maintainer"
    )
    web = twins.web("sign_maintainer")
    steps = [
        (f"/signs/{sid}/orders", {"problem": "damaged", "description": "被车撞歪", "photo": _upload(photo)}),
        ("/signs/orders/1/assign", {"version": "1", "assignee": "王师傅"}),
        ("/signs/orders/1/resolve", {"version": "2", "how": "repaired", "note": "扶正"}),
        ("/signs/orders/1/close", {"version": "3", "photo": _upload(photo)}),
    ]
    for path, data in steps:
        resp = web.post(path, data=data, content_type="multipart/form-data")
        assert resp.status_code == 302, (path, resp.get_data(as_text=True)[:300])
    rows = twins.assert_same(SIGN_AND_ORDERS)
    assert rows["work_order"][0]["status"] == "closed"
    assert next(r for r in rows["sign"] if r["id"] == sid)["condition"] == "good"


def test_reject_a_report(twins):
    sid = twins.ids["sign0"]
    twins.cli(
        "signs", "workorder", "report", "--reason", "other", "--sign", str(sid), actor="placename_officer"
    )
    twins.cli(
        "signs",
        "workorder",
        "reject",
        "1",
        "--reason",
        "重复报告",
        "--version",
        "1",
        actor="placename_officer",
    )
    web = twins.web("placename_officer")
    assert web.post(f"/signs/{sid}/orders", data={"problem": "other"}).status_code == 302
    assert web.post("/signs/orders/1/reject", data={"version": "1", "note": "重复报告"}).status_code == 302
    rows = twins.assert_same(SIGN_AND_ORDERS)
    assert rows["work_order"][0]["status"] == "rejected"


def test_public_damage_report(twins, photo):
    twins.cli(
        "signs",
        "workorder",
        "report",
        "--public",
        "--reason",
        "missing",
        "--sign-code",
        "HBW-0001",
        "--text",
        "路牌不见了",
        "--lon",
        "106.82",
        "--lat",
        "39.67",
        "--contact",
        "13800000000",
        "--photo",
        str(photo),
        actor="public",
    )
    web = twins.web("public")
    resp = web.post(
        "/report",
        data={
            "reason": "missing",
            "sign_code": "HBW-0001",
            "description": "路牌不见了",
            "lon": "106.82",
            "lat": "39.67",
            "contact": "13800000000",
            "photo": _upload(photo),
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302
    rows = twins.assert_same(SIGN_AND_ORDERS)
    order = rows["work_order"][0]
    assert (order["source"], order["sign_id"], order["reporter_contact"]) == (
        "public",
        twins.ids["sign1"],
        "13800000000",
    )


def _rename(url: str, place_id: int) -> None:
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as s:
            names_store.rename(
                s, place_id, actor="seed", new_name="团结路", reason="更名", justification="test"
            )
            workorders.work_list_for_renaming(s, place_name_id=place_id, actor="seed", old_names=["人民路"])
            s.commit()
    finally:
        engine.dispose()


def test_replacing_a_renamed_sign_puts_the_standard_name_on_it(twins):
    place_id = twins.ids["人民路"]
    for url in (twins.cli_url, twins.web_url):
        _rename(url, place_id)
    twins.cli("signs", "workorder", "assign", "1", "--to", "王师傅", actor="sign_maintainer")
    twins.cli("signs", "workorder", "resolve", "1", "--action", "replaced", actor="sign_maintainer")
    web = twins.web("sign_maintainer")
    assert web.post("/signs/orders/1/assign", data={"version": "1", "assignee": "王师傅"}).status_code == 302
    assert web.post("/signs/orders/1/resolve", data={"version": "2", "how": "replaced"}).status_code == 302
    rows = twins.assert_same(SIGN_AND_ORDERS)
    replaced = next(r for r in rows["sign"] if r["id"] == twins.ids["sign0"])
    assert replaced["text_zh"] == "团结路"
    assert replaced["text_romanized"] == "TUANJIE LU"
    assert (
        next(r for r in rows["sign"] if r["id"] == twins.ids["sign1"])["text_zh"] == "人民路"
    )  # not yet replaced


# -- error answers --------------------------------------------------------------------------------


def test_missing_sign_or_order_is_not_found(twins):
    web = twins.web("sign_maintainer")
    assert web.get("/signs/999999").status_code == 404
    assert web.get(f"/signs/{2**70}").status_code == 404
    problem = web.get("/signs/999999", headers={"Accept": "application/json"})
    assert problem.status_code == 404 and problem.get_json()["type"].endswith("not_found")
    assert web.post("/signs/999999", data={"version": "1", "condition": "worn"}).status_code == 404
    gone = web.post("/signs/orders/999999/assign", data={"version": "1", "assignee": "x"})
    assert gone.status_code == 404
    as_json = web.post(
        "/signs/orders/999999/assign",
        data={"version": "1", "assignee": "x"},
        headers={"Accept": "application/json"},
    )
    assert as_json.status_code == 404 and as_json.mimetype == "application/problem+json"
    for args in (("signs", "show", "999999"), ("signs", "workorder", "assign", "999999", "--to", "x")):
        result = twins.cli(*args, "--format", "json", actor="sign_maintainer", ok=False)
        assert result.exit_code == 3
        assert json.loads(result.output)["error"]["kind"] == "not_found"
    text = twins.cli("signs", "show", "999999", actor="sign_maintainer", ok=False)
    assert text.exit_code == 3 and "Error: no sign 999999" in text.output


def test_stale_version_is_a_conflict(twins):
    sid = twins.ids["sign1"]
    web = twins.web("sign_maintainer")
    assert web.post(f"/signs/{sid}", data={"version": "1", "condition": "worn"}).status_code == 302
    stale = web.post(f"/signs/{sid}", data={"version": "1", "condition": "damaged"})
    assert stale.status_code == 409 and "version 2, not 1" in stale.get_data(as_text=True)
    problem = web.post(
        f"/signs/{sid}", data={"version": "1", "condition": "damaged"}, headers={"Accept": "application/json"}
    )
    assert problem.status_code == 409 and problem.get_json()["current_version"] == 2
    twins.cli("signs", "edit", str(sid), "--condition", "worn", "--version", "1", actor="sign_maintainer")
    result = twins.cli(
        "signs",
        "edit",
        str(sid),
        "--condition",
        "damaged",
        "--version",
        "1",
        "--format",
        "json",
        actor="sign_maintainer",
        ok=False,
    )
    assert result.exit_code == 4
    assert json.loads(result.output)["error"]["kind"] == "stale_version"


def test_invalid_input_shows_the_form_again(twins):
    sid = twins.ids["sign1"]
    web = twins.web("sign_maintainer")
    bad = web.post(f"/signs/{sid}", data={"version": "1", "text_zh": "人民路<b>"})
    assert bad.status_code == 422 and "markup" in bad.get_data(as_text=True)
    assert 'name="version" value="1"' in bad.get_data(as_text=True)
    early = web.post("/signs/orders/999999/close", data={"version": "1"})
    assert early.status_code == 404
    result = twins.cli(
        "signs",
        "edit",
        str(sid),
        "--text-zh",
        "人民路<b>",
        "--version",
        "1",
        "--format",
        "json",
        actor="sign_maintainer",
        ok=False,
    )
    assert result.exit_code == 1
    error = json.loads(result.output)["error"]
    assert error["kind"] == "invalid" and "markup" in error["message"]
    engine = make_engine(twins.cli_url)
    try:
        with make_session_factory(engine)() as s:
            assert s.scalar(select(Sign.version).where(Sign.id == sid)) == 1
    finally:
        engine.dispose()


def _cli_audit(twins, *args: str) -> list[tuple]:
    out = json.loads(twins.cli("signs", "audit", "--format", "json", *args, actor="sign_maintainer").output)
    assert out["total"] == sum(out["counts"].values()) == sum(out["severities"].values())
    return sorted(
        (kind, f["severity"], f["sign_id"], f["street_key"], f["expected"], f["actual"], f["difference"],
         f["detail"], f["lon"], f["lat"])
        for kind, items in out["findings"].items()
        for f in items
    )  # fmt: skip


def _web_audit(client, query: str) -> list[tuple]:
    resp = client.get("/api/signs/audit" + query)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    fc = resp.get_json()
    assert fc["numberMatched"] == fc["numberReturned"]
    page = client.get("/signs/audit" + query).get_data(as_text=True)
    assert int(re.search(r'<h2 id="audit-count">[^:]+: (\d+)', page).group(1)) == fc["numberMatched"]
    return sorted(
        (p["kind"], p["severity"], p["sign_id"], p["street_key"], p["expected"], p["actual"], p["difference"],
         p["detail"], *f["geometry"]["coordinates"])
        for f in fc["features"]
        for p in [f["properties"]]
    )  # fmt: skip


def test_audit_findings_and_severity_filter(twins):
    """A sign recorded as missing through each front end, then the audit through each: the same
    findings with the same severities, whole city and filtered."""
    sid = twins.ids["sign1"]
    twins.cli("signs", "edit", str(sid), "--condition", "missing", "--version", "1", actor="sign_maintainer")
    web = twins.web("sign_maintainer")
    assert web.post(f"/signs/{sid}", data={"version": "1", "condition": "missing"}).status_code == 302
    twins.assert_same(["sign"])
    every = _cli_audit(twins)
    assert every == _web_audit(web, "")
    assert ("sign_missing", "error", sid) in {f[:3] for f in every}
    for args, query in (
        (("--severity", "error"), "?severity=error"),
        (("--severity", "warning"), "?severity=warning"),
        (("--kind", "sign_missing"), "?kind=sign_missing"),
        (("--district", "150302000000", "--severity", "error"), "?division=150302000000&severity=error"),
    ):
        assert _cli_audit(twins, *args) == _web_audit(web, query), args
    assert {f[1] for f in _cli_audit(twins, "--severity", "error")} == {"error"}
    assert {f[1] for f in every} == {"error", "warning"}  # both filters above select something
    refused = twins.cli("signs", "audit", "--severity", "fatal", actor="sign_maintainer", ok=False)
    assert refused.exit_code != 0 and web.get("/api/signs/audit?severity=fatal").status_code == 422
