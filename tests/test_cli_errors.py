"""The command line's one-line errors for a database it cannot open or that has no schema, on both backends."""

from __future__ import annotations

from click.testing import CliRunner
from conftest import _backend_url
from conftest import _reset_postgis
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from cli.main import main
from gis.db import make_engine


def _invoke(url: str, *args: str):
    return CliRunner().invoke(main, ["--database-url", url, *args])


def test_a_database_without_the_schema_says_to_upgrade(request, backend, tmp_path):
    url = _backend_url(request, backend, tmp_path, suffix="_noschema")
    if backend == "postgis":
        engine = make_engine(url)
        _reset_postgis(engine)  # the PostGIS extension and nothing else
        engine.dispose()
    result = _invoke(url, "stats")
    assert result.exit_code == 1
    assert "run `wuhai-gis db upgrade`" in result.output
    assert "Traceback" not in result.output
    assert _invoke(url, "db", "upgrade").exit_code == 0
    assert _invoke(url, "stats").exit_code == 0


def test_an_unreachable_database_is_named_without_its_password(backend, tmp_path):
    if backend == "postgis":
        url = "postgresql+psycopg://someone:s3cret@127.0.0.1:1/nowhere"
        shown = make_url(url).render_as_string(hide_password=True)
    else:
        url = f"sqlite:///{tmp_path}"  # a directory, not a database file
        shown = url
    result = _invoke(url, "stats")
    assert result.exit_code == 1
    assert f"cannot open {shown}" in result.output
    assert "s3cret" not in result.output and "Traceback" not in result.output


def test_other_database_errors_keep_their_traceback(tmp_path, monkeypatch):
    # Only connection and schema problems become one-line errors; anything else is a bug to see.
    def broken(_session):
        raise ProgrammingError("SELECT oops", {}, Exception("syntax error at or near oops"))

    monkeypatch.setattr("cli.reference.collect_stats", broken)
    result = _invoke(f"sqlite:///{tmp_path / 'x.sqlite'}", "stats")
    assert isinstance(result.exception, ProgrammingError)
