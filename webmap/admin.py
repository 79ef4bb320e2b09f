"""Administrators: accounts and roles, API tokens, and the audit log of every write."""

from __future__ import annotations

from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select

from gis.accounts import ROLES
from gis.accounts import create_user
from gis.accounts import issue_token
from gis.accounts import set_roles
from gis.contracts import of
from gis.models import AuditLog
from gis.models import User
from webmap import forms
from webmap.auth import actor
from webmap.auth import role_required
from webmap.db import get_session
from webmap.errors import form_errors

bp = Blueprint("admin", __name__, url_prefix="/admin")
PAGE = 100


def _index(*_args, error: str | None = None, status: int = 200, token: tuple[str, str] | None = None, **_kw):
    if error:
        flash(error, "error")
    users = get_session().scalars(select(User).order_by(User.username)).all()
    return render_template("admin/index.html", users=users, roles=ROLES, token=token), status


@bp.get("/")
@role_required("admin")
def index():
    return _index()


@bp.post("/users")
@role_required("admin")
@form_errors(_index)
def create():
    s = get_session()
    create_user(
        s,
        username=forms.text("username", required=True, contract=of(User, "username")),
        password=request.form.get("password", ""),
        roles=request.form.getlist("roles"),
        display_name=forms.text("display_name", contract=of(User, "display_name")),
        actor=actor(),
    )
    s.commit()
    flash(_("Account created."), "ok")
    return redirect(url_for("admin.index"))


@bp.post("/users/<int:user_id>")
@role_required("admin")
@form_errors(_index)
def update(user_id: int):
    s = get_session()
    set_roles(s, user_id, roles=request.form.getlist("roles"), active=bool(request.form.get("active")),
              actor=actor(), expected_version=forms.version())  # fmt: skip
    s.commit()
    flash(_("Account saved."), "ok")
    return redirect(url_for("admin.index"))


@bp.post("/users/<int:user_id>/token")
@role_required("admin")
def token(user_id: int):
    s = get_session()
    user, value = issue_token(s, user_id, actor=actor())
    s.commit()
    return _index(token=(user.username, value))


@bp.get("/audit")
@role_required("admin")
def audit():
    """The audit log, newest first, filtered by table, actor or row."""
    s = get_session()
    stmt = select(AuditLog).order_by(AuditLog.id.desc())
    for key in ("table_name", "actor", "row_key"):
        value = (request.args.get(key) or "").strip()
        if value:
            stmt = stmt.where(getattr(AuditLog, key) == value[:64])
    page = max(request.args.get("page", 1, type=int), 1)
    rows = s.scalars(stmt.limit(PAGE + 1).offset((page - 1) * PAGE)).all()
    return render_template(
        "admin/audit.html",
        rows=rows[:PAGE],
        has_next=len(rows) > PAGE,
        page=page,
        args={k: v for k, v in request.args.items() if k != "page"},
    )
