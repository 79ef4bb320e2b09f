"""Renamings in progress: ``names renaming list`` / ``show`` and the officers' renamings pages give the same data."""
# ruff: noqa: F811  (pytest fixtures imported from web_fixtures are redefined as arguments)

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner
from web_fixtures import app  # noqa: F401
from web_fixtures import login
from web_fixtures import web_db  # noqa: F401

from cli.main import main

OFFICER = "placename_officer"


def _cli(url: str, *args: str, code: int = 0):
    result = CliRunner().invoke(main, ["--database-url", url, "--actor", OFFICER, *args])
    assert result.exit_code == code, result.output
    return result


@pytest.fixture
def under_way(app, web_db):
    """Two renamings: 人民路 → 新民路 approved, 海北大街 → 海北路 announced; a client logged in as officer."""
    url, ids = web_db
    first = json.loads(
        _cli(url, "names", "renaming", "propose", str(ids["人民路"]), "新民路", "--reason", "道路改造后更名",
             "--format", "json").output
    )["id"]  # fmt: skip
    _cli(url, "names", "renaming", "review", str(first))
    _cli(url, "names", "renaming", "approve", str(first), "--authority", "乌海市人民政府",
         "--document", "乌政字〔2025〕9号", "--date", "2025-03-01")  # fmt: skip
    second = json.loads(
        _cli(url, "names", "renaming", "propose", str(ids["海北大街"]), "海北路", "--reason", "通名规范",
             "--format", "json").output
    )["id"]  # fmt: skip
    _cli(url, "names", "renaming", "review", str(second))
    _cli(url, "names", "renaming", "approve", str(second), "--authority", "乌海市人民政府",
         "--document", "乌政字〔2025〕10号", "--date", "2025-03-02")  # fmt: skip
    _cli(url, "names", "renaming", "announce", str(second), "--date", "2025-03-20")
    client = app.test_client()
    login(client, OFFICER)
    return url, client, first, second


def test_list_shows_renamings_in_progress_by_default(under_way):
    url, _client, first, _second = under_way
    rows = json.loads(_cli(url, "names", "renaming", "list", "--format", "json").output)
    assert [(r["id"], r["old_name"], r["new_name"], r["status"]) for r in rows] == [
        (first, "人民路", "新民路", "approved")
    ]
    assert rows[0]["place_name"] == "人民路" and rows[0]["approval_doc_no"] == "乌政字〔2025〕9号"
    text = _cli(url, "names", "renaming", "list").output
    assert "新民路" in text and "海北路" not in text


def test_list_by_status(under_way):
    url, _client, first, second = under_way
    rows = json.loads(
        _cli(url, "names", "renaming", "list", "--status", "announced", "--format", "json").output
    )
    assert [(r["id"], r["status"], r["place_name"]) for r in rows] == [(second, "announced", "海北路")]
    both = json.loads(
        _cli(url, "names", "renaming", "list", "--status", "approved", "--status", "announced",
             "--format", "json").output
    )  # fmt: skip
    assert [r["id"] for r in both] == [first, second]
    assert (
        json.loads(_cli(url, "names", "renaming", "list", "--status", "withdrawn", "--format", "json").output)
        == []
    )
    _cli(url, "names", "renaming", "list", "--status", "finished", code=2)


def test_show_has_the_approval_and_the_rule_findings(under_way):
    url, _client, first, second = under_way
    d = json.loads(_cli(url, "names", "renaming", "show", str(first), "--format", "json").output)
    assert (d["old_name"], d["new_name"], d["status"], d["approving_authority"], d["approval_date"]) == (
        "人民路", "新民路", "approved", "乌海市人民政府", "2025-03-01")  # fmt: skip
    assert isinstance(d["findings"], list)
    done = json.loads(_cli(url, "names", "renaming", "show", str(second), "--format", "json").output)
    assert (done["status"], done["announcement_date"], done["findings"]) == ("announced", "2025-03-20", [])
    text = _cli(url, "names", "renaming", "show", str(first)).output
    assert "人民路 → 新民路" in text and "乌政字〔2025〕9号" in text


def test_show_of_an_unknown_renaming_is_not_found(under_way):
    url, client, _first, _second = under_way
    out = _cli(url, "names", "renaming", "show", "999999", "--format", "json", code=3)
    assert json.loads(out.output)["error"]["kind"] == "not_found"
    assert client.get("/renamings/999999").status_code == 404


@pytest.mark.parametrize(
    "args, query",
    [
        ((), ""),
        (("--status", "announced"), "?status=announced"),
        (("--status", "approved", "--status", "announced"), "?status=approved&status=announced"),
    ],
)
def test_list_is_the_same_from_the_command_line_and_the_web(under_way, args, query):
    url, client, _first, _second = under_way
    by_cli = json.loads(_cli(url, "names", "renaming", "list", *args, "--format", "json").output)
    sep = "&" if query else "?"
    resp = client.get(f"/renamings/{query}{sep}format=json")
    assert resp.status_code == 200
    assert resp.get_json() == by_cli
    page = client.get(f"/renamings/{query}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    shown = [int(i) for i in re.findall(r'<tr data-id="(\d+)">', html)]
    assert shown == [r["id"] for r in by_cli]
    for r in by_cli:
        assert r["new_name"] in html and r["old_name"] in html


def test_show_is_the_same_from_the_command_line_and_the_web(under_way):
    url, client, first, second = under_way
    for rid in (first, second):
        by_cli = json.loads(_cli(url, "names", "renaming", "show", str(rid), "--format", "json").output)
        assert client.get(f"/renamings/{rid}?format=json").get_json() == by_cli
        html = client.get(f"/renamings/{rid}").get_data(as_text=True)
        assert f"{by_cli['old_name']} → {by_cli['new_name']}" in html
        assert (by_cli["approval_doc_no"] or "") in html


def test_the_renamings_pages_are_for_officers(under_way, app):
    _url, client, first, _second = under_way
    other = app.test_client()
    login(other, "sign_maintainer")
    assert other.get("/renamings/").status_code == 403
    assert other.get(f"/renamings/{first}?format=json").status_code == 403
    assert client.get("/renamings/?status=finished&format=json").status_code == 422
