"""Boundaries' acts through the command line and through the web: the same rows and audit entries."""

from __future__ import annotations

import io
import json
from datetime import UTC
from datetime import datetime

from shapely.geometry import LineString
from shapely.geometry import box

from boundaries import alarms
from boundaries import store
from boundaries import telemetry
from gis.db import make_engine
from gis.db import make_session_factory

ACTOR = "boundary_inspector"
LINE = {
    "code": "150303-640205",
    "name": "海南区—惠农区",
    "line_code": "1564",
    "line_name": "蒙宁线乌海段",
    "level": "provincial",
    "left_code": "150303000000",
    "left_name": "海南区",
    "right_code": "640205000000",
    "right_name": "惠农区",
}


def arrange(twins, fn) -> None:
    """Do the same set-up on both databases (same ids on both sides)."""
    for url in (twins.cli_url, twins.web_url):
        engine = make_engine(url)
        with make_session_factory(engine)() as s:
            fn(s)
            s.commit()
        engine.dispose()


def _line(s) -> None:
    store.save_line(s, actor="seed", values=LINE, geometry=LineString([(106.88, 39.55), (106.88, 39.62)]))


def test_add_and_update_marker(twins):
    arrange(twins, _line)
    twins.cli("boundaries", "add-marker", "1564001Q", "--line", "150303-640205", "--lon", "106.88",
              "--lat", "39.56", "--material", "花岗岩", "--elevation", "1101", actor=ACTOR)  # fmt: skip
    web = twins.web(ACTOR)
    resp = web.post("/boundaries/markers", data={"number": "1564001Q", "line_code": "150303-640205",
                                                 "lon": "106.88", "lat": "39.56", "material": "花岗岩",
                                                 "elevation_m": "1101"})  # fmt: skip
    assert resp.status_code == 302
    twins.cli("boundaries", "update-marker", "HN001Q", "--status", "damaged", "--expected-version", "1",
              "--reason", "巡查发现", actor=ACTOR)  # fmt: skip
    resp = web.post(
        "/boundaries/markers/HN001Q", data={"status": "damaged", "version": "1", "reason": "巡查发现"}
    )
    assert resp.status_code == 302
    twins.assert_same(["boundary_marker"])


def test_inspection_round_from_plan_to_completion(twins, tmp_path):
    gpx = (b'<?xml version="1.0"?><gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1">'
           b'<wpt lat="39.62" lon="106.84"><name>HN002Q</name></wpt></gpx>')  # fmt: skip
    (tmp_path / "fix.gpx").write_bytes(gpx)
    out = twins.cli("boundaries", "rounds", "create", "--line", "150302-150303", "--round-no", "1", "--title",
                    "第一次联检", "--party", "海勃湾区", "--party", "海南区", "--start", "2024-05-01",
                    "--tolerance-m", "1.5", "--format", "json", actor=ACTOR)  # fmt: skip
    rid = str(json.loads(out.output)["id"])
    twins.cli("boundaries", "rounds", "start", rid, actor=ACTOR)
    twins.cli("boundaries", "inspect", rid, "HN001Q", "--condition", "intact", "--lon", "106.80003",
              "--lat", "39.62", "--notes", "完好", actor=ACTOR)  # fmt: skip
    twins.cli("boundaries", "inspect", rid, "--file", str(tmp_path / "fix.gpx"), actor=ACTOR)
    twins.cli("boundaries", "rounds", "note", rid, "--segment", "HN001Q-HN002Q", "--kind", "construction",
              "--note", "新修道路穿越界线", actor=ACTOR)  # fmt: skip
    for party in ("海勃湾区", "海南区"):
        twins.cli("boundaries", "rounds", "sign", rid, "--party", party, "--signer", "张三", "--on", "2024-06-01",
                  actor=ACTOR)  # fmt: skip
    twins.cli("boundaries", "rounds", "complete", rid, "--on", "2024-06-02", actor=ACTOR)

    web = twins.web(ACTOR)
    made = web.post("/boundaries/rounds", data={"line_code": "150302-150303", "round_no": "1", "title": "第一次联检",
                                                "parties": "海勃湾区\n海南区", "start": "2024-05-01",
                                                "tolerance_m": "1.5"})  # fmt: skip
    assert made.status_code == 302 and made.headers["Location"].endswith(f"/rounds/{rid}")
    assert web.post(f"/boundaries/rounds/{rid}/start").status_code == 302
    form = web.post(f"/boundaries/rounds/{rid}/markers/HN001Q",
                    data={"condition": "intact", "lon": "106.80003", "lat": "39.62", "notes": "完好"})  # fmt: skip
    assert form.status_code == 302
    up = web.post(f"/boundaries/rounds/{rid}/gnss", data={"file": (io.BytesIO(gpx), "fix.gpx")},
                  content_type="multipart/form-data")  # fmt: skip
    assert up.status_code == 302
    note = web.post(f"/boundaries/rounds/{rid}/note",
                    data={"segment": "HN001Q-HN002Q", "kind": "construction", "note": "新修道路穿越界线"})  # fmt: skip
    assert note.status_code == 302
    for party in ("海勃湾区", "海南区"):
        signed = web.post(f"/boundaries/rounds/{rid}/signoff",
                          data={"party": party, "signer": "张三", "on": "2024-06-01"})  # fmt: skip
        assert signed.status_code == 302
    assert web.post(f"/boundaries/rounds/{rid}/complete", data={"on": "2024-06-02"}).status_code == 302
    rows = twins.assert_same(["inspection_round", "inspection_record", "boundary_line"])
    assert rows["inspection_round"][0]["status"] == "completed" and len(rows["inspection_record"]) == 2


def _alarm(s) -> None:
    marker = store.marker_by_number(s, "HN002Q")
    telemetry.register_device(s, actor="seed", device_id="SM-P-1", marker_id=marker.id, token="t" * 43)
    alarms.raise_alarm(s, device_id="SM-P-1", marker_id=marker.id, rule="tilt", value=9.5,
                       at=datetime(2024, 6, 1, tzinfo=UTC))  # fmt: skip


def test_acknowledge_and_close_an_alarm(twins):
    arrange(twins, _alarm)
    twins.cli("boundaries", "alarms", "ack", "1", "--note", "已派员", "--expected-version", "1", actor=ACTOR)
    twins.cli("boundaries", "alarms", "close", "1", "--note", "已扶正", actor=ACTOR)
    stale = twins.cli("boundaries", "alarms", "close", "1", "--expected-version", "1", "--format", "json",
                      actor=ACTOR, ok=False)  # fmt: skip
    assert stale.exit_code == 4 and json.loads(stale.output)["error"]["kind"] == "stale_version"
    web = twins.web(ACTOR)
    assert (
        web.post("/boundaries/alarms/1/acknowledge", data={"version": "1", "note": "已派员"}).status_code
        == 302
    )
    assert web.post("/boundaries/alarms/1/close", data={"version": "2", "note": "已扶正"}).status_code == 302
    assert web.post("/boundaries/alarms/1/close", data={"version": "1"}).status_code == 409
    twins.assert_same(["marker_alarm"])


def test_register_a_device(twins):
    twins.cli("boundaries", "telemetry", "register", "SM-P-2", "--marker", "HN001Q", actor=ACTOR)
    web = twins.web(ACTOR)
    page = web.post("/boundaries/devices", data={"device_id": "SM-P-2", "marker": "HN001Q"})
    assert page.status_code == 200 and "SM-P-2" in page.get_data(as_text=True)
    twins.assert_same(["boundary_marker"])
    by_cli, by_web = (twins.rows(url, ["marker_device"]) for url in (twins.cli_url, twins.web_url))

    def without_token(rows):  # each registration draws its own random token
        drop = ("token_hash",)
        devices = [{k: v for k, v in r.items() if k not in drop} for r in rows["marker_device"]]
        audit = [
            {**a, "after": {k: v for k, v in a["after"].items() if k not in drop}} for a in rows["audit_log"]
        ]
        return devices, audit

    assert without_token(by_cli) == without_token(by_web)


def _dispute(s) -> None:
    store.add_dispute(s, actor="seed", viewer_roles=("admin",), title="界桩附近草场", parties=["海勃湾区", "海南区"],
                      geometry=box(106.81, 39.615, 106.82, 39.625))  # fmt: skip


def test_dispute_action(twins):
    arrange(twins, _dispute)
    twins.cli("boundaries", "disputes", "--role", "boundary_inspector", "action", "1", "--action", "双方会商",
              "--on", "2024-07-01", "--status", "negotiating", "--document", "会议纪要", "--expected-version", "1",
              actor=ACTOR)  # fmt: skip
    denied = twins.cli("boundaries", "disputes", "action", "1", "--action", "x", "--on", "2024-07-01",
                       "--format", "json", actor=ACTOR, ok=False)  # fmt: skip
    assert denied.exit_code == 5 and json.loads(denied.output)["error"]["kind"] == "forbidden"
    web = twins.web(ACTOR)
    done = web.post("/boundaries/disputes/1/action", data={"action": "双方会商", "on": "2024-07-01",
                                                          "status": "negotiating", "document": "会议纪要",
                                                          "version": "1"})  # fmt: skip
    assert done.status_code == 302
    assert twins.web("public").post("/boundaries/disputes/1/action", data={"version": "2"}).status_code == 403
    twins.assert_same(["dispute"])
