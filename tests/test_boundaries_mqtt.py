"""MQTT telemetry through the local Mosquitto broker (127.0.0.1:1883) into both backends."""

from __future__ import annotations

import json
import socket
import time
import uuid
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import paho.mqtt.client as mqtt
import pytest
from _bounds_world import build

from boundaries import telemetry
from boundaries.mqtt import TelemetrySubscriber
from boundaries.mqtt import parse_mqtt_url
from gis.db import make_engine
from gis.db import make_session_factory

BROKER = ("127.0.0.1", 1883)


def broker_up() -> bool:
    try:
        with socket.create_connection(BROKER, timeout=1):
            return True
    except OSError:
        return False


def test_parse_mqtt_url():
    assert parse_mqtt_url("mqtt://127.0.0.1:1884/wuhai/markers/#") == ("127.0.0.1", 1884, "wuhai/markers/#")
    assert parse_mqtt_url("mqtt://broker") == ("broker", 1883, "wuhai/markers/#")
    with pytest.raises(ValueError):
        parse_mqtt_url("http://x/y")


def test_subscriber_stores_good_and_counts_bad(fresh_db_url, request):
    if not broker_up():
        if request.config.getoption("--require-all-backends"):
            pytest.fail("Mosquitto is not running on 127.0.0.1:1883")
        pytest.skip("Mosquitto is not running on 127.0.0.1:1883")
    engine = make_engine(fresh_db_url)
    factory = make_session_factory(engine)
    with factory() as s:
        build(s)
        from boundaries import store

        marker = store.marker_by_number(s, "1564001Q")
        _dev, token = telemetry.register_device(s, actor="t", device_id="SM-MQTT-1", marker_id=marker.id)
        s.commit()
    prefix = f"test/{uuid.uuid4().hex}"
    sub = TelemetrySubscriber(factory, host=BROKER[0], port=BROKER[1], topic=f"{prefix}/#")
    sub.start()
    try:
        assert sub.subscribed.wait(10), "no SUBACK from the broker"
        now = datetime.now(UTC).replace(microsecond=0)
        msgs = [
            {
                "device_id": "SM-MQTT-1",
                "seq": i + 1,
                "ts": (now - timedelta(minutes=i)).isoformat(),
                "lon": 106.9,
                "lat": 39.52,
                "tilt_deg": 0.4,
                "battery_pct": 88.0,
            }
            for i in range(3)
        ]
        pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
        pub.connect(*BROKER)
        pub.loop_start()
        infos = [
            pub.publish(f"{prefix}/SM-MQTT-1", json.dumps({**msgs[0], "token": token}), qos=1),
            pub.publish(f"{prefix}/SM-MQTT-1", json.dumps({"token": token, "messages": msgs[1:]}), qos=1),
            pub.publish(f"{prefix}/SM-MQTT-1", json.dumps({**msgs[0], "token": token}), qos=1),  # older seq
            pub.publish(f"{prefix}/SM-MQTT-1", json.dumps({**msgs[0], "token": "forged"}), qos=1),
            pub.publish(f"{prefix}/SM-MQTT-1", b"\xff not json", qos=1),
        ]
        for info in infos:
            info.wait_for_publish(10)
        pub.loop_stop()
        pub.disconnect()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and sum(sub.stats.values()) < 6:
            time.sleep(0.1)
    finally:
        sub.stop()
    assert dict(sub.stats) == {"accepted": 3, "out_of_order": 1, "unauthenticated": 1, "malformed": 1}
    with factory() as s:
        assert telemetry.telemetry_count(s, device_id="SM-MQTT-1") == 3
        counts = telemetry.reject_counts(s)
        assert (counts["out_of_order"], counts["unauthenticated"], counts["malformed"]) == (1, 1, 1)
        from sqlalchemy import select

        from boundaries.models import MarkerTelemetry

        assert set(s.scalars(select(MarkerTelemetry.channel))) == {"mqtt"}
    engine.dispose()
