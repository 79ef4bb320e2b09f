"""Editing a sign's text, romanization, Mongolian form and condition from the command line, as on the web."""

from __future__ import annotations

import json

WORD = "\u1820\u1837\u1820\u1833"  # test letters, not a real form


def test_edit_sign_texts_and_condition_from_both_front_ends(twins):
    sid = twins.ids["sign1"]
    twins.cli("signs", "edit", str(sid), "--text-zh", "人民路", "--text-romanized", "RENMIN LU",
              "--text-mongolian", f" {WORD} ", "--condition", "damaged", "--reason", "换牌", "--version", "1",
              actor="sign_maintainer")  # fmt: skip
    web = twins.web("sign_maintainer")
    resp = web.post(f"/signs/{sid}", data={"version": "1", "text_zh": "人民路", "text_romanized": "RENMIN LU",
                                           "text_mongolian": f" {WORD} ", "condition": "damaged", "reason": "换牌"})  # fmt: skip
    assert resp.status_code == 302
    rows = twins.assert_same(["sign"])
    edited = next(r for r in rows["sign"] if r["id"] == sid)
    assert edited["text_mongolian"] == WORD and edited["condition"] == "damaged" and edited["version"] == 2
    page = web.get(f"/signs/{sid}").get_data(as_text=True)
    assert "rotate(90)" in page and "Noto Sans Mongolian" in page  # the face shows the form vertically


def test_edit_sign_refusals(twins):
    sid = twins.ids["sign1"]
    stale = twins.cli("signs", "edit", str(sid), "--condition", "worn", "--version", "9", "--format", "json",
                      actor="sign_maintainer", ok=False)  # fmt: skip
    assert stale.exit_code == 4 and json.loads(stale.output)["error"]["kind"] == "stale_version"
    mixed = twins.cli("signs", "edit", str(sid), "--text-mongolian", f"{WORD} Lu", "--version", "1",
                      "--format", "json", actor="sign_maintainer", ok=False)  # fmt: skip
    error = json.loads(mixed.output)["error"]
    assert (
        mixed.exit_code == 1 and "text_mongolian" in error["message"] and "mixes scripts" in error["message"]
    )
    web = twins.web("sign_maintainer")
    resp = web.post(f"/signs/{sid}", data={"version": "1", "text_mongolian": "Renmin"})
    assert resp.status_code == 422 and "text_mongolian" in resp.get_data(as_text=True)
    assert web.post(f"/signs/{sid}", data={"version": "7", "condition": "worn"}).status_code == 409
    assert web.post("/signs/999999", data={"version": "1", "condition": "worn"}).status_code == 404
