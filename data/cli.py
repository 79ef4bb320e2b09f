"""The ``wuhai-gis`` command line: database, reference data, import/export, statistics and plug-ins."""

from __future__ import annotations

from importlib.metadata import entry_points

import click

from data import schema
from data.commands import commands as data_commands
from gis.cliutil import CliContext
from gis.cliutil import emit
from gis.cliutil import format_option
from gis.cliutil import pass_cli


@click.group()
@click.option(
    "--database-url",
    envvar="DATABASE_URL",
    default=None,
    help="SQLAlchemy URL (default: SpatiaLite in ./instance).",
)
@click.option(
    "--actor",
    envvar="WUHAI_ACTOR",
    default="cli",
    show_default=True,
    help="Name recorded as author of writes.",
)
@click.pass_context
def main(ctx: click.Context, database_url: str | None, actor: str) -> None:
    """Wuhai civil-affairs GIS: place names, boundaries, facilities and the web map."""
    ctx.obj = CliContext(database_url=database_url, actor=actor)
    ctx.call_on_close(ctx.obj.dispose)


@main.group()
def db() -> None:
    """Database schema (Alembic migrations)."""


@db.command("upgrade")
@click.argument("revision", default="head")
@pass_cli
def db_upgrade(cli: CliContext, revision: str) -> None:
    """Migrate the schema up to REVISION (default: head)."""
    schema.upgrade(cli.engine, revision)
    click.echo(
        f"schema at {schema.current_revision(cli.engine)} ({cli.engine.url.render_as_string(hide_password=True)})"
    )


@db.command("downgrade")
@click.argument("revision")
@pass_cli
def db_downgrade(cli: CliContext, revision: str) -> None:
    """Migrate the schema down to REVISION ('base' drops every table)."""
    schema.downgrade(cli.engine, revision)
    click.echo(f"schema at {schema.current_revision(cli.engine)}")


@db.command("current")
@format_option
@pass_cli
def db_current(cli: CliContext, fmt: str) -> None:
    """Show the schema revision and the backend."""
    from gis.db import backend_name

    result = {"revision": schema.current_revision(cli.engine), "backend": backend_name(cli.engine)}
    emit(result, fmt, lambda r: f"{r['backend']}: {r['revision']}")


def _load_plugins() -> None:
    for ep in entry_points(group="wuhai_gis.commands"):
        for command in ep.load():
            main.add_command(command)


_load_plugins()
for _command in data_commands:
    main.add_command(_command)
