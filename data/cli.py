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


class _Commands(click.Group):
    """The command group: a database that cannot be reached or has no schema yet is a one-line error."""

    def invoke(self, ctx: click.Context):
        from sqlalchemy.exc import OperationalError
        from sqlalchemy.exc import ProgrammingError

        try:
            return super().invoke(ctx)
        except (OperationalError, ProgrammingError) as exc:
            message = _database_problem(exc, ctx.obj.url if isinstance(ctx.obj, CliContext) else None)
            if message is None:
                raise
            raise click.ClickException(message) from exc


def _database_problem(exc: Exception, url: str | None) -> str | None:
    """What to tell a person about a database error that is not a bug: no connection, no schema.

    ``None`` for any other error (which keeps its traceback).
    """
    from sqlalchemy.engine import make_url

    orig = getattr(exc, "orig", exc)
    first = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    where = make_url(url).render_as_string(hide_password=True) if url else "the database"
    text = str(orig).lower()
    if "no such table" in text or ("relation" in text and "does not exist" in text):
        return f"{where}: {first}. The schema is missing or out of date: run `wuhai-gis db upgrade`."
    unreachable = ("connection failed", "could not connect", "connection refused", "unable to open database")
    refused = ("authentication failed", "no pg_hba.conf entry")
    if any(s in text for s in unreachable + refused) or ("database" in text and "does not exist" in text):
        return (
            f"cannot open {where}: {first}. Check that the server is running and the URL "
            "(--database-url or DATABASE_URL) is right."
        )
    return None


@click.group(cls=_Commands)
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
