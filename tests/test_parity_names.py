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


RENAMING_TABLES = [*NAME_TABLES, "name_renaming", "road_segment", "work_order", "sign"]


def test_renaming_procedure(twins):
    pid = str(twins.ids["人民路"])
    web = twins.web(OFFICER)
    out = twins.cli(
        "names", "renaming", "propose", pid, "新民路", "--reason", "道路改造后更名", "--format", "json",
        actor=OFFICER,
    )  # fmt: skip
    rid = str(json.loads(out.output)["id"])
    _posted(web.post(f"/names/{pid}/renamings", data={"new_name": "新民路", "reason": "道路改造后更名"}))
    twins.cli("names", "renaming", "review", rid, "--expected-version", "1", actor=OFFICER)
    _posted(web.post(f"/names/renamings/{rid}/review", data={"version": "1"}))
    twins.cli(
        "names", "renaming", "approve", rid, "--authority", "乌海市人民政府", "--document", "乌政字〔2025〕9号",
        "--date", "2025-03-01", "--expected-version", "2", actor=OFFICER,
    )  # fmt: skip
    approval = {"version": "2", "authority": "乌海市人民政府", "document": "乌政字〔2025〕9号",
                "approval_date": "2025-03-01"}  # fmt: skip
    _posted(web.post(f"/names/renamings/{rid}/approve", data=approval))
    mid = twins.assert_same(RENAMING_TABLES)
    assert next(r for r in mid["place_name"] if r["id"] == int(pid))["name"] == "人民路"
    assert mid["work_order"] == [] and mid["former_name"] == []
    twins.cli(
        "names", "renaming", "announce", rid, "--date", "2025-03-15", "--document", "公告2025-5",
        "--expected-version", "3", actor=OFFICER,
    )  # fmt: skip
    resp = web.post(
        f"/names/renamings/{rid}/announce",
        data={"version": "3", "announcement_date": "2025-03-15", "document": "公告2025-5"},
    )
    _posted(resp, f"/signs/worklist/{pid}")
    rows = twins.assert_same(RENAMING_TABLES)
    place = next(r for r in rows["place_name"] if r["id"] == int(pid))
    assert (place["name"], place["approval_doc_no"], place["approval_date"], place["announcement_date"]) == (
        "新民路", "乌政字〔2025〕9号", "2025-03-01", "2025-03-15")  # fmt: skip
    assert [f["name"] for f in rows["former_name"]] == ["人民路"]
    assert [r["status"] for r in rows["name_renaming"]] == ["announced"]
    assert {r["name"] for r in rows["road_segment"]} == {"新民路"}
    assert len(rows["work_order"]) == 3 and {o["reason"] for o in rows["work_order"]} == {"renamed"}
    tables = [a["table_name"] for a in rows["audit_log"]]
    assert tables.count("name_renaming") == 4 and tables.count("road_segment") == 1


def test_renaming_refusals(twins):
    pid = str(twins.ids["人民路"])
    web = twins.web(OFFICER)
    out = twins.cli("names", "renaming", "review", "999", "--format", "json", actor=OFFICER, ok=False)
    assert out.exit_code == 3 and json.loads(out.output)["error"]["kind"] == "not_found"
    assert web.post("/names/renamings/999/review", data={"version": "1"}).status_code == 404
    hidden = str(twins.ids["proposed"])
    out = twins.cli(
        "names", "renaming", "propose", hidden, "滨江路", "--reason", "x", "--format", "json",
        actor=OFFICER, ok=False,
    )  # fmt: skip
    assert out.exit_code == 1 and json.loads(out.output)["error"]["field"] == "status"
    resp = web.post(f"/names/{hidden}/renamings", data={"new_name": "滨江路", "reason": "x"})
    assert resp.status_code == 422 and "only a standard name is renamed" in resp.get_data(as_text=True)
    twins.cli("names", "renaming", "propose", pid, "新民路", "--reason", "更名", actor=OFFICER)
    _posted(web.post(f"/names/{pid}/renamings", data={"new_name": "新民路", "reason": "更名"}))
    out = twins.cli(
        "names", "renaming", "announce", "1", "--format", "json", actor=OFFICER, ok=False
    )  # fmt: skip
    assert out.exit_code == 1 and json.loads(out.output)["error"]["field"] == "status"
    resp = web.post("/names/renamings/1/announce", data={"version": "1"})
    assert resp.status_code == 422 and 'id="renaming-review-form"' in resp.get_data(as_text=True)
    resp = web.post("/names/renamings/1/review", data={"version": "7"})
    assert resp.status_code == 409
    out = twins.cli(
        "names", "renaming", "propose", pid, "新华路", "--reason", "再次", "--format", "json",
        actor=OFFICER, ok=False,
    )  # fmt: skip
    assert out.exit_code == 4 and json.loads(out.output)["error"]["kind"] == "conflict"
    assert (
        web.post(f"/names/{pid}/renamings", data={"new_name": "新华路", "reason": "再次"}).status_code == 409
    )
    public = twins.web("public")
    assert public.post("/names/renamings/1/review", data={"version": "1"}).status_code in (302, 401, 403)
    twins.assert_same(["name_renaming"])
