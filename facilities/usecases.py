"""What a planner does from the command line and the web alike, one function per act.

Each takes a session, the actor and parsed values, checks, writes through the store (which records
the audit entry) and flushes; the front end commits and presents the result.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import geopandas as gpd
from sqlalchemy.orm import Session

from facilities import planning
from facilities import store
from facilities.circles import CircleRule
from facilities.circles import service_areas
from facilities.circles import uncovered_areas
from facilities.indicators import BY_ID
from facilities.indicators import FLOOR_AREA_STANDARDS
from facilities.indicators import LEVELS
from facilities.indicators import active_facilities
from facilities.indicators import compute_indicators
from facilities.indicators import counted_units
from facilities.indicators import floor_area_checks
from facilities.indicators import indicator_frame
from facilities.indicators import indicator_notes
from facilities.kinds import BY_CODE
from facilities.models import Facility
from facilities.models import IndicatorEntry
from facilities.validation import as_number
from facilities.whatif import Scenario
from facilities.whatif import compare_scenario
from gis.crs import STORAGE_CRS
from gis.errors import InvalidInput
from gis.errors import NotFound
from gis.errors import require_actor

#: Where siting looks for demand: the urban communities or the rural villages.
AREAS = ("urban", "rural")
#: Candidate grid spacing a siting run accepts, in metres.
SPACING_M = (50.0, 20000.0)


def add_facility(
    session: Session,
    *,
    actor: str,
    kind: str,
    name: str,
    lon: float,
    lat: float,
    reason: str | None = None,
    **attrs: Any,
) -> Facility:
    """Register a facility; its community is found from the point when not given."""
    require_actor(actor)
    return store.add_facility(
        session, actor=actor, kind=kind, name=name, lon=lon, lat=lat, reason=reason, **attrs
    )


def move_facility(
    session: Session,
    facility_id: int,
    *,
    actor: str,
    lon: float,
    lat: float,
    expected_version: int | None = None,
    reason: str | None = None,
) -> Facility:
    """Move a facility (its community is found again) at the version the user saw."""
    require_actor(actor)
    if lon is None or lat is None:
        raise InvalidInput("a move needs both lon and lat", field="lon" if lon is None else "lat")
    return store.update_facility(
        session, facility_id, actor=actor, lon=lon, lat=lat, expected_version=expected_version, reason=reason
    )


def edit_facility(
    session: Session,
    facility_id: int,
    *,
    actor: str,
    changes: dict[str, Any],
    expected_version: int | None = None,
    reason: str | None = None,
) -> Facility:
    """Change a facility's attributes at the version the user saw (only the fields given)."""
    require_actor(actor)
    if not changes:
        raise InvalidInput("nothing to change: give at least one field", field="changes")
    return store.update_facility(
        session, facility_id, actor=actor, expected_version=expected_version, reason=reason, **changes
    )


def remove_facility(
    session: Session,
    facility_id: int,
    *,
    actor: str,
    reason: str | None,
    expected_version: int | None = None,
) -> int:
    """Remove a facility, saying why (its last state stays in the audit log); returns its id."""
    require_actor(actor)
    if not reason or not reason.strip():
        raise InvalidInput("reason: say why the facility is removed", field="reason")
    store.remove_facility(
        session, facility_id, actor=actor, expected_version=expected_version, reason=reason.strip()
    )
    return int(facility_id)


def enter_indicator(
    session: Session,
    *,
    actor: str,
    number: int | str,
    year: int | str,
    value: float | str,
    value_source: str,
    division_code: str | None = None,
    value_date: date | str | None = None,
    note: str | None = None,
) -> IndicatorEntry:
    """Enter (or correct) a non-spatial indicator value with its source and date.

    Numbers and the date may come as text (as a form sends them).
    """
    require_actor(actor)
    given = {"number": (number, int), "year": (year, int), "value": (value, float)}
    values = {key: as_number(raw, key, kind) for key, (raw, kind) in given.items()}
    for key, found in values.items():
        if found is None:
            raise InvalidInput(f"{key}: required", field=key)
    return store.upsert_entry(
        session,
        actor=actor,
        number=values["number"],
        year=values["year"],
        value=values["value"],
        value_source=value_source,
        division_code=division_code or None,
        value_date=_day(value_date, "value_date"),
        note=note or None,
    )


def indicator_report(
    session: Session,
    *,
    year: int,
    level: str = "city",
    served_rule: str = "inside",
    include_planned: bool = False,
    standards: bool = False,
    workers: int | None = None,
    scheduler: str | None = None,
) -> dict:
    """The plan's indicators for ``year`` at ``level`` with the notes a reader needs.

    A year outside the data's years is refused. With ``standards``, the communities below the
    floor-area standard and what each floor-area standard measures are added. ``workers`` and
    ``scheduler`` run a circle rule's coverage on Dask (see ``planning.served_series``).
    """
    if level not in LEVELS:
        raise InvalidInput(f"level must be one of {', '.join(LEVELS)}, not {level!r}", field="level")
    inputs = store.indicator_inputs(session, year=year)
    served = planning.served_series(
        session, inputs, served_rule=served_rule, workers=workers, scheduler=scheduler
    )
    units = compute_indicators(inputs, level=level, served=served, include_planned=include_planned)
    years = store.data_years(session)
    out = {
        "year": year,
        "level": level,
        "served_rule": served_rule,
        "data_years": None if years is None else list(years),
        "notes": indicator_notes(inputs),
        "units": units,
    }
    if standards:
        checks = floor_area_checks(inputs.units, inputs.facilities, year=year)
        out["standards"] = FLOOR_AREA_STANDARDS
        out["below_standard"] = checks[~checks["meets"]].to_dict(orient="records")
        out["checked_units"] = len(checks)
        out["units_with_sized_facility"] = int((checks["floor_area_m2"] >= checks["required_total_m2"]).sum())
    return out


#: The division levels drawn for each indicator level.
MAP_LEVELS = {
    "city": ("city",),
    "district": ("district",),
    "town": ("town",),
    "community": ("community", "village"),
}


def indicator_map(session: Session, *, year: int, level: str, key: str) -> tuple[gpd.GeoDataFrame, dict]:
    """One indicator per unit of ``level`` as polygons (EPSG:4490), and the indicator's description
    (as in :func:`indicator_report`, with the ``decimals`` its values are given to)."""
    results = indicator_report(session, year=year, level=level)["units"]
    polys = store.divisions_frame(session, levels=MAP_LEVELS[level], valid_in=year)
    frame = indicator_frame(results, polys)
    if key not in frame.columns:
        raise NotFound(f"no indicator {key!r}", field="key")
    meta = next((i for i in results[0]["indicators"] if i["key"] == key), {}) if results else {}
    described = BY_ID.get(meta.get("id"))
    return frame, meta | {"decimals": described.decimals if described else 1}


def kind_coverage(session: Session, *, year: int, kind: str, radius_m: float | None = None) -> dict:
    """Straight-line service circles of one facility kind, the counted units and their uncovered parts.

    Returns ``units``, ``facilities``, ``areas``, ``uncovered`` (EPSG:4490) and ``radius_m``
    (the kind's service radius when not given).
    """
    if kind not in BY_CODE:
        raise InvalidInput(f"kind {kind[:40]!r} is not a facility kind", field="kind")
    radius = radius_m or BY_CODE[kind].service_radius_m or 1000.0
    if not 50 <= radius <= 20000:
        raise InvalidInput("radius_m must be 50-20000", field="radius_m")
    inputs = store.indicator_inputs(session, year=year)
    fac = active_facilities(inputs.facilities, year)
    fac = fac[fac["kind"] == kind]
    units = counted_units(inputs.units)
    areas = service_areas(fac, limit_m=radius) if len(fac) else gpd.GeoDataFrame(geometry=[], crs=STORAGE_CRS)
    uncovered = uncovered_areas(units, areas)
    return {
        "units": units.to_crs(STORAGE_CRS),
        "facilities": fac.to_crs(STORAGE_CRS),
        "areas": areas.to_crs(STORAGE_CRS),
        "uncovered": uncovered.to_crs(STORAGE_CRS),
        "radius_m": radius,
    }


def basemap_layers(session: Session) -> dict[str, gpd.GeoDataFrame]:
    """Our own layers under the planning maps: district outlines and the main roads (EPSG:4490)."""
    districts = store.divisions_frame(session, levels=("district",))
    roads = store.roads_gdf(session)
    roads = roads[roads["road_class"].isin(["trunk", "primary", "secondary"])]
    return {"districts": districts, "roads": roads}


def what_if(session: Session, *, year: int, scenario: Scenario, level: str = "city") -> list[dict]:
    """Every indicator before and after proposed additions, moves and removals (nothing is written)."""
    if level not in LEVELS:
        raise InvalidInput(f"level must be one of {', '.join(LEVELS)}, not {level!r}", field="level")
    inputs = store.indicator_inputs(session, year=year)
    return compare_scenario(inputs, scenario, level=level)


def site_facilities(
    session: Session,
    *,
    actor: str,
    year: int,
    kind: str = "home_care_station",
    n: int | str | None = None,
    area: str = "urban",
    candidates: str = "grid",
    spacing_m: float | str | None = 500.0,
    candidate_points: gpd.GeoDataFrame | None = None,
    rule: CircleRule | None = None,
    solver: str = "auto",
) -> dict:
    """Where to put new facilities (maximal covering for ``n`` sites, else set covering), stored as a run.

    ``n`` and ``spacing_m`` may come as text. Returns the report with ``run_id``, the stored run's id.
    """
    require_actor(actor)
    n = as_number(n, "n", int)
    spacing_m = as_number(spacing_m, "spacing_m", float)
    if spacing_m is None:
        spacing_m = 500.0
    if kind not in BY_CODE:
        raise InvalidInput(f"kind {kind!r} is not a facility kind", field="kind")
    if area not in AREAS:
        raise InvalidInput(f"area must be urban or rural, not {area!r}", field="area")
    if n is not None and n < 1:
        raise InvalidInput("the number of new sites must be at least 1", field="n")
    if not SPACING_M[0] <= spacing_m <= SPACING_M[1]:
        raise InvalidInput(
            f"spacing_m {spacing_m}: between {SPACING_M[0]:.0f} and {SPACING_M[1]:.0f} m", field="spacing_m"
        )
    rule = rule or CircleRule()
    report, chosen = planning.siting(
        session,
        year=year,
        kind=kind,
        n=n,
        candidates=candidates,
        spacing_m=spacing_m,
        candidate_points=candidate_points,
        rule=rule,
        solver=solver,
        area=area,
    )
    run = store.save_run(
        session,
        actor=actor,
        kind="siting",
        title=f"siting {kind} {year}",
        parameters={"n": n, "candidates": candidates, "solver": solver, "area": area} | rule.as_dict(),
        inputs={"year": year},
        summary=report,
        result=chosen,
    )
    return report | {"run_id": run.id}


def _day(value: date | str | None, field: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    if not str(value).strip():
        return None
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidInput(f"{field} {str(value)[:20]!r}: not a date (YYYY-MM-DD)", field=field) from None
