"""The same scenario through the command line and through the web: the rows and audit entries must match.

:func:`twins` gives two databases seeded alike (the web tests' small world and one account per
role). A parity test does an act with ``twins.cli(...)`` on one and with ``twins.web(...)`` on the
other, then calls ``twins.assert_same(tables)``: the rows of those tables and their audit entries
must be equal, times aside.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from decimal import Decimal
from typing import Any

from click.testing import CliRunner
from sqlalchemy import MetaData
from sqlalchemy import select
from sqlalchemy import text

from gis.db import make_engine

_TIME = re.compile(r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d")
#: Keys of JSON values that hold the moment of a write (differs between the two runs).
_VOLATILE = {"created_at", "updated_at", "at", "opened_at", "closed_at", "resolved_at", "seconds"}


@dataclass
class Twins:
    """Two databases seeded alike: ``cli_url`` for the command line, ``web_url`` for the web app."""

    cli_url: str
    web_url: str
    ids: dict[str, int]
    instance: str
    apps: list = field(default_factory=list)

    def cli(self, *args: str, actor: str, ok: bool = True):
        """Run ``wuhai-gis --actor ACTOR ARGS`` on the command line's database."""
        from cli.main import main

        result = CliRunner().invoke(main, ["--database-url", self.cli_url, "--actor", actor, *args])
        if ok:
            assert result.exit_code == 0, result.output
        return result

    def web(self, username: str):
        """A test client of the web app on the web database, logged in as ``username``."""
        from web_fixtures import PASSWORD

        from webmap import create_app

        app = create_app(
            {
                "TESTING": True,
                "DATABASE_URL": self.web_url,
                "INSTANCE_PATH": self.instance,
                "WTF_CSRF_ENABLED": False,
            }
        )
        self.apps.append(app)
        client = app.test_client()
        resp = client.post("/auth/login", data={"username": username, "password": PASSWORD})
        assert resp.status_code in (200, 302), resp.status_code
        return client

    def rows(self, url: str, tables: list[str]) -> dict[str, list[dict[str, Any]]]:
        """The rows of ``tables`` and their audit entries, times replaced by a marker."""
        engine = make_engine(url)
        try:
            meta = MetaData()
            meta.reflect(engine, only=[*tables, "audit_log"])
            out: dict[str, list[dict[str, Any]]] = {}
            with engine.connect() as conn:
                for name in tables:
                    table = meta.tables[name]
                    geoms = [c.name for c in table.columns if c.name == "geom"]
                    cols = [c for c in table.columns if c.name not in geoms]
                    extra = [text(f"ST_AsText({g}) AS {g}") for g in geoms]
                    q = select(*cols, *extra).order_by(*table.primary_key.columns)
                    out[name] = [_normal(dict(r._mapping)) for r in conn.execute(q)]
                audit = meta.tables["audit_log"]
                q = (
                    select(audit.c.actor, audit.c.action, audit.c.table_name, audit.c.row_key, audit.c.before,
                           audit.c.after, audit.c.reason, audit.c.document)
                    .where(audit.c.table_name.in_(tables))
                    .order_by(audit.c.id)
                )  # fmt: skip
                out["audit_log"] = [_normal(dict(r._mapping)) for r in conn.execute(q)]
            return out
        finally:
            engine.dispose()

    def assert_same(self, tables: list[str]) -> dict[str, list[dict[str, Any]]]:
        """Assert both databases hold the same rows of ``tables`` and the same audit entries for them."""
        for app in self.apps:
            app.extensions["wuhai_engine"].dispose()
        by_cli = self.rows(self.cli_url, tables)
        by_web = self.rows(self.web_url, tables)
        for name in [*tables, "audit_log"]:
            assert by_cli[name] == by_web[name], f"{name} differs between the command line and the web"
        return by_cli


def _normal(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: "<time>" if k in _VOLATILE else _normal(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normal(v) for v in value]
    if isinstance(value, datetime):
        return "<time>"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    if isinstance(value, str):
        if _TIME.match(value):
            return "<time>"
        if value[:1] in "[{":
            try:
                return _normal(json.loads(value))
            except ValueError:
                return value
    return value


def make_twins(request, backend: str, tmp_path) -> Twins:
    """Two seeded databases on ``backend`` (see :class:`Twins`)."""
    from conftest import _backend_url
    from conftest import _reset_postgis
    from web_fixtures import _seed_url

    from data import schema

    urls, ids = [], []
    for side in ("cli", "web"):
        url = _backend_url(request, backend, tmp_path, suffix=f"_parity_{side}")
        engine = make_engine(url)
        if backend == "postgis":
            _reset_postgis(engine)
        schema.upgrade(engine)
        engine.dispose()
        ids.append(_seed_url(url))
        urls.append(url)
    assert ids[0] == ids[1]
    return Twins(cli_url=urls[0], web_url=urls[1], ids=ids[0], instance=str(tmp_path / "instance"))
