"""Renamings in progress (更名): the officers' read-only list and the page of one renaming.

The steps themselves (review, approve, announce) are the forms on the name's page
(:mod:`webmap.placenames_bp`); these pages list what is under way, as ``wuhai-gis names renaming
list`` and ``show`` do, from the same read use cases, and answer the same JSON.
"""

from __future__ import annotations

from flask import Blueprint
from flask import jsonify
from flask import render_template
from flask import request

from gis.errors import InvalidInput
from placenames import renaming
from placenames import usecases
from webmap.auth import role_required
from webmap.db import get_session

bp = Blueprint("renamings", __name__, url_prefix="/renamings")
OFFICER = "placename_officer"


def _statuses() -> list[str]:
    """The ``status`` query arguments (repeatable; ``all`` for every status)."""
    wanted = [s for s in request.args.getlist("status") if s]
    return list(renaming.STATUSES) if "all" in wanted else wanted


def _wants_json() -> bool:
    return request.args.get("format") == "json"


@bp.get("/")
@role_required(OFFICER)
def index():
    """Renamings, oldest first: by default those in progress; ``?status=`` selects (repeatable).

    ``?format=json`` answers the rows of ``wuhai-gis names renaming list --format json``.
    """
    statuses = _statuses()
    rows = usecases.list_renamings(get_session(), statuses=statuses)
    if _wants_json():
        return jsonify(rows)
    return render_template(
        "renamings/index.html",
        rows=rows,
        selected=statuses,
        statuses=renaming.STATUSES,
        in_progress=renaming.IN_PROGRESS,
    )


@bp.get("/<int:renaming_id>")
@role_required(OFFICER)
def detail(renaming_id: int):
    """One renaming: its place, steps, approval and the new name's rule findings.

    ``?format=json`` answers what ``wuhai-gis names renaming show ID --format json`` prints.
    """
    d = usecases.show_renaming(get_session(), renaming_id)
    if _wants_json():
        return jsonify(d)
    return render_template("renamings/detail.html", r=d)


def _check_format() -> None:
    fmt = request.args.get("format")
    if fmt not in (None, "", "html", "json"):
        raise InvalidInput(f"format {fmt} is not offered; html or json", field="format")


bp.before_request(_check_format)
