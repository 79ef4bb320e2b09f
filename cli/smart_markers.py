"""``wuhai-gis boundaries telemetry|alarms|disputes ...``: smart markers, alarms and the disputes register."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from boundaries import alarms
from boundaries import store
from boundaries import telemetry
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
    """Ingest a JSON message or batch from a file (the same path as the HTTP endpoint)."""
    try:
        payload = json.loads(Path(payload_file).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        payload = None
        click.echo(f"not UTF-8 JSON: {exc}", err=True)
    with cli.session() as s:
        result = telemetry.ingest(s, payload, token=token, rules=AlarmRules.from_settings())
        s.commit()
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
        try:
            token = telemetry.issue_token(s, actor=cli.actor, device_id=device_id)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
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
        try:
            marker = store.marker_by_number(s, number)
            _dev, token = telemetry.register_device(
                s, actor=cli.actor, device_id=device_id, marker_id=marker.id
            )
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
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


def _transition(cli: CliContext, fn, alarm_id: int, note: str | None, fmt: str) -> None:
    with cli.session() as s:
        try:
            a = fn(s, actor=cli.actor, alarm_id=alarm_id, note=note)
        except (ValueError, RuntimeError) as exc:
            raise click.ClickException(str(exc)) from exc
        s.commit()
        emit(
            {"id": a.id, "state": a.state, "history": a.history, "version": a.version},
            fmt,
            lambda r: f"alarm {r['id']} {r['state']}",
        )


@alarms_group.command("ack")
@click.argument("alarm_id", type=int)
@click.option("--note")
@format_option
@pass_cli
def ack_cmd(cli: CliContext, alarm_id: int, note: str | None, fmt: str) -> None:
    """Acknowledge an alarm."""
    _transition(cli, alarms.acknowledge, alarm_id, note, fmt)


@alarms_group.command("close")
@click.argument("alarm_id", type=int)
@click.option("--note")
@format_option
@pass_cli
def close_cmd(cli: CliContext, alarm_id: int, note: str | None, fmt: str) -> None:
    """Close an alarm."""
    _transition(cli, alarms.close, alarm_id, note, fmt)


@click.group("disputes", invoke_without_command=True)
@click.option(
    "--role",
    "roles",
    multiple=True,
    envvar="WUHAI_ROLES",
    help="Roles of the person asking (boundary_inspector, admin).",
)
@format_option
@click.pass_context
def disputes_group(ctx: click.Context, roles: tuple[str, ...], fmt: str) -> None:
    """The disputes register, visible only to boundary inspectors and administrators."""
    ctx.meta["roles"] = roles
    if ctx.invoked_subcommand:
        return
    cli = ctx.find_object(CliContext) or CliContext()
    with cli.session() as s:
        try:
            gdf = store.list_disputes(s, viewer_roles=roles)
        except PermissionError as exc:
            raise click.ClickException(str(exc)) from exc
    rows = [
        {
            "id": r.id,
            "title": r.title,
            "parties": r.parties,
            "status": r.status,
            "documents": r.documents,
            "actions": r.actions,
            "geometry_type": r.geometry.geom_type if r.geometry is not None else None,
        }
        for r in gdf.itertuples()
    ]
    emit(rows, fmt, lambda rs: table(rs, ["id", "title", "status"]))


@disputes_group.command("action")
@click.argument("dispute_id", type=int)
@click.option("--action", "action_text", required=True)
@click.option("--on", "on", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--status", type=click.Choice(store.DISPUTE_STATUSES))
@click.option("--document")
@format_option
@click.pass_context
def dispute_action_cmd(
    ctx: click.Context, dispute_id: int, action_text: str, on, status, document, fmt: str
) -> None:
    """Append an action to a dispute (optionally changing its status)."""
    cli = ctx.find_object(CliContext) or CliContext()
    with cli.session() as s:
        try:
            d = store.dispute_action(
                s,
                actor=cli.actor,
                viewer_roles=ctx.meta.get("roles", ()),
                dispute_id=dispute_id,
                action=action_text,
                on=on.date(),
                status=status,
                document=document,
            )
        except (ValueError, PermissionError) as exc:
            raise click.ClickException(str(exc)) from exc
        s.commit()
        emit(
            {
                "id": d.id,
                "status": d.status,
                "actions": d.actions,
                "documents": d.documents,
                "version": d.version,
            },
            fmt,
            lambda r: f"dispute {r['id']} {r['status']}, {len(r['actions'])} action(s)",
        )
