"""Smart-marker telemetry: ingest validation, refusal counters, replay, alarms (both backends)."""

from __future__ import annotations

import json
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest
from shapely.geometry import LineString
from sqlalchemy import select

from boundaries import alarms
from boundaries import store
from boundaries import telemetry
from boundaries.alarms import AlarmRules
from boundaries.models import MarkerDevice
from boundaries.models import MarkerTelemetry

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
LON, LAT = 106.85, 39.60


def make_device(session, device_id="SM-0001"):
    line = store.save_line(
        session,
        actor="tester",
        values={
            "code": "150302150303",
            "name": "海勃湾区—海南区界线",
            "line_code": "150302150303",
            "line_name": "海勃湾区—海南区界线",
            "level": "district",
            "left_code": "150302000000",
            "left_name": "海勃湾区",
            "right_code": "150303000000",
            "right_name": "海南区",
        },
        geometry=LineString([(LON, LAT - 0.01), (LON, LAT + 0.01)]),
    )
    marker = store.add_marker(
        session, actor="tester", number="150302150303001Q", line_id=line.id, lon=LON, lat=LAT
    )
    device, token = telemetry.register_device(
        session, actor="tester", device_id=device_id, marker_id=marker.id
    )
    return device, token


def msg(i=0, **over):
    base = {
        "device_id": "SM-0001",
        "seq": i,
        "ts": (NOW - timedelta(minutes=60 - i)).isoformat(),
        "lon": LON,
        "lat": LAT,
        "tilt_deg": 0.5,
        "battery_pct": 90.0,
        "vibration": 0.1,
    }
    base.update(over)
    return base


def test_ingest_stores_and_hashes_token(session):
    device, token = make_device(session)
    assert token not in device.token_hash and device.token_hash.startswith("sha256:")
    result = telemetry.ingest(session, [msg(i) for i in range(5)], token=token, now=NOW)
    assert (result.accepted, dict(result.refused)) == (5, {})
    assert telemetry.telemetry_count(session, device_id="SM-0001") == 5
    last = session.scalar(select(MarkerDevice.last_seen).where(MarkerDevice.device_id == "SM-0001"))
    assert last.replace(tzinfo=UTC) == NOW - timedelta(minutes=56)
    row = session.scalar(select(MarkerTelemetry).where(MarkerTelemetry.device_id == "SM-0001").limit(1))
    assert row.displacement_m == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize(
    ("payload", "token_ok", "reason"),
    [
        (msg(tilt_deg=120), True, "out_of_range"),
        (msg(battery_pct=-1), True, "out_of_range"),
        (msg(lon=39.6, lat=106.85), True, "out_of_range"),
        (msg(ts="2026-06-01T11:00:00"), True, "malformed"),
        (msg(ts=(NOW + timedelta(hours=1)).isoformat()), True, "out_of_range"),
        (msg(tilt_deg="1; DROP TABLE marker_telemetry"), True, "malformed"),
        (msg(extra="<script>"), True, "malformed"),
        ({k: v for k, v in msg().items() if k != "seq"}, True, "malformed"),
        (msg(seq=-1), True, "malformed"),
        (msg(seq=2**63), True, "malformed"),
        (msg(seq=True), True, "malformed"),
        (msg(seq=1.5), True, "malformed"),
        (msg(sig="not hex"), True, "malformed"),
        (msg(sig="0" * 64), True, "unauthenticated"),
        (msg(tilt_deg=float("nan")), True, "malformed"),
        ("not an object", True, "malformed"),
        (msg(), False, "unauthenticated"),
        (msg(device_id="SM-9999"), True, "unauthenticated"),
    ],
)
def test_bad_messages_are_refused_and_counted(session, payload, token_ok, reason):
    _device, token = make_device(session)
    before = telemetry.reject_counts(session)[reason]
    result = telemetry.ingest(session, payload, token=token if token_ok else "wrong-token", now=NOW)
    assert result.accepted == 0 and result.refused == {reason: 1}
    assert telemetry.reject_counts(session)[reason] == before + 1
    assert telemetry.telemetry_count(session) == 0


def test_replay_is_refused_and_not_double_counted(session):
    _device, token = make_device(session)
    assert telemetry.ingest(session, [msg(0), msg(1)], token=token, now=NOW).accepted == 2
    again = telemetry.ingest(session, [msg(1), msg(2)], token=token, now=NOW)
    assert again.accepted == 1 and again.refused == {"replay": 1}
    assert telemetry.telemetry_count(session) == 3
    assert telemetry.reject_counts(session)["replay"] == 1


def test_alarm_rules_and_life_cycle(session):
    device, token = make_device(session)
    rules = AlarmRules(tilt_deg=5, displacement_m=1.0, silence=timedelta(hours=2), battery_pct=20)
    moved = LAT + 0.0001  # about 11 m north
    result = telemetry.ingest(
        session,
        [msg(0, tilt_deg=12.0, lat=moved), msg(1, tilt_deg=13.0, battery_pct=10)],
        token=token,
        now=NOW,
        rules=rules,
    )
    assert result.accepted == 2
    open_rules = sorted(a["rule"] for a in alarms.list_alarms(session, state="open"))
    assert open_rules == ["battery", "displacement", "tilt"]  # one tilt alarm, not two
    disp = next(a for a in alarms.list_alarms(session) if a["rule"] == "displacement")
    assert 10 < disp["value"] < 12.5
    raised = alarms.evaluate(session, now=NOW + timedelta(hours=5), rules=rules)
    assert [a.rule for a in raised] == ["silence"]
    tilt = next(a for a in alarms.list_alarms(session) if a["rule"] == "tilt")
    alarms.acknowledge(session, actor="inspector", alarm_id=tilt["id"], note="team sent")
    with pytest.raises(ValueError, match="cannot move it to acknowledged"):
        alarms.acknowledge(session, actor="inspector", alarm_id=tilt["id"])
    closed = alarms.close(session, actor="inspector", alarm_id=tilt["id"], note="re-erected")
    assert [h["state"] for h in closed.history] == ["open", "acknowledged", "closed"]
    assert closed.acknowledged_by == "inspector" and closed.closed_by == "inspector"
    telemetry.ingest(session, msg(30, tilt_deg=20.0), token=token, now=NOW, rules=rules)
    assert len([a for a in alarms.list_alarms(session, state="open") if a["rule"] == "tilt"]) == 1


def test_token_rotation(session):
    _device, token = make_device(session)
    new = telemetry.issue_token(session, actor="admin", device_id="SM-0001")
    assert telemetry.ingest(session, msg(0), token=token, now=NOW).refused == {"unauthenticated": 1}
    assert telemetry.ingest(session, msg(0), token=new, now=NOW).accepted == 1


def test_replay_with_a_moved_timestamp_is_refused(session):
    _device, token = make_device(session)
    first = msg(5)
    assert telemetry.ingest(session, first, token=token, now=NOW).accepted == 1
    moved = dict(first, ts=(datetime.fromisoformat(first["ts"]) + timedelta(milliseconds=1)).isoformat())
    again = telemetry.ingest(session, moved, token=token, now=NOW)
    assert again.accepted == 0 and again.refused == {"replay": 1}
    older = telemetry.ingest(
        session, msg(4, ts=(NOW - timedelta(minutes=1)).isoformat()), token=token, now=NOW
    )
    assert older.refused == {"out_of_order": 1}
    assert telemetry.telemetry_count(session) == 1
    counts = telemetry.reject_counts(session)
    assert (counts["replay"], counts["out_of_order"]) == (1, 1)


def test_reordering_inside_a_batch_is_refused(session):
    _device, token = make_device(session)
    result = telemetry.ingest(session, [msg(1), msg(3), msg(2), msg(4)], token=token, now=NOW)
    assert (result.accepted, dict(result.refused)) == (3, {"out_of_order": 1})
    assert session.scalar(select(MarkerDevice.last_seq)) == 4


def test_signed_messages(session):
    _device, token = make_device(session)
    good = msg(1)
    good["sig"] = telemetry.sign(good, token)
    assert telemetry.ingest(session, good, token=token, now=NOW).accepted == 1
    forged = msg(2, tilt_deg=40.0)
    forged["sig"] = good["sig"]
    assert telemetry.ingest(session, forged, token=token, now=NOW).refused == {"unauthenticated": 1}
    tampered = msg(3)
    tampered["sig"] = telemetry.sign(tampered, token)
    tampered["tilt_deg"] = 45.0
    assert telemetry.ingest(session, tampered, token=token, now=NOW).refused == {"unauthenticated": 1}
    assert telemetry.telemetry_count(session) == 1


def test_receive_strict_refuses_a_partly_refused_request(session, monkeypatch):
    from gis.errors import Conflict

    monkeypatch.setattr(session, "commit", session.flush)  # the fixture's transaction is rolled back
    _device, token = make_device(session)
    body = json.dumps([msg(1), msg(1)])
    with pytest.raises(Conflict) as err:
        telemetry.receive(session, body, token=token, now=NOW, strict=True)
    report = err.value.details[0]
    assert (report["accepted"], report["refused"]) == (1, {"replay": 1})
    assert telemetry.telemetry_count(session) == 1


def test_http_status_suggestion():
    from collections import Counter

    assert telemetry.IngestResult(accepted=2, refused=Counter(replay=1)).http_status == 200
    assert telemetry.IngestResult(refused=Counter(unauthenticated=1, malformed=2)).http_status == 401
    assert telemetry.IngestResult(refused=Counter(replay=3)).http_status == 409
    assert telemetry.IngestResult(refused=Counter(out_of_order=1)).http_status == 409
    assert telemetry.IngestResult(refused=Counter(out_of_range=1)).http_status == 422


def test_duplicate_inside_one_batch_is_a_replay(session):
    _device, token = make_device(session)
    result = telemetry.ingest(session, [msg(3), msg(3, ts=msg(4)["ts"]), msg(5)], token=token, now=NOW)
    assert (result.accepted, dict(result.refused)) == (2, {"replay": 1})
    assert telemetry.telemetry_count(session) == 2


def test_batch_limits(session):
    _device, token = make_device(session)
    assert telemetry.ingest(session, [], token=token, now=NOW).refused == {"malformed": 1}
    big = [msg(0)] * (telemetry.MAX_BATCH + 1)
    assert telemetry.ingest(session, big, token=token, now=NOW).refused == {
        "too_many": telemetry.MAX_BATCH + 1
    }
    assert telemetry.telemetry_count(session) == 0


def test_cli_ingest_exits_non_zero_when_anything_was_refused(fresh_db_url, tmp_path):
    from click.testing import CliRunner

    from cli.main import main
    from gis.db import make_engine
    from gis.db import make_session_factory

    engine = make_engine(fresh_db_url)
    with make_session_factory(engine)() as s:
        _device, token = make_device(s)
        s.commit()
    engine.dispose()
    now = datetime.now(UTC)
    first = msg(1, ts=(now - timedelta(minutes=2)).isoformat())
    moved = dict(first, ts=(now - timedelta(minutes=2) + timedelta(milliseconds=1)).isoformat())
    second = msg(2, ts=(now - timedelta(minutes=1)).isoformat())

    def ingest(payload, *extra):
        path = tmp_path / "batch.json"
        path.write_text(json.dumps(payload), encoding="utf-8")
        args = [
            "--database-url",
            fresh_db_url,
            "--actor",
            "t",
            "boundaries",
            "telemetry",
            "ingest",
            str(path),
        ]
        return CliRunner().invoke(main, [*args, "--token", token, *extra])

    ok = ingest([first], "--format", "json")
    assert ok.exit_code == 0 and json.loads(ok.output)["accepted"] == 1
    partly = ingest([moved, second], "--format", "json")
    assert partly.exit_code == 4, partly.output
    error = json.loads(partly.output)["error"]
    assert error["kind"] == "conflict"
    assert (error["details"][0]["accepted"], error["details"][0]["refused"]) == (1, {"replay": 1})
    again = ingest([second])
    assert again.exit_code == 4 and "nothing stored" in again.output
