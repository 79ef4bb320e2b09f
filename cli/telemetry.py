"""``wuhai-gis boundaries telemetry|alarms ...``: smart-marker telemetry, device tokens and alarms."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from boundaries import alarms
from boundaries import telemetry
from boundaries import usecases
from boundaries.alarms import AlarmRules
from cli.context import CliContext
from cli.context import emit
from cli.context import format_option
from cli.context import pass_cli
from cli.context import table
from gis import settings
from gis.db import make_session_factory


@click.group("telemetry")
def telemetry_group() -> None:
    """Smart-marker telemetry: ingest, MQTT subscriber, tokens and refusal counters."""


@telemetry_group.command("ingest")
@click.argument("payload_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--token", required=True, envvar="WUHAI_DEVICE_TOKEN", help="The device token.")
@format_option
@pass_cli
def ingest_cmd(cli: CliContext, payload_file: str, token: str, fmt: str) -> None:
    """Ingest a JSON message or batch from a file (the same path as the HTTP endpoint).

    Exits non-zero when any message was refused; the error's details hold the report.
    """
    body = Path(payload_file).read_bytes()
    with cli.session() as s:
        result = telemetry.receive(s, body, token=token, channel="http", strict=True)
    emit(result.as_dict(), fmt, lambda r: f"accepted {r['accepted']}, refused {r['refused'] or 'none'}")


@telemetry_group.command("subscribe")
@click.option(
    "--url", default=lambda: settings.get("MQTT_URL"), help="mqtt://host:port/topic/# (default MQTT_URL)."
)
@click.option("--seconds", type=float, default=None, help="Stop after this long (default: run until Ctrl-C).")
@click.option(
    "--evaluate-every", type=float, default=60.0, show_default=True, help="Run the alarm rules every N s."
)
@pass_cli
def subscribe_cmd(cli: CliContext, url: str | None, seconds: float | None, evaluate_every: float) -> None:
    """Subscribe to the broker and ingest telemetry (payload: message or {messages, token} with a token field)."""
    from boundaries.mqtt import TelemetrySubscriber
    from boundaries.mqtt import parse_mqtt_url

    if not url:
        raise click.ClickException("no broker: set MQTT_URL or pass --url")
    host, port, topic = parse_mqtt_url(url)
    factory = make_session_factory(cli.engine)
    sub = TelemetrySubscriber(factory, host=host, port=port, topic=topic)
    sub.start()
    click.echo(f"subscribed to {topic} on {host}:{port}", err=True)
    start = last_eval = time.monotonic()
    try:
        while seconds is None or time.monotonic() - start < seconds:
            time.sleep(0.5)
            if time.monotonic() - last_eval >= evaluate_every:
                with factory() as s:
                    alarms.evaluate(s, rules=sub.rules)
                    s.commit()
                last_eval = time.monotonic()
    except KeyboardInterrupt:
        pass
    finally:
        sub.stop()
    click.echo(json.dumps(dict(sub.stats)), err=True)


@telemetry_group.command("token")
@click.argument("device_id")
@format_option
@pass_cli
def token_cmd(cli: CliContext, device_id: str, fmt: str) -> None:
    """Issue a new token for a device (printed once; only its hash is stored)."""
    with cli.session() as s:
        token = usecases.rotate_token(s, cli.actor, device_id)
        s.commit()
    emit({"device_id": device_id, "token": token}, fmt, lambda r: r["token"])


@telemetry_group.command("register")
@click.argument("device_id")
@click.option("--marker", "number", required=True, help="Marker number the device is fitted to.")
@format_option
@pass_cli
def register_cmd(cli: CliContext, device_id: str, number: str, fmt: str) -> None:
    """Attach a device to a marker and print its token (once)."""
    with cli.session() as s:
        _dev, token = usecases.register_device(s, cli.actor, device_id=device_id, marker_number=number)
        s.commit()
    emit({"device_id": device_id, "marker": number, "token": token}, fmt, lambda r: r["token"])


@telemetry_group.command("counts")
@format_option
@pass_cli
def counts_cmd(cli: CliContext, fmt: str) -> None:
    """Stored messages and refused messages per reason."""
    with cli.session() as s:
        result = {"stored": telemetry.telemetry_count(s), "refused": telemetry.reject_counts(s)}
    emit(
        result,
        fmt,
        lambda r: f"stored {r['stored']}; refused " + ", ".join(f"{k} {v}" for k, v in r["refused"].items()),
    )


@click.group("alarms", invoke_without_command=True)
@click.option("--state", type=click.Choice(["open", "acknowledged", "closed"]))
@format_option
@click.pass_context
def alarms_group(ctx: click.Context, state: str | None, fmt: str) -> None:
    """Smart-marker alarms (without a sub-command: list them)."""
    if ctx.invoked_subcommand:
        return
    cli = ctx.find_object(CliContext) or CliContext()
    with cli.session() as s:
        rows = alarms.list_alarms(s, state=state)
    emit(rows, fmt, lambda rs: table(rs, ["id", "device_id", "rule", "value", "raised_at", "state"]))


@alarms_group.command("evaluate")
@format_option
@pass_cli
def evaluate_cmd(cli: CliContext, fmt: str) -> None:
    """Run the alarm rules now (tilt, displacement, battery on the latest message; silence)."""
    with cli.session() as s:
        start = time.perf_counter()
        raised = alarms.evaluate(s, rules=AlarmRules.from_settings())
        s.commit()
        rows = [{"id": a.id, "device_id": a.device_id, "rule": a.rule, "value": a.value} for a in raised]
    emit(
        {"raised": rows, "seconds": round(time.perf_counter() - start, 3)},
        fmt,
        lambda r: f"{len(r['raised'])} alarm(s) raised in {r['seconds']} s\n" + table(r["raised"]),
    )


def _transition(
    cli: CliContext, act: str, alarm_id: int, note: str | None, expected_version: int | None, fmt: str
) -> None:
    with cli.session() as s:
        a = usecases.ALARM_ACTS[act](s, cli.actor, alarm_id, note=note, expected_version=expected_version)
        s.commit()
        emit(
            {"id": a.id, "state": a.state, "history": a.history, "version": a.version},
            fmt,
            lambda r: f"alarm {r['id']} {r['state']}",
        )


@alarms_group.command("ack")
@click.argument("alarm_id", type=int)
@click.option("--note")
@click.option("--expected-version", type=int, help="Refuse if the alarm changed since this version.")
@format_option
@pass_cli
def ack_cmd(cli: CliContext, alarm_id: int, note: str | None, expected_version: int | None, fmt: str) -> None:
    """Acknowledge an alarm."""
    _transition(cli, "acknowledge", alarm_id, note, expected_version, fmt)


@alarms_group.command("close")
@click.argument("alarm_id", type=int)
@click.option("--note")
@click.option("--expected-version", type=int, help="Refuse if the alarm changed since this version.")
@format_option
@pass_cli
def close_cmd(
    cli: CliContext, alarm_id: int, note: str | None, expected_version: int | None, fmt: str
) -> None:
    """Close an alarm."""
    _transition(cli, "close", alarm_id, note, expected_version, fmt)
