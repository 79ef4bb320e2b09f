"""The Flask web application: public map, officers' pages, OGC API - Features (``create_app``)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from flask import Flask

# Flask is imported by the functions that build and run the app, so that the other ``wuhai-gis``
# commands (whose plug-in list includes ``cli.web``) start without it.


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the application (STYLE.md section 2).

    Configuration is read, in order, from the defaults below, ``instance/config.py``, the
    ``FLASK_``-prefixed environment, the documented settings in the environment
    (``DATABASE_URL``, ``SECRET_KEY``, ``TIANDITU_KEY``...) and finally ``test_config``.

    Parameters
    ----------
    test_config
        Mapping applied last (tests pass ``{"TESTING": True, "DATABASE_URL": ...}``).

    Returns
    -------
    flask.Flask
    """
    from flask import Flask

    from gis import settings

    instance = (test_config or {}).get("INSTANCE_PATH") or settings.get("WUHAI_INSTANCE")
    instance_path = str(Path(instance).resolve()) if instance else str(settings.instance_path())
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    app.config.from_mapping(
        SECRET_KEY=None,
        DATABASE_URL=None,
        TIANDITU_KEY=None,
        BABEL_DEFAULT_LOCALE="zh",
        BABEL_TRANSLATION_DIRECTORIES=str(Path(__file__).parent / "translations"),
        LANGUAGES=("zh", "en"),
        UPLOAD_MAX_BYTES=10 * 1024 * 1024,
        IMPORT_MAX_BYTES=256 * 1024 * 1024,
        MARKER_TOLERANCE_M=1.0,
        WTF_CSRF_TIME_LIMIT=None,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        RATE_LIMITS={"login": (10, 60), "report": (5, 600)},
        OGCAPI_DEFAULT_LIMIT=100,
        OGCAPI_MAX_LIMIT=10000,
        OGCAPI_CACHE_MB=64,
        OGCAPI_CACHE_SECONDS=60,
    )
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env()
    for s in settings.SETTINGS:
        if s.name in os.environ and s.name in app.config:
            app.config[s.name] = os.environ[s.name]
    if test_config:
        app.config.update(test_config)
    app.config["MAX_CONTENT_LENGTH"] = int(app.config["UPLOAD_MAX_BYTES"]) + 1024 * 1024
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))
    if not app.config.get("DATABASE_URL"):
        from gis.db import default_database_url

        app.config["DATABASE_URL"] = default_database_url(app.instance_path)

    _init_extensions(app)
    _register_blueprints(app)
    return app


def _instance_secret(instance: Path) -> str:
    """Read the secret key from the instance folder, generating it on first use (mode 0600)."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key)
    return key


def _select_locale() -> str:
    from flask import current_app
    from flask import request
    from flask import session

    wanted = request.args.get("lang")
    langs = current_app.config["LANGUAGES"]
    if wanted in langs:
        session["lang"] = wanted
        return wanted
    if session.get("lang") in langs:
        return session["lang"]
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _import_body_limit() -> None:
    """The import page takes files up to ``IMPORT_MAX_BYTES``; every other route ``UPLOAD_MAX_BYTES``."""
    from flask import current_app
    from flask import request

    if request.blueprint == "imports":
        request.max_content_length = int(current_app.config["IMPORT_MAX_BYTES"]) + 1024 * 1024


def _init_extensions(app: Flask) -> None:
    from flask_babel import Babel
    from flask_wtf.csrf import CSRFProtect

    from webmap import auth
    from webmap import compress
    from webmap import db
    from webmap import errors
    from webmap import security

    db.init_app(app)
    errors.init_app(app)
    auth.init_app(app)
    app.before_request(_import_body_limit)  # before the CSRF check reads the form
    csrf = CSRFProtect(app)
    app.extensions["csrf_protect"] = csrf
    Babel(app, locale_selector=_select_locale)
    security.init_app(app)
    compress.init_app(app)

    @app.context_processor
    def _globals() -> dict[str, Any]:
        from flask_babel import get_locale

        return {"current_locale": str(get_locale()), "tianditu_key": app.config.get("TIANDITU_KEY")}


def _register_blueprints(app: Flask) -> None:
    from webmap import admin
    from webmap import api
    from webmap import auth
    from webmap import boundaries_bp
    from webmap import imports_bp
    from webmap import placenames_bp
    from webmap import planning_bp
    from webmap import public
    from webmap import renamings_bp
    from webmap import signs_bp
    from webmap import telemetry_bp
    from webmap.ogcapi import bp as ogcapi_bp

    for bp in (
        public.bp,
        auth.bp,
        api.bp,
        placenames_bp.bp,
        renamings_bp.bp,
        signs_bp.bp,
        boundaries_bp.bp,
        telemetry_bp.bp,
        planning_bp.bp,
        imports_bp.bp,
        admin.bp,
        ogcapi_bp,
    ):
        app.register_blueprint(bp)
    # Machine clients (OGC API writes with bearer tokens, JSON API) do not carry CSRF tokens;
    # their write routes authenticate by token, never by the session cookie.
    app.extensions["csrf_protect"].exempt(ogcapi_bp)
