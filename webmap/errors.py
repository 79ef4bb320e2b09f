"""Errors the views turn into HTTP answers: conflicts (409), bad input (400), permissions (403)."""

from __future__ import annotations

from flask import Flask
from flask import jsonify
from flask import render_template
from flask import request
from sqlalchemy.orm.exc import StaleDataError


class Conflict(Exception):
    """A write based on a stale version of a row (optimistic locking)."""


def is_conflict(exc: BaseException) -> bool:
    """Whether ``exc`` means "someone else changed this row first" (ours, SQLAlchemy's or a domain's)."""
    return isinstance(exc, Conflict | StaleDataError) or "conflict" in type(exc).__name__.lower()


def wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return request.path.startswith(("/api/", "/ogcapi")) or best == "application/json"


def init_app(app: Flask) -> None:
    """Register the error pages (HTML) and JSON error bodies (API)."""

    def _render(code: int, message: str):
        if wants_json():
            return jsonify({"code": code, "description": message}), code
        return render_template("error.html", code=code, message=message), code

    @app.errorhandler(Conflict)
    @app.errorhandler(StaleDataError)
    def _conflict(exc):
        return _render(409, str(exc) or "conflict: the record was changed by someone else")

    for code in (400, 403, 404, 405, 409, 413, 429):

        @app.errorhandler(code)
        def _http(exc, code=code):
            return _render(code, getattr(exc, "description", "") or str(exc))
