"""Accounts: login with hashed passwords, roles, the ``role_required`` decorator and API tokens."""

from __future__ import annotations

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
from flask_login import login_user
from flask_login import logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms import StringField
from wtforms.validators import DataRequired
from wtforms.validators import Length

from gis.accounts import check_login
from gis.errors import Forbidden
from gis.models import User
from webmap.db import get_session
from webmap.security import rate_limited

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
    """Decorator: the view needs a logged-in account holding one of ``roles`` (or admin; no roles: any account).

    Without a login a browser is sent to the login page; any other client gets 401.
    """

    def deco(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                if _from_a_browser():
                    return login_manager.unauthorized()
                abort(401, "log in first: this page needs an account")
            if roles and not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return deco


def _from_a_browser() -> bool:
    """Whether the request asks for a page (a browser's Accept header names text/html)."""
    return any(mime == "text/html" for mime, _q in request.accept_mimetypes)


def actor() -> str:
    """The name recorded as actor of the current request's writes."""
    if not current_user.is_authenticated:
        raise Forbidden("not logged in")
    return current_user.username


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
