"""The engine (built once per app) and a per-request ORM session on ``g`` (flaskr's get_db)."""

from __future__ import annotations

from flask import Flask
from flask import current_app
from flask import g
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from gis.db import make_engine
from gis.db import make_session_factory

_KEY = "wuhai_engine"


def init_app(app: Flask) -> None:
    """Create the engine for ``DATABASE_URL`` and close the request session on teardown."""
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions[_KEY] = engine
    app.extensions["wuhai_sessionmaker"] = make_session_factory(engine)
    app.teardown_appcontext(close_session)


def get_engine() -> Engine:
    """The application's engine."""
    return current_app.extensions[_KEY]


def get_session() -> Session:
    """The ORM session of this request (opened on first use)."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["wuhai_sessionmaker"]()
    return g.db_session


def close_session(exc: BaseException | None = None) -> None:
    """Roll back anything uncommitted and close the request's session."""
    sess = g.pop("db_session", None)
    if sess is not None:
        if exc is not None or sess.in_transaction():
            sess.rollback()
        sess.close()
