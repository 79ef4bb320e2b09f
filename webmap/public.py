"""Public pages: the map with search, the personal start page, and the public sign-damage report."""

from __future__ import annotations

from flask import Blueprint
from flask import render_template
from flask_babel import get_locale
from flask_login import login_required

from webmap.mapi18n import map_labels

bp = Blueprint("public", __name__)


@bp.get("/")
def index():
    """The public map (viewport-loaded layers, search with suggestions)."""
    return render_template("index.html", i18n=map_labels(str(get_locale())))


@bp.get("/home")
@login_required
def home():
    """Start page of a logged-in user: links for their roles."""
    return render_template("home.html")


from webmap import report as _report  # noqa: E402,F401  (registers /report on bp)
