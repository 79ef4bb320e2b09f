"""Test fixtures: every storage test runs on SpatiaLite and on PostGIS (STYLE.md section 5)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from data import schema
from gis.db import make_engine

BACKENDS = ["spatialite", "postgis"]
DEFAULT_POSTGIS_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/wuhai_test"


def pytest_addoption(parser):
    parser.addoption("--postgis-url", default=None, help="PostGIS URL for tests (else $PYTEST_POSTGIS_URL).")
    parser.addoption(
        "--require-all-backends",
        action="store_true",
        default=False,
        help="Fail, instead of skipping, when a backend is unreachable (CI).",
    )


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames:
        wanted = getattr(metafunc.function, "_only_backends", None) or BACKENDS
        metafunc.parametrize("backend", [b for b in BACKENDS if b in wanted], scope="session")


def only_backends(*names: str):
    """Restrict a test to some backends (the rare expected difference)."""

    def mark(func):
        func._only_backends = names
        return func

    return mark


def postgis_url(config) -> str:
    return config.getoption("--postgis-url") or os.environ.get("PYTEST_POSTGIS_URL") or DEFAULT_POSTGIS_URL


def ensure_postgis_database(url: str) -> None:
    """Create the test database and the postgis extension when missing."""
    u = make_url(url)
    admin = create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": u.database}
            ).scalar()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{u.database}"'))
    finally:
        admin.dispose()
    eng = create_engine(u, isolation_level="AUTOCOMMIT")
    try:
        with eng.connect() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    finally:
        eng.dispose()


def _backend_url(request, backend: str, tmp_dir: Path, suffix: str = "") -> str:
    if backend == "spatialite":
        return f"sqlite:///{tmp_dir / f'test{suffix}.sqlite'}"
    url = postgis_url(request.config)
    if suffix:
        u = make_url(url)
        url = u.set(database=f"{u.database}{suffix}").render_as_string(hide_password=False)
    try:
        ensure_postgis_database(url)
    except Exception as exc:  # unreachable server or no PostGIS
        if request.config.getoption("--require-all-backends"):
            pytest.fail(f"PostGIS backend required but unavailable at {url}: {exc}")
        pytest.skip(f"PostGIS unavailable: {exc}")
    return url


def _reset_postgis(engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))


@pytest.fixture(scope="session")
def db_url(request, backend, tmp_path_factory) -> str:
    """URL of the shared per-backend test database (schema built by the migrations)."""
    return _backend_url(request, backend, tmp_path_factory.mktemp(f"db-{backend}"))


@pytest.fixture(scope="session")
def engine(db_url, backend):
    eng = make_engine(db_url)
    if backend == "postgis":
        _reset_postgis(eng)
    schema.upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def conn(engine):
    """A connection inside a transaction that is rolled back after the test."""
    connection = engine.connect()
    trans = connection.begin()
    yield connection
    trans.rollback()
    connection.close()


@pytest.fixture
def session(conn):
    """An ORM session on ``conn``; its commits become savepoints, all rolled back."""
    sess = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
    yield sess
    sess.close()


@pytest.fixture
def fresh_db_url(request, backend, tmp_path) -> str:
    """A database of its own with a freshly migrated schema, for app-level and CLI tests."""
    url = _backend_url(
        request, backend, tmp_path, suffix="_app" if backend == "postgis" else f"_{uuid.uuid4().hex[:8]}"
    )
    eng = make_engine(url)
    if backend == "postgis":
        _reset_postgis(eng)
    schema.upgrade(eng)
    eng.dispose()
    return url


@pytest.fixture
def twins(request, backend, tmp_path):
    """Two databases seeded alike, for a scenario run through the command line and the web (tests/parity.py)."""
    from parity import make_twins

    pair = make_twins(request, backend, tmp_path)
    yield pair
    for app in pair.apps:
        app.extensions["wuhai_engine"].dispose()
