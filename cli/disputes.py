"""``wuhai-gis boundaries disputes ...``: the disputes register (boundary inspectors and administrators)."""

from __future__ import annotations

import json

import click

from boundaries import store
from boundaries import usecases
from cli.context import CliContext
from cli.context import emit
from cli.context import format_option
from cli.context import table
from gis.errors import InvalidInput


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


def _emit_dispute(d, fmt: str) -> None:
    emit(
        {
            "id": d.id,
            "title": d.title,
            "parties": d.parties,
            "status": d.status,
            "actions": d.actions,
            "documents": d.documents,
            "version": d.version,
        },
        fmt,
        lambda r: f"dispute {r['id']} {r['status']} (version {r['version']})",
    )


def _geometry(text: str | None):
    """A GeoJSON or WKT geometry in lon/lat (EPSG:4490), or ``None``."""
    import shapely
    from shapely.geometry import shape

    if text is None or not text.strip():
        return None
    try:
        if text.lstrip().startswith("{"):
            doc = json.loads(text)
            return shape(doc.get("geometry", doc) if doc.get("type") == "Feature" else doc)
        return shapely.from_wkt(text)
    except (ValueError, TypeError, KeyError, AttributeError, shapely.errors.ShapelyError) as exc:
        raise InvalidInput(f"geometry: not GeoJSON or WKT ({str(exc)[:80]})", field="geometry") from None


@disputes_group.command("add")
@click.option("--title", required=True)
@click.option(
    "--party", "parties", multiple=True, required=True, help="A party to the dispute (twice or more)."
)
@click.option("--geometry", help="The disputed area or line, GeoJSON or WKT in lon/lat (EPSG:4490).")
@click.option(
    "--line", "line_code", help="The line section in dispute (its whole length without --geometry)."
)
@click.option("--description")
@click.option("--document", help="The document that raised the dispute.")
@format_option
@click.pass_context
def dispute_add_cmd(
    ctx: click.Context, title, parties, geometry, line_code, description, document, fmt
) -> None:
    """Register a new dispute."""
    cli = ctx.find_object(CliContext) or CliContext()
    with cli.session() as s:
        d = usecases.register_dispute(
            s,
            cli.actor,
            ctx.meta.get("roles", ()),
            title=title,
            parties=list(parties),
            geometry=_geometry(geometry),
            line_code=line_code,
            description=description,
            document=document,
        )
        s.commit()
        _emit_dispute(d, fmt)


@disputes_group.command("edit")
@click.argument("dispute_id", type=int)
@click.option("--title")
@click.option("--party", "parties", multiple=True, help="Replace the parties (give each one).")
@click.option("--geometry", help="Replace the disputed area or line, GeoJSON or WKT in lon/lat.")
@click.option("--description")
@click.option("--reason", required=True, help="Why, kept in the dispute's history.")
@click.option("--expected-version", type=int, required=True, help="Refuse if the dispute changed since.")
@format_option
@click.pass_context
def dispute_edit_cmd(
    ctx: click.Context, dispute_id, title, parties, geometry, description, reason, expected_version, fmt
) -> None:
    """Correct a dispute's title, parties, description or geometry."""
    cli = ctx.find_object(CliContext) or CliContext()
    with cli.session() as s:
        d = usecases.update_dispute(
            s,
            cli.actor,
            ctx.meta.get("roles", ()),
            dispute_id,
            expected_version=expected_version,
            reason=reason,
            title=title,
            parties=list(parties) or None,
            description=description,
            geometry=_geometry(geometry),
        )
        s.commit()
        _emit_dispute(d, fmt)


@disputes_group.command("close")
@click.argument("dispute_id", type=int)
@click.option("--outcome", required=True, help="How it was settled (agreement, ruling...).")
@click.option("--on", "on", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--document", help="The document that settles it.")
@click.option("--expected-version", type=int, help="Refuse if the dispute changed since this version.")
@format_option
@click.pass_context
def dispute_close_cmd(ctx: click.Context, dispute_id, outcome, on, document, expected_version, fmt) -> None:
    """Close a dispute with its outcome."""
    cli = ctx.find_object(CliContext) or CliContext()
    with cli.session() as s:
        d = usecases.close_dispute(
            s,
            cli.actor,
            ctx.meta.get("roles", ()),
            dispute_id,
            outcome=outcome,
            on=on.date(),
            document=document,
            expected_version=expected_version,
        )
        s.commit()
        _emit_dispute(d, fmt)
