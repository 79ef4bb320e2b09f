"""The naming procedure through the command line and through the officers' pages: the same rows and audit."""

from __future__ import annotations

import json

OFFICER = "placename_officer"
NAME_TABLES = ["place_name", "former_name", "name_event"]


def _posted(resp, where: str = "/names/") -> None:
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    assert where in resp.headers["Location"]


def test_propose(twins):
    out = twins.cli(
        "names",
        "propose",
        "朝阳街",
        "--category",
        "253",
        "--division",
        "150302001000",
        "--wkt",
        "POINT (106.84 39.69)",
        "--meaning",
        "朝向太阳",
        "--reason",
        "新建道路",
        "--document",
        "申报2025-1",
        "--format",
        "json",
        actor=OFFICER,
    )
    made = json.loads(out.output)
    web = twins.web(OFFICER)
    resp = web.post(
        "/names/new",
        data={
            "action": "propose",
            "name": "朝阳街",
            "category_code": "253",
            "division_code": "150302001000",
            "meaning": "朝向太阳",
            "reason": "新建道路",
            "document": "申报2025-1",
            "geometry": '{"type": "Point", "coordinates": [106.84, 39.69]}',
        },
    )
    _posted(resp, f"/names/{made['id']}")
    rows = twins.assert_same(NAME_TABLES)
    assert rows["place_name"][-1]["name"] == "朝阳街" and rows["place_name"][-1]["author"] == OFFICER
    assert rows["audit_log"][-1]["action"] == "insert"


def test_review_approve_announce(twins):
    pid = str(twins.ids["proposed"])
    web = twins.web(OFFICER)
    twins.cli("names", "review", pid, "--reason", "材料齐全", "--expected-version", "1", actor=OFFICER)
    _posted(web.post(f"/names/{pid}/review", data={"version": "1", "reason": "材料齐全"}))
    twins.cli(
        "names",
        "approve",
        pid,
        "--authority",
        "乌海市人民政府",
        "--document",
        "乌政字〔2025〕3号",
        "--date",
        "2025-02-01",
        "--expected-version",
        "2",
        actor=OFFICER,
    )
    _posted(
        web.post(
            f"/names/{pid}/approve",
            data={
                "version": "2",
                "authority": "乌海市人民政府",
                "document": "乌政字〔2025〕3号",
                "approval_date": "2025-02-01",
            },
        )
    )
    twins.cli("names", "announce", pid, "--date", "2025-02-15", "--document", "公告2025-2", actor=OFFICER)
    _posted(
        web.post(
            f"/names/{pid}/announce",
            data={"version": "3", "announcement_date": "2025-02-15", "document": "公告2025-2"},
        )
    )
    rows = twins.assert_same(NAME_TABLES)
    events = [e for e in rows["name_event"] if e["place_name_id"] == int(pid)]
    assert [e["action"] for e in events] == ["propose", "review", "approve", "announce"]
    assert [e["actor"] for e in events[1:]] == [OFFICER] * 3


def test_rename_opens_the_sign_work_orders_from_both(twins):
    pid = str(twins.ids["人民路"])
    twins.cli(
        "names",
        "rename",
        pid,
        "新民路",
        "--reason",
        "道路改造后更名",
        "--document",
        "乌政字〔2025〕9号",
        "--date",
        "2025-03-01",
        "--expected-version",
        "4",
        actor=OFFICER,
    )
    resp = twins.web(OFFICER).post(
        f"/names/{pid}/rename",
        data={
            "version": "4",
            "new_name": "新民路",
            "reason": "道路改造后更名",
            "document": "乌政字〔2025〕9号",
            "effective": "2025-03-01",
        },
    )
    _posted(resp, f"/signs/worklist/{pid}")
    rows = twins.assert_same([*NAME_TABLES, "work_order"])
    assert [f["name"] for f in rows["former_name"]] == ["人民路"]
    orders = rows["work_order"]
    assert len(orders) == 3 and {o["reason"] for o in orders} == {"renamed"}
    assert {o["sign_id"] for o in orders} == {twins.ids[f"sign{i}"] for i in range(3)}
    assert {o["reported_by"] for o in orders} == {OFFICER}


def test_retire(twins):
    pid, successor = str(twins.ids["海北大街"]), str(twins.ids["人民路"])
    twins.cli(
        "names",
        "retire",
        pid,
        "--reason",
        "并入人民路",
        "--document",
        "乌政字〔2025〕4号",
        "--successor",
        successor,
        "--expected-version",
        "4",
        actor=OFFICER,
    )
    resp = twins.web(OFFICER).post(
        f"/names/{pid}/retire",
        data={
            "version": "4",
            "reason": "并入人民路",
            "document": "乌政字〔2025〕4号",
            "successor_id": successor,
        },
    )
    _posted(resp, f"/names/{pid}")
    rows = twins.assert_same(NAME_TABLES)
    retired = next(r for r in rows["place_name"] if r["id"] == int(pid))
    assert retired["status"] == "retired" and retired["successor_id"] == int(successor)


def test_edit(twins):
    pid = str(twins.ids["海北大街"])
    twins.cli(
        "names",
        "edit",
        pid,
        "--meaning",
        "海勃湾北部的大街",
        "--alias",
        "北大街",
        "--alias",
        "海北街",
        "--reason",
        "补充含义",
        "--expected-version",
        "4",
        actor=OFFICER,
    )
    resp = twins.web(OFFICER).post(
        f"/names/{pid}/edit",
        data={
            "version": "4",
            "meaning": "海勃湾北部的大街",
            "aliases": "北大街，海北街",
            "reason": "补充含义",
        },
    )
    _posted(resp, f"/names/{pid}")
    rows = twins.assert_same(NAME_TABLES)
    edited = next(r for r in rows["place_name"] if r["id"] == int(pid))
    assert edited["meaning"] == "海勃湾北部的大街" and edited["aliases"] == ["北大街", "海北街"]
    assert rows["name_event"][-1]["action"] == "edit"
