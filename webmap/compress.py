"""gzip of text responses (HTML, JSON, GeoJSON, CSS, JS) for clients that accept it (phones on slow links)."""

from __future__ import annotations

import gzip

from flask import Flask
from flask import Response
from flask import request

COMPRESSIBLE = {
    "text/html",
    "text/css",
    "text/csv",
    "text/javascript",
    "application/javascript",
    "application/json",
    "application/geo+json",
    "application/vnd.oai.openapi+json",
}
MIN_BYTES = 1024


def init_app(app: Flask) -> None:
    @app.after_request
    def _gzip(resp: Response) -> Response:
        if (
            resp.status_code != 200
            or "gzip" not in request.headers.get("Accept-Encoding", "").lower()
            or resp.headers.get("Content-Encoding")
            or resp.mimetype not in COMPRESSIBLE
            or resp.is_streamed
            and not resp.direct_passthrough
        ):
            return resp
        resp.direct_passthrough = False
        data = resp.get_data()
        if len(data) < MIN_BYTES:
            return resp
        resp.set_data(gzip.compress(data, compresslevel=5))
        resp.headers["Content-Encoding"] = "gzip"
        resp.headers["Content-Length"] = str(len(resp.get_data()))
        resp.vary.add("Accept-Encoding")
        if resp.headers.get("ETag"):
            resp.headers["ETag"] = resp.headers["ETag"].rstrip('"') + '-gzip"'
        return resp
