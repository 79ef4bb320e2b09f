"""Disputes registered, corrected and closed from the command line and the web: same rows and history."""

from __future__ import annotations

import json

from shapely.geometry import LineString
from test_parity_boundaries import ACTOR
from test_parity_boundaries import LINE
from test_parity_boundaries import arrange

from boundaries import store

AREA = "POLYGON ((106.81 39.615, 106.82 39.615, 106.82 39.625, 106.81 39.625, 106.81 39.615))"
AREA_JSON = json.dumps(
    {
        "type": "Polygon",
        "coordinates": [
            [[106.81, 39.615], [106.82, 39.615], [106.82, 39.625], [106.81, 39.625], [106.81, 39.615]]
        ],
    }
)


def _line(s) -> None:
    store.save_line(s, actor="seed", values=LINE, geometry=LineString([(106.88, 39.55), (106.88, 39.62)]))


def _cli(twins, *args, ok=True):
    return twins.cli("boundaries", "disputes", "--role", ACTOR, *args, actor=ACTOR, ok=ok)


def test_register_correct_and_close_a_dispute(twins):
    arrange(twins, _line)
    _cli(twins, "add", "--title", "界桩附近草场", "--party", "海勃湾区", "--party", "海南区", "--geometry", AREA,
         "--document", "海政函〔2024〕3号")  # fmt: skip
    _cli(
        twins,
        "add",
        "--title",
        "蒙宁线北段",
        "--party",
        "海南区",
        "--party",
        "惠农区",
        "--line",
        LINE["code"],
    )
    _cli(twins, "edit", "1", "--title", "界桩附近草场权属", "--reason", "名称更正", "--expected-version", "1")
    _cli(twins, "close", "1", "--outcome", "双方签订协议", "--on", "2024-09-01", "--document", "协议书",
         "--expected-version", "2")  # fmt: skip
    web = twins.web(ACTOR)
    for data in (
        {
            "title": "界桩附近草场",
            "parties": "海勃湾区、海南区",
            "geometry": AREA_JSON,
            "document": "海政函〔2024〕3号",
        },
        {"title": "蒙宁线北段", "parties": "海南区、惠农区", "line_code": LINE["code"]},
    ):
        assert web.post("/boundaries/disputes", data=data).status_code == 302
    done = web.post(
        "/boundaries/disputes/1/edit",
        data={"title": "界桩附近草场权属", "reason": "名称更正", "version": "1"},
    )
    assert done.status_code == 302
    done = web.post("/boundaries/disputes/1/close", data={"outcome": "双方签订协议", "on": "2024-09-01",
                                                          "document": "协议书", "version": "2"})  # fmt: skip
    assert done.status_code == 302
    rows = twins.assert_same(["dispute"])
    first, second = rows["dispute"]
    assert first["status"] == "closed" and first["title"] == "界桩附近草场权属"
    assert first["documents"] == ["海政函〔2024〕3号", "协议书"]
    assert first["actions"][-1]["action"] == "closed: 双方签订协议"
    assert second["line_id"] is not None and "LINESTRING" in second["geom"]
    assert [a["action"] for a in rows["audit_log"]] == ["insert", "insert", "update", "update"]
    assert rows["audit_log"][2]["reason"] == "名称更正"
    page = web.get("/boundaries/disputes").get_data(as_text=True)
    assert "双方签订协议" in page and "蒙宁线北段" in page


def test_dispute_refusals(twins):
    arrange(twins, _line)
    web = twins.web(ACTOR)
    assert twins.web("public").post("/boundaries/disputes", data={"title": "x"}).status_code == 403
    denied = twins.cli("boundaries", "disputes", "add", "--title", "x", "--party", "甲", "--party", "乙",
                       "--geometry", AREA, "--format", "json", actor=ACTOR, ok=False)  # fmt: skip
    assert denied.exit_code == 5 and json.loads(denied.output)["error"]["kind"] == "forbidden"
    one = _cli(
        twins, "add", "--title", "x", "--party", "甲", "--geometry", AREA, "--format", "json", ok=False
    )
    assert one.exit_code == 1 and json.loads(one.output)["error"]["field"] == "parties"
    resp = web.post("/boundaries/disputes", data={"title": "x", "parties": "甲、乙"})
    assert resp.status_code == 422 and "geometry" in resp.get_data(as_text=True)
    resp = web.post("/boundaries/disputes", data={"title": "x", "parties": "甲、乙", "geometry": "{bad"})
    assert resp.status_code == 422
    _cli(twins, "add", "--title", "x", "--party", "甲", "--party", "乙", "--geometry", AREA)
    stale = _cli(twins, "edit", "1", "--title", "y", "--reason", "r", "--expected-version", "7", "--format", "json",
                 ok=False)  # fmt: skip
    assert stale.exit_code == 4
    _cli(twins, "close", "1", "--outcome", "撤回", "--on", "2024-09-01")
    again = _cli(twins, "close", "1", "--outcome", "撤回", "--on", "2024-09-02", "--format", "json", ok=False)
    assert again.exit_code == 4 and "closed" in json.loads(again.output)["error"]["message"]
    missing = _cli(twins, "close", "99", "--outcome", "撤回", "--on", "2024-09-02", ok=False)
    assert missing.exit_code == 3
    assert web.post("/boundaries/disputes/99/close", data={"outcome": "x", "version": "1"}).status_code == 404
