"""Accounts of the web app and the API: create, change roles, issue tokens, check a login or a token.

The same use cases serve ``wuhai-gis user`` and the admin pages. Passwords are scrypt-hashed, API
tokens kept as their SHA-256 only.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash
from werkzeug.security import generate_password_hash

from gis.errors import Conflict
from gis.errors import InvalidInput
from gis.errors import require_actor
from gis.history import record
from gis.history import snapshot
from gis.models import User
from gis.rows import check_version
from gis.rows import flush_or_conflict
from gis.rows import get_or_raise

ROLES = ("public", "placename_officer", "sign_maintainer", "boundary_inspector", "planner", "admin")


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
    require_actor(actor)
    username = (username or "").strip()
    if not username or len(username) > 64 or any(ord(c) < 32 for c in username):
        raise InvalidInput("username must be 1-64 printable characters", field="username")
    _check_roles(roles)
    if len(password or "") < 8:
        raise InvalidInput("password must be at least 8 characters", field="password")
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise Conflict(f"user {username!r} exists", field="username")
    user = User(
        username=username,
        display_name=display_name,
        password_hash=generate_password_hash(password, method="scrypt"),
        roles=list(dict.fromkeys(roles)),
        author=actor,
        source="manual",
    )
    session.add(user)
    flush_or_conflict(session, f"account {username}")
    record(session, actor=actor, action="create", obj=user, reason="account created")
    return user


def set_roles(
    session: Session,
    user_id: int,
    *,
    roles: list[str],
    active: bool,
    actor: str,
    expected_version: int | None,
) -> User:
    """Change an account's roles and active flag (refused when the account changed since ``expected_version``)."""
    require_actor(actor)
    user = get_or_raise(session, User, user_id, what="account")
    check_version(user, expected_version, what=f"account {user.username}")
    _check_roles(roles)
    before = snapshot(user)
    user.roles = list(dict.fromkeys(roles))
    user.active = active
    flush_or_conflict(session, f"account {user.username}")
    record(session, actor=actor, action="update", obj=user, before=before, reason="roles changed")
    return user


def issue_token(session: Session, user_id: int, *, actor: str) -> tuple[User, str]:
    """Give an account a new API token (returned once; only its SHA-256 is stored)."""
    require_actor(actor)
    user = get_or_raise(session, User, user_id, what="account")
    token = secrets.token_urlsafe(32)
    before = snapshot(user)
    user.api_token_hash = token_hash(token)
    flush_or_conflict(session, f"account {user.username}")
    record(session, actor=actor, action="update", obj=user, before=before, reason="API token issued")
    return user, token


def user_by_name(session: Session, username: str) -> User:
    """The account called ``username``, or :class:`~gis.errors.NotFound`."""
    from gis.errors import NotFound

    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"no user {username!r}", field="username")
    return user


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def user_for_token(session: Session, token: str) -> User | None:
    """The active account holding API ``token``, or ``None``."""
    if not token:
        return None
    user = session.scalar(select(User).where(User.api_token_hash == token_hash(token)))
    return user if user is not None and user.active else None


def check_login(session: Session, username: str, password: str) -> User | None:
    """The active account for a username and password, or ``None``."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active or not check_password_hash(user.password_hash, password):
        return None
    return user


def _check_roles(roles: list[str] | tuple[str, ...]) -> None:
    bad = [r for r in roles if r not in ROLES]
    if bad or not roles:
        raise InvalidInput(f"unknown role(s) {bad}; choose from {', '.join(ROLES)}", field="roles")
