"""Small helpers shared by the officers' form views: reading fields, numbers, dates and versions.

Every refusal is :class:`~gis.errors.InvalidInput` naming the field (422 from the app's error
handler, the form shown again where the view uses ``form_errors``), never a 400 or a 500: text
too long or holding control characters, integers outside the 32-bit columns, floats that are not
finite or beyond :data:`FLOAT_LIMIT`, dates that are no dates, geometries that are not GeoJSON,
empty or not finite.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace
from datetime import date
from typing import Any

from flask import request
from shapely.errors import ShapelyError
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from gis.contracts import FLOAT_LIMIT
from gis.contracts import INT_MAX
from gis.contracts import INT_MIN
from gis.contracts import Contract
from gis.contracts import check
from gis.contracts import of
from gis.errors import InvalidInput
from gis.models import Base

#: A form option that is not a stored field (a layer name, a CRS, an encoding): one line, no formula rule.
OPTION = Contract("text", max_length=40, formula=True)
#: The reason given for a bulk change, recorded in the audit log.
REASON = Contract("text", max_length=500, multiline=True)
#: Control characters a form field may not hold (tab, line feed and carriage return may).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def text(
    name: str, *, required: bool = False, contract: Contract | None = None, limit: int = 4000
) -> str | None:
    """A stripped form field (``None`` when empty); refused when required and missing, too long or with control characters.

    With ``contract`` (the model field's declaration, see :func:`gis.contracts.of`) the field's
    length, pattern, choices and text rules are the contract's, checked as on every other path.
    """
    if contract is not None and contract.max_length is not None:
        limit = contract.max_length
    value = (request.form.get(name) or "").strip()
    if len(value) > limit:
        raise InvalidInput(f"{name}: longer than {limit} characters", field=name)
    if _CONTROL.search(value):
        raise InvalidInput(f"{name}: holds a control character", field=name)
    if not value:
        if required:
            raise InvalidInput(f"{name} is required", field=name)
        return None
    if contract is not None:
        return check(replace(contract, required=required), value, field=name)
    return value


def day(name: str, *, default: date | None = None) -> date | None:
    """A ``YYYY-MM-DD`` form field as a date (``default`` when empty)."""
    value = text(name, limit=40)
    if value is None:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{name}: not a date (YYYY-MM-DD)", field=name) from None


def number(
    name: str,
    *,
    kind: type = float,
    lo: float | None = None,
    hi: float | None = None,
    contract: Contract | None = None,
) -> Any:
    """A numeric form field (``None`` when empty) within ``lo``..``hi``, or as its field's ``contract`` says.

    Integers default to the 32-bit column range, floats to finite values within ``±FLOAT_LIMIT``.
    """
    value = text(name, limit=40)
    if value is None:
        return None
    if contract is not None:
        return check(contract, value, field=name)
    return bounded(name, value, kind=kind, lo=lo, hi=hi)


def bounded(
    name: str, value: str, *, kind: type = float, lo: float | None = None, hi: float | None = None
) -> Any:
    """``value`` (text from a form or a query string) parsed as ``kind`` and checked against its range."""
    if kind is int:
        lo = INT_MIN if lo is None else lo
        hi = INT_MAX if hi is None else hi
    else:
        lo = -FLOAT_LIMIT if lo is None else lo
        hi = FLOAT_LIMIT if hi is None else hi
    try:
        parsed = kind(value.strip()) if len(value) <= 40 else None
    except (ValueError, OverflowError):
        parsed = None
    if parsed is None or (isinstance(parsed, float) and not math.isfinite(parsed)):
        raise InvalidInput(f"{name}: not a {'whole ' if kind is int else ''}number", field=name)
    if not lo <= parsed <= hi:
        raise InvalidInput(f"{name}: {value[:20]} is outside {lo:g}..{hi:g}", field=name)
    return parsed


def version() -> int:
    """The row version the form was rendered with (optimistic locking)."""
    value = request.form.get("version")
    if not value or not value.strip():
        raise InvalidInput("the form lacks the record version; reload the page", field="version")
    return bounded("version", value, kind=int, lo=0)


def geometry(name: str = "geometry") -> BaseGeometry | None:
    """A GeoJSON geometry drawn with Leaflet.draw (lon/lat), or ``None``; refused when empty or not finite."""
    value = text(name, limit=2_000_000)
    if value is None:
        return None
    try:
        doc = json.loads(value)
        if doc.get("type") == "Feature":
            doc = doc["geometry"]
        if doc.get("type") == "FeatureCollection":
            feats = doc.get("features") or []
            if len(feats) != 1:
                raise InvalidInput(f"{name}: draw exactly one geometry", field=name)
            doc = feats[0]["geometry"]
        geom = shape(doc)
    except InvalidInput:
        raise
    except (ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError, ShapelyError) as exc:
        raise InvalidInput(f"{name}: not a GeoJSON geometry ({str(exc)[:100]})", field=name) from None
    if geom.is_empty:
        raise InvalidInput(f"{name}: the geometry is empty", field=name)
    if not all(math.isfinite(c) for c in geom.bounds):
        raise InvalidInput(f"{name}: coordinates must be finite numbers", field=name)
    return geom


def contract(table: str, name: str) -> Contract:
    """The contract of column ``name`` of ``table`` (templates take ``maxlength`` and ``pattern`` from it)."""
    for mapper in Base.registry.mappers:
        if getattr(mapper.class_, "__tablename__", None) == table:
            return of(mapper.class_, name)
    raise KeyError(table)
