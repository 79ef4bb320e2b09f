"""Database engines for SpatiaLite (embedded default) and PostGIS, behind one ``DATABASE_URL``."""

from __future__ import annotations

import ctypes.util
import os
import sqlite3
from functools import lru_cache
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy import event
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gis.crs import METRIC_SRID
from gis.crs import STORAGE_SRID

#: SRIDs the project stores or measures in; registered in SpatiaLite when missing.
PROJECT_SRIDS = (4326, STORAGE_SRID, METRIC_SRID, 3857)

_SPATIALITE_CANDIDATES = (
    "/usr/lib/x86_64-linux-gnu/mod_spatialite.so",
    "/usr/lib/aarch64-linux-gnu/mod_spatialite.so",
    "/usr/lib/mod_spatialite.so",
    "/usr/local/lib/mod_spatialite.so",
    "/opt/homebrew/lib/mod_spatialite.dylib",
)


def default_database_url(instance_path: str | os.PathLike[str]) -> str:
    """The default ``DATABASE_URL``: a SpatiaLite file in the instance folder."""
    path = Path(instance_path) / "wuhai.sqlite"
    return f"sqlite:///{path}"


def spatialite_library_path() -> str:
    """Locate ``mod_spatialite`` (``SPATIALITE_LIBRARY_PATH`` first) and export it for GeoAlchemy2."""
    env = os.environ.get("SPATIALITE_LIBRARY_PATH")
    if env:
        return env
    for candidate in _SPATIALITE_CANDIDATES:
        if Path(candidate).exists():
            os.environ["SPATIALITE_LIBRARY_PATH"] = candidate
            return candidate
    found = ctypes.util.find_library("spatialite")
    if found:
        os.environ["SPATIALITE_LIBRARY_PATH"] = "mod_spatialite"
        return "mod_spatialite"
    raise RuntimeError(
        "mod_spatialite not found: install Debian's libsqlite3-mod-spatialite or set SPATIALITE_LIBRARY_PATH"
    )


@lru_cache(maxsize=1)
def sqlite_dbapi():
    """The DB-API module for SQLite: the standard one if it can load extensions, else pysqlite3."""
    if hasattr(sqlite3.Connection, "enable_load_extension"):
        return sqlite3
    try:
        from pysqlite3 import dbapi2  # type: ignore[import-not-found]
    except ImportError as exc:  # pragma: no cover - depends on the interpreter build
        raise RuntimeError("this Python's sqlite3 cannot load extensions; install pysqlite3-binary") from exc
    return dbapi2


def backend_name(engine: Engine) -> str:
    """``'spatialite'`` or ``'postgis'``."""
    return "spatialite" if engine.dialect.name == "sqlite" else "postgis"


def make_engine(url: str, *, echo: bool = False, init_mode: str = "WGS84") -> Engine:
    """Create an engine for ``url`` with GeoAlchemy2's dialect plugin.

    Parameters
    ----------
    url
        ``sqlite:///path`` (SpatiaLite) or ``postgresql+psycopg://...`` (PostGIS).
    echo
        Log SQL.
    init_mode
        SpatiaLite metadata initialisation mode for new files (``'WGS84'`` is fast;
        the project's SRIDs are inserted afterwards).

    Returns
    -------
    sqlalchemy.engine.Engine
    """
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        spatialite_library_path()
        if u.database and u.database != ":memory:":
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        u = u.update_query_dict({"geoalchemy2_connect_sqlite_init_mode": init_mode})
        engine = create_engine(
            u,
            echo=echo,
            plugins=["geoalchemy2"],
            module=sqlite_dbapi(),
            connect_args={"timeout": 30},
        )
        event.listen(engine, "connect", _sqlite_on_connect)
        _ensure_spatialite_srids(engine)
        return engine
    if u.get_backend_name() == "postgresql":
        if u.drivername == "postgresql":
            u = u.set(drivername="postgresql+psycopg")
        engine = create_engine(u, echo=echo, plugins=["geoalchemy2"], pool_pre_ping=True)
        return engine
    raise ValueError(f"unsupported DATABASE_URL backend {u.get_backend_name()!r}: use sqlite or postgresql")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory bound to ``engine``."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def _sqlite_on_connect(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys = ON")
    cur.execute("PRAGMA journal_mode = WAL")
    cur.execute("PRAGMA synchronous = NORMAL")
    cur.close()


def _ensure_spatialite_srids(engine: Engine) -> None:
    with engine.begin() as conn:
        for srid in PROJECT_SRIDS:
            present = conn.execute(
                text("SELECT COUNT(*) FROM spatial_ref_sys WHERE srid = :s"), {"s": srid}
            ).scalar()
            if not present:
                conn.execute(text("SELECT InsertEpsgSrid(:s)"), {"s": srid})
