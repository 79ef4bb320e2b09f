"""Database functions for facilities, population, indicator entries and analysis runs."""

from __future__ import annotations

import json
import re
from datetime import date

import geopandas as gpd
import pandas as pd
from geoalchemy2.shape import from_shape
from geoalchemy2.shape import to_shape
from shapely.geometry import Point
from shapely.geometry import shape
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from boundaries.models import Division
from facilities.indicators import IndicatorInputs
from facilities.kinds import BY_CODE
from facilities.kinds import FACILITY_STATUSES
from facilities.kinds import OPERATOR_TYPES
from facilities.models import AnalysisRun
from facilities.models import Facility
from facilities.models import IndicatorEntry
from facilities.models import PopulationStat
from gis.crs import STORAGE_CRS
from gis.crs import STORAGE_SRID
from gis.crs import in_extent
from gis.history import record
from gis.history import snapshot
from gis.models import RoadSegment

FACILITY_COLUMNS = (
    "id", "kind", "name", "operator_type", "status", "year_opened", "year_closed", "planned_year", "beds",
    "nursing_beds", "floor_area_m2", "new_or_rebuilt", "has_volunteer_site", "service_radius_m",
    "service_minutes", "opening_hours", "contact", "address", "division_code", "serves_code", "source", "version",
)  # fmt: skip
EDITABLE = set(FACILITY_COLUMNS) - {"id", "source", "version"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_HOSTILE = re.compile(
    r"<\s*/?\s*(script|iframe|object|embed|style)|javascript:|;\s*(drop|delete|insert|update)\s", re.I
)
_TEXT_LIMITS = {"name": 200, "opening_hours": 100, "contact": 100, "address": 200}


class FacilityError(ValueError):
    """Invalid facility data (the message names the field and the problem)."""


class ConflictError(RuntimeError):
    """The row changed since it was read (stale version)."""


def facilities_gdf(
    session: Session, *, kinds: list[str] | None = None, statuses: list[str] | None = None
) -> gpd.GeoDataFrame:
    """Every facility (optionally of some kinds/statuses) as a GeoDataFrame in EPSG:4490."""
    q = select(Facility).order_by(Facility.id)
    if kinds:
        q = q.where(Facility.kind.in_(kinds))
    if statuses:
        q = q.where(Facility.status.in_(statuses))
    rows = session.scalars(q).all()
    data = [{c: getattr(f, c) for c in FACILITY_COLUMNS} for f in rows]
    geoms = [to_shape(f.geom) for f in rows]
    gdf = gpd.GeoDataFrame(data, columns=list(FACILITY_COLUMNS), geometry=geoms, crs=STORAGE_CRS)
    for col in ("year_opened", "year_closed", "planned_year", "beds", "nursing_beds"):
        gdf[col] = gdf[col].astype("Int64")
    for col in ("new_or_rebuilt", "has_volunteer_site"):
        gdf[col] = gdf[col].fillna(False).astype(bool)
    return gdf


def get_facility(session: Session, facility_id: int) -> Facility:
    """One facility or ``LookupError``."""
    fac = session.get(Facility, facility_id)
    if fac is None:
        raise LookupError(f"facility {facility_id} not found")
    return fac


def facility_lonlat(fac: Facility) -> tuple[float, float]:
    """A facility's position as (lon, lat) in EPSG:4490."""
    point = to_shape(fac.geom)
    return point.x, point.y


def add_facility(
    session: Session, *, actor: str, kind: str, name: str, lon: float, lat: float, reason: str | None = None,
    source: str = "manual", **attrs,
) -> Facility:  # fmt: skip
    """Validate and insert a facility (its community found by point-in-polygon when not given)."""
    values = validate_facility({"kind": kind, "name": name, **attrs}, lon=lon, lat=lat)
    if not values.get("division_code"):
        values["division_code"] = locate_division(session, lon, lat)
    fac = Facility(**values, geom=from_shape(Point(lon, lat), srid=STORAGE_SRID), author=actor, source=source)
    session.add(fac)
    session.flush()
    record(session, actor=actor, action="create", obj=fac, reason=reason)
    return fac


def update_facility(
    session: Session, facility_id: int, *, actor: str, expected_version: int | None = None,
    lon: float | None = None, lat: float | None = None, reason: str | None = None, **changes,
) -> Facility:  # fmt: skip
    """Change attributes and/or move a facility; a stale ``expected_version`` raises ``ConflictError``."""
    fac = get_facility(session, facility_id)
    _check_version(fac, expected_version)
    unknown = set(changes) - EDITABLE
    if unknown:
        raise FacilityError(f"facility {facility_id}: unknown or read-only fields {sorted(unknown)}")
    before = snapshot(fac)
    merged = {c: getattr(fac, c) for c in EDITABLE} | changes
    point = to_shape(fac.geom)
    lon = point.x if lon is None else lon
    lat = point.y if lat is None else lat
    values = validate_facility(merged, lon=lon, lat=lat)
    moved = (lon, lat) != (point.x, point.y)
    if moved and "division_code" not in changes:
        values["division_code"] = locate_division(session, lon, lat)
    for key, value in values.items():
        setattr(fac, key, value)
    if moved:
        fac.geom = from_shape(Point(lon, lat), srid=STORAGE_SRID)
    fac.author = actor
    _flush(session, fac)
    record(
        session,
        actor=actor,
        action="move" if moved and not changes else "update",
        obj=fac,
        before=before,
        reason=reason,
    )
    return fac


def remove_facility(
    session: Session,
    facility_id: int,
    *,
    actor: str,
    expected_version: int | None = None,
    reason: str | None = None,
) -> None:
    """Delete a facility (recorded with its last state)."""
    fac = get_facility(session, facility_id)
    _check_version(fac, expected_version)
    before = snapshot(fac)
    session.delete(fac)
    _flush(session, fac)
    record(session, actor=actor, action="delete", obj=fac, before=before, reason=reason)


def validate_facility(values: dict, *, lon: float, lat: float) -> dict:
    """Checked, cleaned column values for a facility (raises ``FacilityError`` naming the field)."""
    out = {k: v for k, v in values.items() if k in EDITABLE}
    kind = BY_CODE.get(out.get("kind"))
    if kind is None:
        raise FacilityError(f"kind {out.get('kind')!r} is not a facility kind ({', '.join(BY_CODE)})")
    for key, limit in _TEXT_LIMITS.items():
        if out.get(key) is not None:
            out[key] = clean_text(out[key], field=key, limit=limit)
    if not out.get("name"):
        raise FacilityError("name: required")
    _check_point(lon, lat)
    if out.get("status", "running") not in FACILITY_STATUSES:
        raise FacilityError(f"status {out['status']!r}: one of {FACILITY_STATUSES}")
    if out.get("operator_type") is not None and out["operator_type"] not in OPERATOR_TYPES:
        raise FacilityError(f"operator_type {out['operator_type']!r}: one of {OPERATOR_TYPES}")
    beds, nursing = out.get("beds"), out.get("nursing_beds")
    if beds is not None and (not kind.has_beds or int(beds) < 0):
        raise FacilityError(f"beds: {kind.code} has no beds" if not kind.has_beds else "beds: must be ≥ 0")
    if nursing is not None and (beds is None or not 0 <= int(nursing) <= int(beds)):
        raise FacilityError(f"nursing_beds {nursing}: must be between 0 and beds ({beds})")
    area = out.get("floor_area_m2")
    if area is not None and not kind.has_floor_area:
        raise FacilityError(f"floor_area_m2: not recorded for {kind.code}")
    if kind.code == "community_service" and (area is None or float(area) < 300):
        raise FacilityError(f"floor_area_m2 {area}: a community service facility needs ≥ 300 m²")
    for key in ("year_opened", "year_closed", "planned_year"):
        if out.get(key) is not None and not 1949 <= int(out[key]) <= 2100:
            raise FacilityError(f"{key} {out[key]}: not a plausible year")
    if out.get("status") in ("under_construction", "planned") and out.get("planned_year") is None:
        raise FacilityError("planned_year: required for facilities under construction or planned")
    for key, default in (
        ("service_radius_m", kind.service_radius_m),
        ("service_minutes", kind.service_minutes),
    ):
        if out.get(key) is None:
            out[key] = default
    return out


def clean_text(value: object, *, field: str, limit: int) -> str:
    """Strip a text value; reject control characters, markup/SQL fragments and over-long text."""
    text = str(value).strip()
    if _CONTROL.search(text):
        raise FacilityError(f"{field}: contains control characters")
    if _HOSTILE.search(text):
        raise FacilityError(f"{field}: contains markup or SQL ({text[:40]!r})")
    if "\ufffd" in text:
        raise FacilityError(f"{field}: garbled encoding (U+FFFD)")
    if len(text) > limit:
        raise FacilityError(f"{field}: longer than {limit} characters")
    return text


def locate_division(session: Session, lon: float, lat: float) -> str | None:
    """The community or village containing a point (``None`` when outside every one)."""
    pt = Point(lon, lat)
    q = select(Division).where(Division.level.in_(["community", "village"]), Division.geom.isnot(None))
    q = q.where(Division.geom.ST_Intersects(from_shape(pt, srid=STORAGE_SRID)))
    hit = session.scalars(q.limit(1)).first()
    return None if hit is None else hit.code


def units_gdf(session: Session, *, year: int | None = None) -> gpd.GeoDataFrame:
    """Communities and villages with town/district codes and population (``population_stat`` of ``year`` first)."""
    tree = session.execute(
        select(Division.code, Division.parent_code, Division.level).where(Division.in_wuhai.is_(True))
    ).all()
    parent = {code: parent_code for code, parent_code, _ in tree}
    level = {code: lvl for code, _, lvl in tree}
    divs = session.scalars(
        select(Division)
        .where(Division.in_wuhai.is_(True), Division.level.in_(["community", "village"]))
        .order_by(Division.code)
    ).all()
    rows, geoms = [], []
    for d in divs:
        if d.level not in ("community", "village") or d.geom is None:
            continue
        town = d.parent_code
        district = parent.get(town) if town else None
        while district and level.get(district) not in ("district", None):
            district = parent.get(district)
        rows.append(
            {
                "code": d.code, "name": d.name, "kind": d.kind, "urban_rural": d.urban_rural, "town_code": town,
                "district_code": district, "households": d.households, "residents": d.population,
                "aged_60plus": d.population_60plus,
            }
        )  # fmt: skip
        geoms.append(to_shape(d.geom))
    gdf = gpd.GeoDataFrame(rows, geometry=geoms, crs=STORAGE_CRS)
    if year is not None and len(gdf):
        stats = population_frame(session, year=year)
        if len(stats):
            s = stats.set_index("division_code")
            for col, scol in (
                ("households", "households"),
                ("residents", "residents"),
                ("aged_60plus", "aged_60plus"),
            ):
                gdf[col] = gdf["code"].map(s[scol]).fillna(gdf[col])
    return gdf.sort_values("code").reset_index(drop=True)


def divisions_frame(
    session: Session, *, levels: tuple[str, ...], geometry: bool = True, valid_in: int | None = None
) -> gpd.GeoDataFrame:
    """Wuhai divisions of some levels (code, name, kind, parent_code), with geometry unless ``geometry=False``.

    With ``valid_in``, only the units that existed during that year (``valid_from``/``valid_to``).
    """
    cols = (Division.code, Division.name, Division.kind, Division.level, Division.parent_code)
    q = select(*cols, Division.geom) if geometry else select(*cols)
    q = q.where(Division.level.in_(levels), Division.in_wuhai.is_(True)).order_by(Division.code)
    if valid_in is not None:
        q = q.where(
            or_(Division.valid_from.is_(None), Division.valid_from <= date(valid_in, 12, 31)),
            or_(Division.valid_to.is_(None), Division.valid_to > date(valid_in, 1, 1)),
        )
    divs = session.execute(q).all()
    rows = [
        {"code": d.code, "name": d.name, "kind": d.kind, "level": d.level, "parent_code": d.parent_code}
        for d in divs
    ]
    geoms = [None if not geometry or d.geom is None else to_shape(d.geom) for d in divs]
    return gpd.GeoDataFrame(
        rows, columns=["code", "name", "kind", "level", "parent_code"], geometry=geoms, crs=STORAGE_CRS
    )


def population_frame(session: Session, *, year: int) -> pd.DataFrame:
    """``population_stat`` rows of ``year``."""
    rows = session.scalars(select(PopulationStat).where(PopulationStat.year == year)).all()
    return pd.DataFrame(
        [
            {
                "division_code": r.division_code,
                "households": r.households,
                "residents": r.residents,
                "aged_60plus": r.aged_60plus,
            }
            for r in rows
        ],
        columns=["division_code", "households", "residents", "aged_60plus"],
    )


def entries_frame(session: Session) -> pd.DataFrame:
    """Every entered indicator value."""
    rows = session.scalars(select(IndicatorEntry).order_by(IndicatorEntry.year)).all()
    cols = ["number", "year", "division_code", "value", "value_source", "value_date"]
    return pd.DataFrame([{c: getattr(r, c) for c in cols} for r in rows], columns=cols)


def indicator_inputs(session: Session, *, year: int) -> IndicatorInputs:
    """Assemble the frames the indicators need for ``year``."""
    city = session.scalars(
        select(Division).where(Division.level == "city", Division.in_wuhai.is_(True))
    ).first()
    if city is None:
        raise LookupError("no city division: load the reference data (wuhai-gis load-reference) first")
    towns = divisions_frame(session, levels=("town",), geometry=False, valid_in=year)
    towns = pd.DataFrame(towns.drop(columns="geometry")).rename(columns={"parent_code": "district_code"})
    districts = divisions_frame(session, levels=("district",), geometry=False)
    districts = pd.DataFrame(districts[districts["parent_code"] == city.code].drop(columns="geometry"))
    return IndicatorInputs(
        year=year, city_code=city.code, city_name=city.name, units=units_gdf(session, year=year), towns=towns,
        districts=districts, facilities=facilities_gdf(session), entries=entries_frame(session),
    )  # fmt: skip


def roads_gdf(session: Session) -> gpd.GeoDataFrame:
    """The road centre lines (``road_segment``) in EPSG:4490."""
    rows = session.scalars(select(RoadSegment).order_by(RoadSegment.id)).all()
    data = [
        {"id": r.id, "name": r.name, "road_class": r.road_class, "oneway": r.oneway, "speed_kmh": r.speed_kmh}
        for r in rows
    ]
    return gpd.GeoDataFrame(
        data,
        columns=["id", "name", "road_class", "oneway", "speed_kmh"],
        geometry=[to_shape(r.geom) for r in rows],
        crs=STORAGE_CRS,
    )


def upsert_population(
    session: Session, *, actor: str, division_code: str, year: int, source: str, **numbers
) -> PopulationStat:
    """Insert or update one ``population_stat`` row (recorded)."""
    row = session.scalars(
        select(PopulationStat).where(
            PopulationStat.division_code == division_code, PopulationStat.year == year
        )
    ).first()
    before = None if row is None else snapshot(row)
    if row is None:
        row = PopulationStat(division_code=division_code, year=year)
        session.add(row)
    elif all(getattr(row, k) == v for k, v in numbers.items()) and row.source == source:
        return row
    for key, value in numbers.items():
        setattr(row, key, value)
    row.source, row.author = source, actor
    session.flush()
    record(session, actor=actor, action="create" if before is None else "update", obj=row, before=before)
    return row


def upsert_entry(
    session: Session, *, actor: str, number: int, year: int, value: float, value_source: str,
    division_code: str | None = None, value_date: date | None = None, note: str | None = None, source: str = "manual",
) -> IndicatorEntry:  # fmt: skip
    """Enter (or correct) a non-spatial indicator value with its source and date (recorded)."""
    if not 1 <= number <= 12:
        raise FacilityError(f"indicator number {number}: must be 1-12")
    value_source = clean_text(value_source, field="value_source", limit=200)
    q = select(IndicatorEntry).where(IndicatorEntry.number == number, IndicatorEntry.year == year)
    q = q.where(
        IndicatorEntry.division_code.is_(None)
        if division_code is None
        else IndicatorEntry.division_code == division_code
    )
    row = session.scalars(q).first()
    before = None if row is None else snapshot(row)
    if row is None:
        row = IndicatorEntry(number=number, year=year, division_code=division_code)
        session.add(row)
    elif (row.value, row.value_source, row.value_date, row.note, row.source) == (
        value,
        value_source,
        value_date,
        note,
        source,
    ):
        return row
    row.value, row.value_source, row.value_date, row.note, row.source, row.author = (
        value,
        value_source,
        value_date,
        note,
        source,
        actor,
    )
    session.flush()
    record(session, actor=actor, action="create" if before is None else "update", obj=row, before=before)
    return row


def save_run(
    session: Session, *, actor: str, kind: str, title: str | None, parameters: dict, inputs: dict, summary: dict,
    result: gpd.GeoDataFrame | None = None,
) -> AnalysisRun:  # fmt: skip
    """Store an analysis run (its result layer as GeoJSON in EPSG:4490)."""
    geojson = None if result is None else result.to_crs(STORAGE_CRS).to_json(drop_id=True, to_wgs84=False)
    run = AnalysisRun(
        kind=kind,
        title=title,
        author=actor,
        parameters=parameters,
        inputs=inputs,
        summary=summary,
        result_geojson=geojson,
    )
    session.add(run)
    session.flush()
    return run


def load_run(session: Session, run_id: int) -> tuple[AnalysisRun, gpd.GeoDataFrame | None]:
    """A stored run and its result layer."""
    run = session.get(AnalysisRun, run_id)
    if run is None:
        raise LookupError(f"analysis run {run_id} not found")
    if not run.result_geojson:
        return run, None
    features = json.loads(run.result_geojson)["features"]
    props = [f["properties"] for f in features]
    geoms = [None if f["geometry"] is None else shape(f["geometry"]) for f in features]
    return run, gpd.GeoDataFrame(props, geometry=geoms, crs=STORAGE_CRS)


def list_runs(session: Session, *, kind: str | None = None) -> list[AnalysisRun]:
    """Stored runs, newest first."""
    q = select(AnalysisRun).order_by(AnalysisRun.id.desc())
    if kind:
        q = q.where(AnalysisRun.kind == kind)
    return list(session.scalars(q))


def _check_point(lon: float, lat: float) -> None:
    try:
        lon, lat = float(lon), float(lat)
    except (TypeError, ValueError) as exc:
        raise FacilityError(f"coordinates ({lon}, {lat}): not numbers") from exc
    if not in_extent(lon, lat):
        if in_extent(lat, lon):
            raise FacilityError(f"coordinates ({lon}, {lat}): latitude and longitude look swapped")
        raise FacilityError(f"coordinates ({lon}, {lat}): outside Wuhai (lon/lat in EPSG:4490 expected)")


def _check_version(fac: Facility, expected: int | None) -> None:
    if expected is not None and fac.version != expected:
        raise ConflictError(
            f"facility {fac.id} is at version {fac.version}, not {expected}: reload and retry"
        )


def _flush(session: Session, fac: Facility) -> None:
    try:
        session.flush()
    except StaleDataError as exc:
        raise ConflictError(
            f"facility {fac.id} was changed or removed by someone else: reload and retry"
        ) from exc
