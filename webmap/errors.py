"""The one place where the web answers errors: domain errors to statuses, pages and JSON problem details.

Not found 404, invalid input 422, conflict and read-only 409, a stale version 409 (412 when the
client sent ``If-Match``), forbidden 403. JSON answers are RFC 9457 problem details that also
carry the OGC API's ``code`` and ``description``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask
from flask import Response
from flask import g
from flask import jsonify
from flask import render_template
from flask import request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from gis.errors import Conflict
from gis.errors import DomainError
from gis.errors import Forbidden
from gis.errors import InvalidInput
from gis.errors import NotFound
from gis.errors import StaleVersion
from gis.rows import domain_error_of

_STATUS: tuple[tuple[type[DomainError], int], ...] = (
    (NotFound, 404),
    (Forbidden, 403),
    (InvalidInput, 422),
    (Conflict, 409),
)
_CODES = {
    404: "NotFound",
    403: "Forbidden",
    422: "InvalidParameterValue",
    409: "Conflict",
    412: "PreconditionFailed",
}
_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    415: "Unsupported media type",
    409: "Conflict",
    412: "Precondition failed",
    413: "Too large",
    422: "Invalid input",
    429: "Too many requests",
}


def status_of(exc: DomainError) -> int:
    """The HTTP status of a domain error."""
    if isinstance(exc, StaleVersion) and request.headers.get("If-Match"):
        return 412
    for kind, status in _STATUS:
        if isinstance(exc, kind):
            return status
    return 400


def problem(exc: DomainError, status: int) -> dict[str, Any]:
    """The JSON problem details of a domain error."""
    body: dict[str, Any] = {
        "type": f"urn:wuhai-gis:error:{exc.kind}",
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": exc.message,
        "code": _CODES.get(status, "Error"),
        "description": exc.message,
    }
    for key in ("field", "row"):
        if getattr(exc, key) is not None:
            body[key] = getattr(exc, key)
    if exc.details:
        body["details"] = exc.as_dict()["details"]
    if isinstance(exc, StaleVersion) and exc.current_version is not None:
        body["current_version"] = exc.current_version
    return body


def wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return request.path.startswith(("/api/", "/ogcapi")) or best == "application/json"


def error_response(exc: BaseException) -> tuple[Response | str, int]:
    """The answer to a domain error (the session of the request rolled back first)."""
    domain = domain_error_of(exc)
    if domain is None:
        raise exc
    _rollback()
    status = status_of(domain)
    if wants_json():
        resp = jsonify(problem(domain, status))
        resp.mimetype = "application/problem+json"
        return resp, status
    return render_template("error.html", code=status, message=domain.message), status


def form_errors(render: Callable[..., Any]) -> Callable:
    """Let a form view answer a domain error by showing its form again with the message.

    ``render(error=message, status=status, exc=exc, **view_args)`` draws the page; JSON clients get
    the problem details as from any other view.
    """

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return view(*args, **kwargs)
            except (DomainError, StaleDataError, IntegrityError) as exc:
                if wants_json():
                    return error_response(exc)
                domain = domain_error_of(exc)
                _rollback()
                return render(*args, error=domain.message, status=status_of(domain), exc=domain, **kwargs)

        return wrapper

    return decorate


def init_app(app: Flask) -> None:
    """Register the answers to domain errors and the HTTP errors' pages (HTML) and bodies (JSON)."""
    app.register_error_handler(DomainError, error_response)
    app.register_error_handler(StaleDataError, error_response)
    app.register_error_handler(IntegrityError, error_response)

    def _render(code: int, message: str):
        if wants_json():
            title = _TITLES.get(code, "Error")
            body = {"type": "about:blank", "title": title, "status": code, "detail": message}
            resp = jsonify({**body, "code": _CODES.get(code, title.replace(" ", "")), "description": message})
            resp.mimetype = "application/problem+json"
            return resp, code
        return render_template("error.html", code=code, message=message), code

    for code in (400, 401, 403, 404, 405, 406, 409, 412, 413, 415, 422, 429):

        @app.errorhandler(code)
        def _http(exc, code=code):
            return _render(code, getattr(exc, "description", "") or str(exc))


def _rollback() -> None:
    sess = g.get("db_session")
    if sess is not None and sess.in_transaction():
        sess.rollback()
