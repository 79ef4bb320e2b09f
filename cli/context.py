"""What every command shares: the database context, ``--format`` and the output."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from typing import Any

import click
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from cli.errors import FORMAT_KEY
from gis import settings
from gis.db import make_engine
from gis.db import make_session_factory
from gis.rows import to_jsonable


@dataclass
class CliContext:
    """Lazily opened engine for one CLI invocation."""

    database_url: str | None = None
    actor: str = "cli"
    _engine: Engine | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return self.database_url or settings.database_url()

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.url)
        return self._engine

    def dispose(self) -> None:
        """Close the engine's pooled connections (called when the command ends)."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def session(self) -> Session:
        """A new ORM session (use as a context manager)."""
        return make_session_factory(self.engine)()


pass_cli = click.make_pass_decorator(CliContext, ensure=True)


def remember_format(ctx: click.Context, _param: click.Parameter, value: str) -> str:
    """Option callback: keep the output format where the error handler (:mod:`cli.errors`) finds it."""
    if value == "json":
        ctx.meta[FORMAT_KEY] = "json"
    return value


format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    is_eager=True,
    callback=remember_format,
    help="Output for people (text) or scripts (json).",
)


def emit(result: Any, fmt: str, render: Callable[[Any], str] | None = None) -> None:
    """Print ``result`` as JSON (``fmt == 'json'``) or through ``render`` for people."""
    if fmt == "json" or render is None:
        click.echo(json.dumps(_finite(result), ensure_ascii=False, indent=2, default=to_jsonable))
    else:
        click.echo(render(result))


def _finite(value: Any) -> Any:
    """``value`` with NaN and infinities (pandas' missing numbers) as None: ``json.dumps`` would
    print them as ``NaN``, which is not JSON and which strict parsers (jq, JavaScript) refuse."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def table(rows: list[dict], columns: list[str] | None = None) -> str:
    """A plain text table of ``rows`` (CJK characters counted double width)."""
    if not rows:
        return "(none)"
    columns = columns or list(rows[0])

    def width(s: str) -> int:
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in s)

    cells = [[("" if r.get(c) is None else str(r.get(c))) for c in columns] for r in rows]
    widths = [max(width(c), *(width(row[i]) for row in cells)) for i, c in enumerate(columns)]

    def line(values: list[str]) -> str:
        return "  ".join(v + " " * (w - width(v)) for v, w in zip(values, widths, strict=True)).rstrip()

    return "\n".join([line(columns), line(["-" * w for w in widths]), *(line(r) for r in cells)])
