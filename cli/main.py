"""The root ``wuhai-gis`` command group: the database schema, and every group of commands."""

from __future__ import annotations

import click

from cli.context import CliContext
from cli.context import emit
from cli.context import format_option
from cli.context import pass_cli
from cli.errors import DomainFailure
from cli.errors import report
from cli.errors import report_usage
from data import schema


class _Commands(click.Group):
    """The root group: every error that is not a bug ends the command as :mod:`cli.errors` says."""

    def invoke(self, ctx: click.Context):
        args = [*ctx._protected_args, *ctx.args]
        try:
            return super().invoke(ctx)
        except DomainFailure:
            raise
        except (click.ClickException, click.exceptions.Abort) as exc:
            report_usage(ctx, exc, args)
            raise
        except click.exceptions.Exit:
            raise
        except Exception as exc:
            report(ctx, exc, ctx.obj.url if isinstance(ctx.obj, CliContext) else None)
            raise


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


def _add_commands() -> None:
    from cli.boundaries import commands as boundaries_commands
    from cli.facilities import commands as facilities_commands
    from cli.import_export import commands as file_commands
    from cli.names import commands as names_commands
    from cli.reference import commands as reference_commands
    from cli.signs import commands as signs_commands
    from cli.web import commands as web_commands

    for group in (
        reference_commands,
        file_commands,
        names_commands,
        signs_commands,
        boundaries_commands,
        facilities_commands,
        web_commands,
    ):
        for command in group:
            main.add_command(command)


_add_commands()
