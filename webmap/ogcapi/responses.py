"""What every OGC API answer shares: format negotiation (``f`` and ``Accept``), JSON bodies, links."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask import request
from flask import url_for

from webmap.ogcapi import query

GEOJSON = "application/geo+json"
JSON = "application/json"
HTML = "text/html"
#: Values of ``f`` and the format each stands for.
F_VALUES = {"json": "json", "geojson": "json", "html": "html"}


class NotAcceptable(Exception):
    """No representation the client accepts (HTTP 406)."""


def negotiate(*json_types: str) -> str:
    """``"json"`` or ``"html"`` from ``f`` (400 when unknown) or ``Accept`` (406 when nothing fits)."""
    f = request.args.get("f")
    if f is not None:
        if f.lower() not in F_VALUES:
            raise query.BadRequest(f"f={f!r} is not offered; use f=json or f=html")
        return F_VALUES[f.lower()]
    accept = request.accept_mimetypes
    if not accept:
        return "json"
    offered = [*json_types, JSON, HTML]
    best = accept.best_match(offered)
    if best is None:
        raise NotAcceptable(f"only {', '.join(dict.fromkeys(offered))} are offered")
    if best == HTML and accept[HTML] > max(accept[t] for t in (*json_types, JSON)):
        return "html"
    return "json"


def json_response(
    obj: Any | str | bytes, *, mimetype: str = JSON, status: int = 200, headers=None
) -> Response:
    """A JSON answer (any origin may read it)."""
    body = obj if isinstance(obj, str | bytes) else query.dumps(obj)
    resp = Response(body, status=status, mimetype=mimetype, headers=headers)
    resp.headers["Access-Control-Allow-Origin"] = "*"
    return resp


def problem(status: int, code: str, message: str) -> Response:
    """An error answer as problem details carrying the OGC ``code`` and ``description`` too."""
    titles = {400: "Bad request", 401: "Unauthorized", 406: "Not acceptable", 415: "Unsupported media type"}
    body = {
        "type": "about:blank",
        "title": titles.get(status, "Error"),
        "status": status,
        "detail": message,
        "code": code,
        "description": message,
    }
    return json_response(body, mimetype="application/problem+json", status=status)


def link(endpoint: str, rel: str, mtype: str, title: str | None = None, **values) -> dict[str, str]:
    """A link object to ``endpoint`` (absolute URL)."""
    out = {"href": url_for(endpoint, _external=True, **values), "rel": rel, "type": mtype}
    if title:
        out["title"] = title
    return out
