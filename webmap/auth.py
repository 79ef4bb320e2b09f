"""Accounts: login with hashed passwords, roles, the ``role_required`` decorator and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from functools import wraps
from urllib.parse import urlsplit

from flask import Blueprint
from flask import Flask
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager
from flask_login import current_user
from flask_login import login_required
from flask_login import login_user
from flask_login import logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash
from werkzeug.security import generate_password_hash
from wtforms import PasswordField
from wtforms import StringField
from wtforms.validators import DataRequired
from wtforms.validators import Length

from gis.history import record
from gis.history import snapshot
from gis.models import User
from webmap.db import get_session
from webmap.security import rate_limited

ROLES = ("public", "placename_officer", "sign_maintainer", "boundary_inspector", "planner", "admin")

bp = Blueprint("auth", __name__, url_prefix="/auth")
login_manager = LoginManager()


class Account:
    """The logged-in user as Flask-Login sees it (a detached copy of the ``app_user`` row)."""

    is_anonymous = False

    def __init__(self, user: User) -> None:
        self.id = user.id
        self.username = user.username
        self.display_name = user.display_name or user.username
        self.roles = frozenset(user.roles or ())
        self.active = bool(user.active)

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return str(self.id)

    def has_role(self, *roles: str) -> bool:
        """Whether the account holds one of ``roles`` (admin holds every role)."""
        return "admin" in self.roles or bool(self.roles.intersection(roles))


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")

    @app.context_processor
    def _roles():
        def has_role(*roles: str) -> bool:
            return bool(current_user.is_authenticated and current_user.has_role(*roles))

        return {"has_role": has_role}


@login_manager.user_loader
def _load(user_id: str) -> Account | None:
    user = get_session().get(User, int(user_id))
    if user is None or not user.active:
        return None
    return Account(user)


def role_required(*roles: str):
    """Decorator: the view needs a logged-in account holding one of ``roles`` (or admin)."""

    def deco(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return deco


def actor() -> str:
    """The name recorded as actor of the current request's writes."""
    if not current_user.is_authenticated:
        raise PermissionError("not logged in")
    return current_user.username


# -- accounts (also used by ``wuhai-gis user``) ------------------------------------------------


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    roles: list[str] | tuple[str, ...],
    actor: str,
    display_name: str | None = None,
) -> User:
    """Create an account with a scrypt-hashed password; records the write in the audit log."""
    username = (username or "").strip()
    if not username or len(username) > 64 or any(ord(c) < 32 for c in username):
        raise ValueError("username must be 1-64 printable characters")
    bad = [r for r in roles if r not in ROLES]
    if bad or not roles:
        raise ValueError(f"unknown role(s) {bad}; choose from {', '.join(ROLES)}")
    if len(password or "") < 8:
        raise ValueError("password must be at least 8 characters")
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise ValueError(f"user {username!r} exists")
    user = User(
        username=username,
        display_name=display_name,
        password_hash=generate_password_hash(password, method="scrypt"),
        roles=list(dict.fromkeys(roles)),
        author=actor,
        source="manual",
    )
    session.add(user)
    session.flush()
    record(session, actor=actor, action="create", obj=user, reason="account created")
    return user


def set_roles(
    session: Session, user: User, *, roles: list[str], active: bool, actor: str, expected_version: int
) -> User:
    """Change an account's roles and active flag (optimistic lock on ``expected_version``)."""
    from webmap.errors import Conflict

    if user.version != expected_version:
        raise Conflict(f"account {user.username} was changed by someone else (version {user.version})")
    bad = [r for r in roles if r not in ROLES]
    if bad:
        raise ValueError(f"unknown role(s) {bad}")
    before = snapshot(user)
    user.roles = list(dict.fromkeys(roles))
    user.active = active
    session.flush()
    record(session, actor=actor, action="update", obj=user, before=before, reason="roles changed")
    return user


def issue_token(session: Session, user: User, *, actor: str) -> str:
    """Give ``user`` a new API token (returned once; only its SHA-256 is stored)."""
    token = secrets.token_urlsafe(32)
    before = snapshot(user)
    user.api_token_hash = token_hash(token)
    session.flush()
    record(session, actor=actor, action="update", obj=user, before=before, reason="API token issued")
    return token


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def user_for_token(session: Session, token: str) -> User | None:
    """The active account holding API ``token``, or ``None``."""
    if not token:
        return None
    user = session.scalar(select(User).where(User.api_token_hash == token_hash(token)))
    return user if user is not None and user.active else None


def check_login(session: Session, username: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active or not check_password_hash(user.password_hash, password):
        return None
    return user


# -- views --------------------------------------------------------------------------------------


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


@bp.route("/login", methods=["GET", "POST"])
@rate_limited("login")
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = check_login(get_session(), form.username.data, form.password.data)
        if user is None:
            flash(_("Wrong username or password."), "error")
        else:
            login_user(Account(user))
            target = request.args.get("next", "")
            if not target or urlsplit(target).netloc or not target.startswith("/"):
                target = url_for("public.home")
            return redirect(target)
    return render_template("login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    return redirect(url_for("public.index"))
