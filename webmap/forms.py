"""Small helpers shared by the officers' form views: reading fields, dates and versions."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from flask import abort
from flask import request
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry


def text(name: str, *, required: bool = False, limit: int = 4000) -> str | None:
    """A stripped form field (``None`` when empty); 400 when required and missing or too long."""
    value = (request.form.get(name) or "").strip()
    if len(value) > limit:
        abort(400, f"{name}: longer than {limit} characters")
    if not value:
        if required:
            abort(400, f"{name} is required")
        return None
    return value


def day(name: str, *, default: date | None = None) -> date | None:
    value = text(name)
    if value is None:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        abort(400, f"{name}: not a date (YYYY-MM-DD)")


def number(name: str, *, kind: type = float) -> Any:
    value = text(name)
    if value is None:
        return None
    try:
        return kind(value)
    except ValueError:
        abort(400, f"{name}: not a number")


def version() -> int:
    """The row version the form was rendered with (optimistic locking)."""
    try:
        return int(request.form["version"])
    except (KeyError, ValueError):
        abort(400, "the form lacks the record version; reload the page")


def geometry(name: str = "geometry") -> BaseGeometry | None:
    """A GeoJSON geometry drawn with Leaflet.draw (lon/lat), or ``None``."""
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
                abort(400, "draw exactly one geometry")
            doc = feats[0]["geometry"]
        return shape(doc)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        abort(400, f"geometry: {exc}")
