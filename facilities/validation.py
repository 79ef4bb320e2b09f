"""Checks of facility values before they are written: kinds, text, numbers, years and coordinates."""

from __future__ import annotations

import re
from typing import Any

from facilities.kinds import BY_CODE
from facilities.kinds import FACILITY_STATUSES
from facilities.kinds import OPERATOR_TYPES
from gis.crs import in_extent
from gis.errors import InvalidInput
from gis.text import clean_text as shared_clean_text

FACILITY_COLUMNS = (
    "id", "kind", "name", "operator_type", "status", "year_opened", "year_closed", "planned_year", "beds",
    "nursing_beds", "floor_area_m2", "new_or_rebuilt", "has_volunteer_site", "service_radius_m",
    "service_minutes", "opening_hours", "contact", "address", "division_code", "serves_code", "source", "version",
)  # fmt: skip
EDITABLE = set(FACILITY_COLUMNS) - {"id", "source", "version"}
_HOSTILE = re.compile(
    r"<\s*/?\s*(script|iframe|object|embed|style)|javascript:|;\s*(drop|delete|insert|update)\s", re.I
)
_TEXT_LIMITS = {"name": 200, "opening_hours": 100, "contact": 100, "address": 200}
_INTEGERS = ("year_opened", "year_closed", "planned_year", "beds", "nursing_beds")
_NUMBERS = ("floor_area_m2", "service_radius_m", "service_minutes")


def validate_facility(values: dict, *, lon: Any, lat: Any) -> dict:
    """Checked, cleaned column values for a facility (:class:`InvalidInput` naming the field)."""
    out = {k: v for k, v in values.items() if k in EDITABLE}
    kind = BY_CODE.get(out.get("kind"))
    if kind is None:
        raise InvalidInput(
            f"kind {out.get('kind')!r} is not a facility kind ({', '.join(BY_CODE)})", field="kind"
        )
    for key, limit in _TEXT_LIMITS.items():
        if out.get(key) is not None:
            out[key] = clean_text(out[key], field=key, limit=limit)
    if not out.get("name"):
        raise InvalidInput("name: required", field="name")
    for keys, kind_of in ((_INTEGERS, int), (_NUMBERS, float)):
        for key in keys:
            if key in out:
                out[key] = as_number(out[key], key, kind_of)
    check_point(lon, lat)
    if out.get("status", "running") not in FACILITY_STATUSES:
        raise InvalidInput(f"status {out['status']!r}: one of {FACILITY_STATUSES}", field="status")
    if out.get("operator_type") is not None and out["operator_type"] not in OPERATOR_TYPES:
        raise InvalidInput(
            f"operator_type {out['operator_type']!r}: one of {OPERATOR_TYPES}", field="operator_type"
        )
    beds, nursing = out.get("beds"), out.get("nursing_beds")
    if beds is not None and (not kind.has_beds or beds < 0):
        message = f"beds: {kind.code} has no beds" if not kind.has_beds else "beds: must be ≥ 0"
        raise InvalidInput(message, field="beds")
    if nursing is not None and (beds is None or not 0 <= nursing <= beds):
        raise InvalidInput(
            f"nursing_beds {nursing}: must be between 0 and beds ({beds})", field="nursing_beds"
        )
    area = out.get("floor_area_m2")
    if area is not None and not kind.has_floor_area:
        raise InvalidInput(f"floor_area_m2: not recorded for {kind.code}", field="floor_area_m2")
    if kind.code == "community_service" and (area is None or area < 300):
        raise InvalidInput(
            f"floor_area_m2 {area}: a community service facility needs ≥ 300 m²", field="floor_area_m2"
        )
    for key in ("year_opened", "year_closed", "planned_year"):
        if out.get(key) is not None and not 1949 <= out[key] <= 2100:
            raise InvalidInput(f"{key} {out[key]}: not a plausible year", field=key)
    if out.get("status") in ("under_construction", "planned") and out.get("planned_year") is None:
        raise InvalidInput(
            "planned_year: required for facilities under construction or planned", field="planned_year"
        )
    for key, default in (
        ("service_radius_m", kind.service_radius_m),
        ("service_minutes", kind.service_minutes),
    ):
        if out.get(key) is None:
            out[key] = default
    return out


def clean_text(value: object, *, field: str, limit: int) -> str:
    """The shared text contract (:func:`gis.text.clean_text`), and no markup or SQL fragments."""
    text = shared_clean_text(value, field=field, limit=limit)
    if _HOSTILE.search(text):
        raise InvalidInput(f"{field}: contains markup or SQL ({text[:40]!r})", field=field)
    return text


def check_point(lon: Any, lat: Any) -> tuple[float, float]:
    """``(lon, lat)`` as numbers inside Wuhai (EPSG:4490), or :class:`InvalidInput` saying what is wrong."""
    try:
        x, y = float(lon), float(lat)
    except (TypeError, ValueError):
        raise InvalidInput(f"coordinates ({lon}, {lat}): not numbers", field="lon") from None
    if not in_extent(x, y):
        if in_extent(y, x):
            raise InvalidInput(
                f"coordinates ({lon}, {lat}): latitude and longitude look swapped", field="lon"
            )
        raise InvalidInput(
            f"coordinates ({lon}, {lat}): outside Wuhai (lon/lat in EPSG:4490 expected)", field="lon"
        )
    return x, y


def as_number(value: Any, field: str, kind: type = float) -> Any:
    """``value`` (a number or its text, as a form sends it) as ``kind``; empty is ``None``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise InvalidInput(f"{field}: not a number", field=field)
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{field} {str(value)[:20]!r}: not a number", field=field) from None
    if kind is int and isinstance(value, float) and value != number:
        raise InvalidInput(f"{field} {value}: not a whole number", field=field)
    return number
