"""Smart markers' telemetry endpoint: ``POST /api/telemetry`` with one message or a batch.

The device authenticates with its token (``Authorization: Bearer <token>``), not with a login
or a CSRF token. Refusals (wrong token 403, replay 409, malformed or out-of-range body 422) are
problem details from the app's error handler; they are counted even when nothing is stored.
"""

from __future__ import annotations

from flask import Blueprint
from flask import jsonify
from flask import request

from boundaries import telemetry
from webmap.db import get_session

bp = Blueprint("telemetry", __name__, url_prefix="/api/telemetry")


@bp.record_once
def _exempt_from_csrf(state) -> None:
    csrf = state.app.extensions.get("csrf_protect")
    if csrf is not None:
        csrf.exempt(bp)


@bp.post("")
def ingest():
    """Store a message or a batch; answers what was accepted and what was refused, by reason."""
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else ""
    result = telemetry.receive(get_session(), request.get_data(cache=False), token=token, channel="http")
    return jsonify(result.as_dict())
