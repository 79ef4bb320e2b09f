"""The boundaries pages' and the telemetry endpoint's answers: stored, refused, 404/409/422, never 500."""
# ruff: noqa: F811  (pytest fixtures imported from web_fixtures are redefined as arguments)

from __future__ import annotations

import itertools
import json
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlalchemy import select
from web_fixtures import app  # noqa: F401
from web_fixtures import client  # noqa: F401
from web_fixtures import login
from web_fixtures import web_db  # noqa: F401

from boundaries import alarms
from boundaries import store
from boundaries import telemetry
from boundaries.models import MarkerAlarm
from boundaries.models import MarkerTelemetry
from webmap.db import get_session

URL = "/api/telemetry"
NOW = datetime.now(UTC).replace(microsecond=0)
SEQ = itertools.count(1)


@pytest.fixture
def device(app):
    """A device fitted to marker HN001Q; yields its token."""
    with app.app_context():
        s = get_session()
        marker = store.marker_by_number(s, "HN001Q")
        _dev, token = telemetry.register_device(s, actor="test", device_id="SM-WEB-1", marker_id=marker.id)
        s.commit()
    return token


def message(minutes_ago: int, **over) -> dict:
    base = {
        "device_id": "SM-WEB-1",
        "seq": next(SEQ),
        "ts": (NOW - timedelta(minutes=minutes_ago)).isoformat(),
        "lon": 106.80,
        "lat": 39.62,
        "tilt_deg": 0.5,
        "battery_pct": 90.0,
    }
    return {**base, **over}


def post(client, body, token: str | None):
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    data = body if isinstance(body, bytes) else json.dumps(body)
    return client.post(URL, data=data, headers=headers, content_type="application/json")


def stored(app) -> int:
    with app.app_context():
        return int(get_session().scalar(select(func.count()).select_from(MarkerTelemetry)))


def test_a_batch_is_stored_and_answered_as_json(client, app, device):
    resp = post(client, [message(i) for i in range(3, 0, -1)], device)
    assert resp.status_code == 200 and resp.is_json
    assert resp.json == {"accepted": 3, "refused": {}, "errors": [], "alarms": []}
    one = post(client, message(10, tilt_deg=30.0), device)
    assert one.status_code == 200 and one.json["accepted"] == 1 and len(one.json["alarms"]) == 1
    assert stored(app) == 4


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_a_wrong_or_missing_token_is_refused_and_counted(client, app, device, token):
    resp = post(client, message(1), token)
    assert resp.status_code in (401, 403) and resp.mimetype == "application/problem+json"
    assert resp.json["type"] == "urn:wuhai-gis:error:forbidden"
    assert stored(app) == 0
    with app.app_context():
        assert telemetry.reject_counts(get_session())["unauthenticated"] == 1


def test_a_replay_is_refused(client, app, device):
    batch = [message(2), message(1)]
    assert post(client, batch, device).status_code == 200
    again = post(client, batch, device)
    assert again.status_code == 409 and again.json["type"] == "urn:wuhai-gis:error:conflict"
    partly = post(client, [message(1), message(0)], device)
    assert partly.status_code == 200 and partly.json["accepted"] == 1
    assert partly.json["refused"] == {"replay": 1}
    assert stored(app) == 3


def test_a_replay_with_its_timestamp_moved_is_refused_and_counted(client, app, device):
    first = message(5)
    assert post(client, first, device).status_code == 200
    moved = dict(first, ts=(NOW - timedelta(minutes=5) + timedelta(milliseconds=1)).isoformat())
    again = post(client, moved, device)
    assert again.status_code == 409 and again.json["details"][0]["refused"] == {"replay": 1}
    signed = message(4)
    signed["sig"] = telemetry.sign(signed, device)
    assert post(client, signed, device).status_code == 200
    forged = dict(signed, seq=next(SEQ), tilt_deg=60.0)
    assert post(client, forged, device).status_code == 403
    assert stored(app) == 2
    with app.app_context():
        counts = telemetry.reject_counts(get_session())
    assert (counts["replay"], counts["unauthenticated"]) == (1, 1)


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"\xff\xfe",
        b"[]",
        json.dumps("a string").encode(),
        json.dumps(message(1, tilt_deg="1; DROP TABLE marker_telemetry")).encode(),
        json.dumps(message(1, extra="<script>")).encode(),
        json.dumps(message(1, seq=-1)).encode(),
        json.dumps(message(1, seq=10**30)).encode(),
        json.dumps(message(1, lon=39.62, lat=106.80)).encode(),
        json.dumps(message(-90)).encode(),
        json.dumps([message(1)] * (telemetry.MAX_BATCH + 1)).encode(),
    ],
)
def test_a_malformed_or_forged_body_is_422(client, app, device, body):
    resp = post(client, body, device)
    assert resp.status_code == 422 and resp.mimetype == "application/problem+json"
    assert resp.json["detail"].startswith("nothing stored")
    assert stored(app) == 0


def test_the_endpoint_needs_no_login_or_csrf_token(app, device):
    app.config["WTF_CSRF_ENABLED"] = True
    resp = post(app.test_client(), message(1), device)
    assert resp.status_code == 200


def _alarm(app) -> tuple[int, int]:
    with app.app_context():
        s = get_session()
        marker = store.marker_by_number(s, "HN002Q")
        telemetry.register_device(s, actor="test", device_id="SM-WEB-2", marker_id=marker.id)
        alarm = alarms.raise_alarm(
            s, device_id="SM-WEB-2", marker_id=marker.id, rule="tilt", value=9.0, at=datetime.now(UTC)
        )
        s.commit()
        return alarm.id, alarm.version


def test_acknowledging_an_alarm_with_a_stale_version_is_409(client, app):
    alarm_id, version = _alarm(app)
    login(client, "boundary_inspector")
    ok = client.post(f"/boundaries/alarms/{alarm_id}/acknowledge", data={"version": str(version)})
    assert ok.status_code == 302
    stale = client.post(f"/boundaries/alarms/{alarm_id}/close", data={"version": str(version)})
    assert stale.status_code == 409 and "reload and retry" in stale.get_data(as_text=True)
    as_json = client.post(
        f"/boundaries/alarms/{alarm_id}/close",
        data={"version": str(version)},
        headers={"Accept": "application/json"},
    )
    assert as_json.status_code == 409 and as_json.json["current_version"] == version + 1
    again = client.post(f"/boundaries/alarms/{alarm_id}/acknowledge", data={"version": str(version + 1)})
    assert again.status_code == 422 and "cannot move it to acknowledged" in again.get_data(as_text=True)
    with app.app_context():
        assert get_session().get(MarkerAlarm, alarm_id).state == "acknowledged"
    assert client.post("/boundaries/alarms/999999/close", data={"version": "1"}).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/boundaries/rounds/999999/report?format=pdf",
        "/boundaries/rounds/999999/report",
        "/boundaries/rounds/999999",
        "/boundaries/rounds/999999/map",
        "/boundaries/rounds/999999/markers/HN001Q",
        "/boundaries/rounds/99999999999999999999999/report?format=pdf",
    ],
)
def test_a_missing_round_is_404(client, path):
    login(client, "boundary_inspector")
    assert client.get(path).status_code == 404


def test_a_refused_step_shows_the_form_again(client, app):
    from boundaries import inspections

    with app.app_context():
        s = get_session()
        rid = inspections.create_round(
            s, actor="test", line_code="150302-150303", round_no=1, title="联检", parties=["甲", "乙"]
        ).id
        s.commit()
    login(client, "boundary_inspector")
    early = client.post(f"/boundaries/rounds/{rid}/markers/HN001Q", data={"condition": "intact"})
    assert early.status_code == 422 and "has not started" in early.get_data(as_text=True)
    assert client.post(f"/boundaries/rounds/{rid}/complete").status_code == 422
    assert client.post(f"/boundaries/rounds/{rid}/start").status_code == 302
    assert client.post(f"/boundaries/rounds/{rid}/start").status_code == 422
