"""``wuhai-gis boundaries ...`` end to end on a fresh database (both backends)."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC
from datetime import datetime
from datetime import timedelta

from _bounds_world import build
from click.testing import CliRunner

from boundaries import store
from boundaries import telemetry
from cli.main import main
from gis.db import make_engine
from gis.db import make_session_factory


def run(url, *args, ok=True):
    result = CliRunner().invoke(main, ["--database-url", url, "--actor", "cli-test", "boundaries", *args])
    if ok:
        assert result.exit_code == 0, result.output + str(result.exception)
    return result


def test_cli_end_to_end(fresh_db_url, tmp_path):
    engine = make_engine(fresh_db_url)
    with make_session_factory(engine)() as s:
        build(s)
        marker = store.marker_by_number(s, "1564001Q")
        _dev, token = telemetry.register_device(s, actor="t", device_id="SM-CLI-1", marker_id=marker.id)
        s.commit()
    engine.dispose()

    lines = json.loads(run(fresh_db_url, "lines", "--format", "json").output)
    assert [(x["code"], x["level"], x["parties"], round(x["length_km"], 1)) for x in lines] == [
        ("150302-150303", "district", ["海勃湾区", "海南区"], 11.1),
        ("150303-640205", "provincial", ["海南区", "惠农区"], 11.1),
    ]

    report = json.loads(
        run(fresh_db_url, "validate", "--format", "json", "--geojson", str(tmp_path / "f.geojson")).output
    )
    assert report["ok"] and report["checked"] == {"divisions": 3, "lines": 2, "markers": 4}
    refused = run(
        fresh_db_url,
        "add-marker",
        "1564005Q",
        "--line",
        "150303-640205",
        "--lon",
        "106.91",
        "--lat",
        "39.59",
        ok=False,
    )
    assert refused.exit_code == 1 and "859 m from its line" in refused.output
    run(
        fresh_db_url,
        "add-marker",
        "1564005Q",
        "--line",
        "150303-640205",
        "--lon",
        "106.91",
        "--lat",
        "39.59",
        "--justification",
        "界线待重新勘定",
    )
    bad = run(
        fresh_db_url,
        "add-marker",
        "1564006X",
        "--line",
        "150303-640205",
        "--lon",
        "106.9",
        "--lat",
        "39.59",
        ok=False,
    )
    assert bad.exit_code != 0 and "GB/T 17796" in bad.output
    report = json.loads(run(fresh_db_url, "validate", "--format", "json").output)
    assert not report["ok"]
    finding = report["findings"][0]
    assert (
        finding["properties"]["check"] == "marker_off_line" and finding["properties"]["subject"] == "1564005Q"
    )
    assert finding["geometry"]["type"] == "Point" and 800 < finding["properties"]["measure"] < 900

    legs = json.loads(run(fresh_db_url, "describe", "1564", "--format", "json").output)["legs"]
    assert [leg["direction"] for leg in legs] == ["西南", "南", "南", "南"] and legs[0]["from"] == "1564005Q"

    markers = json.loads(run(fresh_db_url, "markers", "--line", "1564", "--format", "json").output)
    assert len(markers) == 5

    rnd = json.loads(
        run(
            fresh_db_url,
            "rounds",
            "create",
            "--line",
            "1564",
            "--round-no",
            "5",
            "--title",
            "第五轮联检",
            "--party",
            "内蒙古自治区",
            "--party",
            "宁夏回族自治区",
            "--start",
            "2022-04-18",
            "--format",
            "json",
        ).output
    )
    rid = str(rnd["id"])
    run(fresh_db_url, "rounds", "start", rid)
    csv = tmp_path / "fixes.csv"
    csv.write_text(
        "number,lon,lat\n1564001Q,106.9,39.52\n1564002Q,106.90003,39.54\n1564003Q,106.9,39.56\n"
        "1564004Q,106.9,39.58\n1564005Q,106.91,39.59\n",
        encoding="utf-8",
    )
    recs = json.loads(run(fresh_db_url, "inspect", rid, "--file", str(csv), "--format", "json").output)
    assert [r["flagged"] for r in recs] == [False, True, False, False, False]
    for party in ("内蒙古自治区", "宁夏回族自治区"):
        run(fresh_db_url, "rounds", "sign", rid, "--party", party, "--signer", "组长", "--on", "2022-09-30")
    run(fresh_db_url, "rounds", "complete", rid, "--on", "2022-10-01")
    locked = run(fresh_db_url, "inspect", rid, "1564001Q", "--condition", "damaged", ok=False)
    assert "read-only" in locked.output
    due = {
        d["line_code"]: d
        for d in json.loads(run(fresh_db_url, "due", "--year", "2026", "--format", "json").output)
    }
    assert due["1564"]["due_year"] == 2027 and due["150302150303"]["due"]

    out = json.loads(
        run(fresh_db_url, "report", rid, "--out", str(tmp_path / "rep"), "--format", "json").output
    )
    pdf = (tmp_path / "rep" / f"inspection_round_{rid}.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    fonts = subprocess.run(
        ["pdffonts", str(tmp_path / "rep" / f"inspection_round_{rid}.pdf")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()[2:]
    cjk = [f for f in fonts if "Noto-Sans-CJK" in f]
    assert cjk and all(" yes yes yes " in f for f in fonts)  # every font embedded and subset
    html = (tmp_path / "rep" / f"inspection_round_{rid}.html").read_text(encoding="utf-8")
    assert "第五轮联检报告" in html and "1564002Q" in html and out["stats"]["flagged"] == 1

    msg = {
        "device_id": "SM-CLI-1",
        "ts": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
        "lon": 106.9,
        "lat": 39.52,
        "tilt_deg": 30.0,
        "battery_pct": 80,
        "seq": 1,
    }
    payload = tmp_path / "msg.json"
    payload.write_text(json.dumps(msg), encoding="utf-8")
    assert (
        json.loads(
            run(
                fresh_db_url, "telemetry", "ingest", str(payload), "--token", token, "--format", "json"
            ).output
        )["accepted"]
        == 1
    )
    forged = run(
        fresh_db_url, "telemetry", "ingest", str(payload), "--token", "nope", "--format", "json", ok=False
    )
    assert forged.exit_code == 5 and json.loads(forged.output)["error"]["kind"] == "forbidden"
    counts = json.loads(run(fresh_db_url, "telemetry", "counts", "--format", "json").output)
    assert counts["stored"] == 1 and counts["refused"]["unauthenticated"] == 1
    alarms = json.loads(run(fresh_db_url, "alarms", "--format", "json").output)
    assert [a["rule"] for a in alarms] == ["tilt"]
    run(fresh_db_url, "alarms", "ack", str(alarms[0]["id"]), "--note", "已派员")
    run(fresh_db_url, "alarms", "close", str(alarms[0]["id"]))
    assert (
        json.loads(run(fresh_db_url, "alarms", "--state", "closed", "--format", "json").output)[0]["history"][
            -1
        ]["state"]
        == "closed"
    )

    denied = run(fresh_db_url, "disputes", "--format", "json", ok=False)
    assert denied.exit_code != 0 and "visible only" in denied.output
    assert (
        json.loads(run(fresh_db_url, "disputes", "--role", "boundary_inspector", "--format", "json").output)
        == []
    )
