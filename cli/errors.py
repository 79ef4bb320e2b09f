"""The one place where the command line answers errors: a line for people, a JSON object for scripts.

A domain error ends the command with one line on standard error, or under ``--format json`` (or
``--report json``) with ``{"error": {...}}`` on standard output, and a non-zero exit: 1 invalid
input, 3 not found, 4 conflict or stale version, 5 forbidden. A database that cannot be opened or
has no schema yet is one line too, with the URL's password hidden.
"""

from __future__ import annotations

import json
import sys

import click
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import ProgrammingError

from gis.errors import Conflict
from gis.errors import DomainError
from gis.errors import Forbidden
from gis.errors import NotFound
from gis.rows import domain_error_of

#: Key of ``click.Context.meta`` under which the output format of the running command is kept.
FORMAT_KEY = "wuhai_gis.format"

_EXIT = ((NotFound, 3), (Conflict, 4), (Forbidden, 5))


class DomainFailure(click.ClickException):
    """A refusal reported as one line, or as a JSON error object when the command prints JSON."""

    def __init__(self, error: DomainError, fmt: str = "text") -> None:
        super().__init__(error.message)
        self.error = error
        self.fmt = fmt
        self.exit_code = exit_code(error)

    def show(self, file=None) -> None:
        if self.fmt == "json":
            click.echo(
                json.dumps({"error": self.error.as_dict()}, ensure_ascii=False), file=file or sys.stdout
            )
        else:
            click.echo(f"Error: {self.error.message}", err=True)


def exit_code(error: DomainError) -> int:
    """The exit status of a domain error."""
    for kind, code in _EXIT:
        if isinstance(error, kind):
            return code
    return 1


def as_domain_error(exc: BaseException, url: str | None = None) -> DomainError | None:
    """The domain error an exception stands for, or ``None`` for a bug (which keeps its traceback)."""
    domain = domain_error_of(exc)
    if domain is not None:
        return domain
    if isinstance(exc, OperationalError | ProgrammingError):
        message = database_problem(exc, url)
        return None if message is None else DomainError(message)
    return None


def report(ctx: click.Context, exc: BaseException, url: str | None) -> None:
    """Raise the :class:`DomainFailure` for ``exc``; return when it is no domain error."""
    error = as_domain_error(exc, url)
    if error is None:
        return
    raise DomainFailure(error, ctx.meta.get(FORMAT_KEY, "text")) from exc


def report_usage(
    ctx: click.Context, exc: click.ClickException | click.exceptions.Abort, args: list[str]
) -> None:
    """Under ``--format json``, raise a usage error or a cancelled prompt as a JSON error object too."""
    wants_json = ctx.meta.get(FORMAT_KEY) == "json" or any(
        a in ("--format=json", "--report=json") or (a in ("--format", "--report") and b == "json")
        for a, b in zip(args, [*args[1:], None], strict=True)
    )
    if not wants_json:
        return
    if isinstance(exc, click.exceptions.Abort):
        error = DomainError("cancelled: a prompt got no answer (pass the value as an option)")
        error.kind = "aborted"
        raise DomainFailure(error, "json") from exc
    error = DomainError(exc.format_message())
    error.kind = "usage" if isinstance(exc, click.UsageError) else "error"
    failure = DomainFailure(error, "json")
    failure.exit_code = exc.exit_code
    raise failure from exc


def database_problem(exc: Exception, url: str | None) -> str | None:
    """What to tell a person about a database error that is not a bug: no connection, no schema."""
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
