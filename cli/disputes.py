"""``wuhai-gis boundaries disputes ...``: the disputes register (boundary inspectors and administrators)."""

from __future__ import annotations

import click

from boundaries import store
from boundaries import usecases
from cli.context import CliContext
from cli.context import emit
from cli.context import format_option
from cli.context import table


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
        gdf = store.list_disputes(s, viewer_roles=roles)
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
@click.option("--expected-version", type=int, help="Refuse if the dispute changed since this version.")
@format_option
@click.pass_context
def dispute_action_cmd(
    ctx: click.Context, dispute_id: int, action_text: str, on, status, document, expected_version, fmt: str
) -> None:
    """Append an action to a dispute (optionally changing its status)."""
    cli = ctx.find_object(CliContext) or CliContext()
    with cli.session() as s:
        d = usecases.dispute_action(
            s,
            cli.actor,
            ctx.meta.get("roles", ()),
            dispute_id,
            action=action_text,
            on=on.date(),
            status=status,
            document=document,
            expected_version=expected_version,
        )
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
