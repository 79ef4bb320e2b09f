"""Checks of facility values before they are written: kinds, text, numbers, years and coordinates."""

from __future__ import annotations

from typing import Any

from facilities.kinds import BY_CODE
from facilities.kinds import FACILITY_STATUSES
from facilities.models import FACILITY_CONTRACTS
from gis.contracts import check
from gis.contracts import text as text_contract
from gis.crs import in_extent
from gis.errors import InvalidInput

FACILITY_COLUMNS = (
    "id", "kind", "name", "operator_type", "status", "year_opened", "year_closed", "planned_year", "beds",
    "nursing_beds", "floor_area_m2", "new_or_rebuilt", "has_volunteer_site", "service_radius_m",
    "service_minutes", "opening_hours", "contact", "address", "division_code", "serves_code", "source", "version",
)  # fmt: skip
EDITABLE = set(FACILITY_COLUMNS) - {"id", "source", "version"}


def validate_facility(values: dict, *, lon: Any, lat: Any) -> dict:
    """Checked, cleaned column values for a facility (:class:`InvalidInput` naming the field).

    Each value is checked against its field's contract (:data:`facilities.models.FACILITY_CONTRACTS`),
    then the rules across fields and those of the facility's kind.
    """
    out = {k: v for k, v in values.items() if k in EDITABLE}
    kind = BY_CODE.get(out.get("kind"))
    if kind is None:
        raise InvalidInput(
            f"kind {out.get('kind')!r} is not a facility kind ({', '.join(BY_CODE)})", field="kind"
        )
    out.setdefault("name", None)
    for key, value in out.items():
        contract = FACILITY_CONTRACTS.get(key)
        if contract is not None and contract.kind != "bool":
            out[key] = check(contract, value, field=key)
    check_point(lon, lat)
    if out.get("status", "running") not in FACILITY_STATUSES:
        raise InvalidInput(f"status {out['status']!r}: one of {FACILITY_STATUSES}", field="status")
    beds, nursing = out.get("beds"), out.get("nursing_beds")
    if beds is not None and not kind.has_beds:
        raise InvalidInput(f"beds: {kind.code} has no beds", field="beds")
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
    """Free text of at most ``limit`` characters under the rules every text contract shares (:mod:`gis.contracts`)."""
    return check(text_contract(limit, multiline=True), value, field=field) or ""


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
