"""Calls into the domain packages' store functions by name, with a clear answer when one is missing.

Views never hold domain logic; they call ``placenames``/``boundaries``/``facilities`` functions.
Where a function a page needs is not provided (yet), the page says so with HTTP 501 instead of
doing the work itself.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from werkzeug.exceptions import HTTPException


class DomainFunctionMissing(HTTPException):
    code = 501

    def __init__(self, qualname: str) -> None:
        super().__init__(
            f"not available: the domain function {qualname} is not provided by this installation"
        )
        self.qualname = qualname


def find(module: str, name: str) -> Callable[..., Any] | None:
    """The function ``module.name`` or ``None`` when the module or the function does not exist."""
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name):
            return None
        raise
    return getattr(mod, name, None)


def get(module: str, name: str) -> Callable[..., Any]:
    """The function ``module.name``; raises HTTP 501 when it is missing."""
    fn = find(module, name)
    if fn is None:
        raise DomainFunctionMissing(f"{module}.{name}")
    return fn


def call(module: str, function: str, /, *args: Any, **kwargs: Any) -> Any:
    """Call ``module.name(*args, **kwargs)`` (HTTP 501 when it is missing)."""
    return get(module, function)(*args, **kwargs)


def available(module: str, name: str) -> bool:
    return find(module, name) is not None
