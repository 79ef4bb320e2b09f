"""``wuhai-gis serve`` (waitress or gunicorn) and ``wuhai-gis user create|token|list``."""

from __future__ import annotations

import sys
from contextlib import contextmanager

import click
from sqlalchemy import select
from sqlalchemy.engine import make_url

from cli.context import CliContext
from cli.context import emit
from cli.context import format_option
from cli.context import pass_cli
from cli.context import table


@click.command("serve")
@click.option("--port", default=5000, show_default=True, type=int, help="TCP port.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--threads", default=8, show_default=True, type=int, help="Worker threads (per process).")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Server processes: 1 is waitress; more are gunicorn worker processes (one per core is typical).",
)
@pass_cli
def serve(cli: CliContext, port: int, host: str, threads: int, workers: int) -> None:
    """Serve the web app with a production WSGI server (waitress, or gunicorn with ``--workers``)."""
    from webmap import create_app

    # Built once here: a configuration error stops the command before any worker starts, and
    # first-use files of the instance folder (the secret key) are written by one process.
    app = create_app({"DATABASE_URL": cli.url})
    where = make_url(cli.url).render_as_string(hide_password=True)
    click.echo(
        f"wuhai-gis web app on http://{host}:{port}/ ({where}; {workers} process(es) × {threads} threads)"
    )
    if workers == 1:
        from waitress import serve as waitress_serve

        waitress_serve(app, host=host, port=port, threads=threads, ident="wuhai-gis")
        return
    app.extensions["wuhai_engine"].dispose()
    url = cli.url
    _run_gunicorn(
        lambda: create_app({"DATABASE_URL": url}),
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "worker_class": "gthread",
            "threads": threads,
            "timeout": 300,
            "graceful_timeout": 20,
            "accesslog": None,
            "errorlog": "-",
            "proc_name": "wuhai-gis",
            "control_socket_disable": True,
        },
    )


def _run_gunicorn(factory, options: dict) -> None:
    """Run gunicorn from Python: each worker process builds its own app (and database engine)."""
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self):
            return factory()

    Server().run()


@click.group("user")
def user_group() -> None:
    """Accounts of the web app."""


@user_group.command("create")
@click.argument("username")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    help="Role (repeatable): public, placename_officer, sign_maintainer, boundary_inspector, planner, admin.",
)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (else prompted).")
@click.option("--display-name", default=None, help="Name shown in the app.")
@format_option
@pass_cli
def user_create(
    cli: CliContext,
    username: str,
    roles: tuple[str, ...],
    password_stdin: bool,
    display_name: str | None,
    fmt: str,
) -> None:
    """Create an account (the first admin: ``wuhai-gis user create admin --role admin``)."""
    from gis.accounts import create_user
    from gis.errors import InvalidInput

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif fmt == "json":
        raise InvalidInput("under --format json, give the password with --password-stdin", field="password")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with _closing(cli), cli.session() as session:
        user = create_user(
            session,
            username=username,
            password=password,
            roles=list(roles),
            actor=cli.actor,
            display_name=display_name,
        )
        session.commit()
        result = {"id": user.id, "username": user.username, "roles": user.roles}
    emit(result, fmt, lambda r: f"created user {r['username']} ({', '.join(r['roles'])})")


@user_group.command("token")
@click.argument("username")
@format_option
@pass_cli
def user_token(cli: CliContext, username: str, fmt: str) -> None:
    """Issue a new API token for USERNAME (OGC API writes); shown once."""
    from gis.accounts import issue_token
    from gis.accounts import user_by_name

    with _closing(cli), cli.session() as session:
        _user, token = issue_token(session, user_by_name(session, username).id, actor=cli.actor)
        session.commit()
    emit({"username": username, "token": token}, fmt, lambda r: r["token"])


@user_group.command("list")
@format_option
@pass_cli
def user_list(cli: CliContext, fmt: str) -> None:
    """List accounts and their roles."""
    from gis.models import User

    with _closing(cli), cli.session() as session:
        rows = [
            {"id": u.id, "username": u.username, "roles": ",".join(u.roles or []), "active": u.active}
            for u in session.scalars(select(User).order_by(User.username))
        ]
    emit(rows, fmt, table)


@contextmanager
def _closing(cli: CliContext):
    """Dispose the command's engine (its pooled connections) when the command ends."""
    try:
        yield
    finally:
        cli.engine.dispose()


commands = [serve, user_group]
