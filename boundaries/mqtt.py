"""MQTT subscriber for smart-marker telemetry (paho-mqtt): each message goes through ``ingest``."""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter
from collections.abc import Callable
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from sqlalchemy.orm import Session

from boundaries.alarms import AlarmRules
from boundaries.telemetry import ingest
from gis.errors import InvalidInput

log = logging.getLogger(__name__)
MAX_PAYLOAD = 256 * 1024


def parse_mqtt_url(url: str) -> tuple[str, int, str]:
    """``mqtt://host:port/topic/#`` -> (host, port, topic filter)."""
    parts = urlsplit(url)
    if parts.scheme != "mqtt" or not parts.hostname:
        raise InvalidInput(f"MQTT_URL must look like mqtt://host:1883/wuhai/markers/#, got {url[:80]!r}")
    path = parts.path + ("#" + parts.fragment if "#" in url else "")  # '#' is MQTT's wildcard, not a fragment
    topic = path.lstrip("/") or "wuhai/markers/#"
    return parts.hostname, parts.port or 1883, topic


class TelemetrySubscriber:
    """Subscribe to a topic filter and ingest every message (JSON object or list, with a ``token`` field).

    Parameters
    ----------
    session_factory
        Makes a new Session per message (e.g. ``gis.db.make_session_factory(engine)``).
    host, port, topic
        Broker and topic filter.
    rules
        Alarm thresholds.
    """

    def __init__(
        self,
        session_factory: Callable[[], Session],
        *,
        host: str = "127.0.0.1",
        port: int = 1883,
        topic: str = "wuhai/markers/#",
        rules: AlarmRules | None = None,
        client_id: str = "",
    ) -> None:
        self.session_factory = session_factory
        self.host, self.port, self.topic = host, port, topic
        self.rules = rules or AlarmRules.from_settings()
        self.stats: Counter = Counter()
        self.subscribed = threading.Event()
        self._lock = threading.Lock()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message

    def start(self) -> None:
        """Connect and process messages in paho's network thread."""
        self.client.connect(self.host, self.port, keepalive=30)
        self.client.loop_start()

    def stop(self) -> None:
        """Disconnect and stop the network thread."""
        self.client.disconnect()
        self.client.loop_stop()

    def handle(self, payload: bytes) -> dict:
        """Ingest one raw MQTT payload; returns the ingest result as a dict."""
        with self._lock, self.session_factory() as session:
            data, token, error = _decode(payload)
            result = ingest(session, data, token=token, channel="mqtt", rules=self.rules)
            if error:
                result.errors.insert(0, error)
            session.commit()
        self.stats["accepted"] += result.accepted
        for reason, n in result.refused.items():
            self.stats[reason] += n
        return result.as_dict()

    def _on_connect(self, client, _userdata, _flags, reason_code, _properties) -> None:
        if reason_code.is_failure:
            log.error("MQTT connect to %s:%s failed: %s", self.host, self.port, reason_code)
            return
        client.subscribe(self.topic, qos=1)

    def _on_subscribe(self, _client, _userdata, _mid, _reason_codes, _properties) -> None:
        self.subscribed.set()

    def _on_message(self, _client, _userdata, message) -> None:
        try:
            self.handle(message.payload)
        except Exception:  # keep the subscriber alive; the database error is logged
            log.exception("telemetry message on %s could not be stored", message.topic)
            self.stats["error"] += 1


def _decode(payload: bytes) -> tuple[object, str, str | None]:
    """Split a payload into (message or batch, token); bad JSON becomes a malformed message."""
    if len(payload) > MAX_PAYLOAD:
        return None, "", "payload too large"
    try:
        data = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, "", f"not UTF-8 JSON: {exc}"
    if isinstance(data, dict) and "messages" in data:
        token = data.get("token")
        return data.get("messages"), token if isinstance(token, str) else "", None
    if isinstance(data, dict):
        token = data.pop("token", "")
        return data, token if isinstance(token, str) else "", None
    return data, "", None
