"""The domain errors every package raises and every front end maps, each in one place.

The web answers them with an HTTP status and a page or a JSON problem (``webmap/errors.py``), the
command line with one line, or a JSON error object under ``--format json`` (``cli/errors.py``).
Each subclasses the built-in error it refines, so ``except LookupError`` still catches a
:class:`NotFound`.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refusal a user can act on: the message says what and, where known, which field and row."""

    kind = "error"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        row: int | None = None,
        details: list[Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.row = row
        self.details = list(details) if details else []

    def as_dict(self) -> dict[str, Any]:
        """The error as plain data (kind, message and, when set, field, row and details)."""
        out: dict[str, Any] = {"kind": self.kind, "message": self.message}
        if self.field is not None:
            out["field"] = self.field
        if self.row is not None:
            out["row"] = self.row
        if self.details:
            out["details"] = [d.as_dict() if hasattr(d, "as_dict") else d for d in self.details]
        return out


class NotFound(DomainError, LookupError):
    """The record asked for does not exist."""

    kind = "not_found"


class InvalidInput(DomainError, ValueError):
    """Input refused: a field's value, a row of a file, or a step the procedure does not allow."""

    kind = "invalid"


class Conflict(DomainError):
    """The write clashes with the data as it is: a duplicate key, a state that does not allow it."""

    kind = "conflict"


class StaleVersion(Conflict):
    """The record was changed by someone else since the version the user edited."""

    kind = "stale_version"

    def __init__(self, message: str, *, current_version: int | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.current_version = current_version


class ReadOnly(Conflict):
    """The record is closed to changes (a signed-off inspection round, say)."""

    kind = "read_only"


class Forbidden(DomainError, PermissionError):
    """The actor may not do this (no authenticated actor, or a role that does not allow it)."""

    kind = "forbidden"


def require_actor(actor: str | None) -> str:
    """The actor of a write, refusing an empty one: every write is authorised and recorded."""
    if not actor or not str(actor).strip():
        raise Forbidden("every write needs an authenticated actor")
    return str(actor)
