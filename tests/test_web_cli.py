"""``wuhai-gis user create|token|list`` and the ``serve`` command's registration."""

from __future__ import annotations

import json

from click.testing import CliRunner
from sqlalchemy import select

from cli.main import main
from gis.db import make_engine
from gis.db import make_session_factory
from gis.models import AuditLog
from gis.models import User


def test_user_create_token_and_list(fresh_db_url):
    runner = CliRunner()
    base = ["--database-url", fresh_db_url, "--actor", "installer"]
    made = runner.invoke(main, [*base, "user", "create", "admin", "--role", "admin", "--password-stdin", "--format", "json"],
                         input="a long admin password\n")  # fmt: skip
    assert made.exit_code == 0, made.output
    assert json.loads(made.output)["roles"] == ["admin"]
    dup = runner.invoke(
        main,
        [*base, "user", "create", "admin", "--role", "admin", "--password-stdin"],
        input="another password\n",
    )
    assert dup.exit_code != 0 and "exists" in dup.output
    short = runner.invoke(
        main, [*base, "user", "create", "x", "--role", "planner", "--password-stdin"], input="short\n"
    )
    assert short.exit_code != 0 and "8 characters" in short.output
    badrole = runner.invoke(
        main, [*base, "user", "create", "y", "--role", "king", "--password-stdin"], input="long enough pw\n"
    )
    assert badrole.exit_code != 0 and "unknown role" in badrole.output
    token = runner.invoke(main, [*base, "user", "token", "admin", "--format", "json"])
    assert token.exit_code == 0 and len(json.loads(token.output)["token"]) > 30
    listed = json.loads(runner.invoke(main, [*base, "user", "list", "--format", "json"]).output)
    assert [u["username"] for u in listed] == ["admin"]
    engine = make_engine(fresh_db_url)
    with make_session_factory(engine)() as s:
        user = s.scalar(select(User).where(User.username == "admin"))
        assert user.password_hash.startswith("scrypt:") and "a long admin password" not in user.password_hash
        actions = s.execute(
            select(AuditLog.actor, AuditLog.action).where(AuditLog.table_name == "app_user")
        ).all()
        assert actions == [("installer", "create"), ("installer", "update")]
    engine.dispose()


def test_serve_is_a_command():
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0 and "waitress" in result.output
