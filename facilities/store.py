"""Database functions for facilities, population, indicator entries and analysis runs."""

from __future__ import annotations

import json
from datetime import date

import geopandas as gpd
import pandas as pd
from geoalchemy2.shape import from_shape
from geoalchemy2.shape import to_shape
from shapely.geometry import Point
from shapely.geometry import shape
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from boundaries import divisions
from facilities.indicators import ENTERED_NUMBERS
from facilities.indicators import INDICATORS
from facilities.indicators import IndicatorInputs
from facilities.models import AnalysisRun
from facilities.models import Facility
from facilities.models import IndicatorEntry
from facilities.models import PopulationStat
from facilities.validation import EDITABLE
from facilities.validation import FACILITY_COLUMNS
from facilities.validation import clean_text
from facilities.validation import validate_facility
from gis.crs import STORAGE_CRS
from gis.crs import STORAGE_SRID
from gis.errors import InvalidInput
from gis.history import record
from gis.history import snapshot
from gis.roads import roads_gdf as roads_gdf  # the one road reader, for the analyses
from gis.rows import check_version
from gis.rows import flush_or_conflict
from gis.rows import get_or_raise


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
    data = [
        {c: getattr(f, c) for c in FACILITY_COLUMNS}
        | {"registered_year": f.created_at.year if f.created_at else None}
        for f in rows
    ]
    geoms = [to_shape(f.geom) for f in rows]
    columns = [*FACILITY_COLUMNS, "registered_year"]
    gdf = gpd.GeoDataFrame(data, columns=columns, geometry=geoms, crs=STORAGE_CRS)
    for col in ("year_opened", "year_closed", "planned_year", "beds", "nursing_beds", "registered_year"):
        gdf[col] = gdf[col].astype("Int64")
    for col in ("new_or_rebuilt", "has_volunteer_site"):
        gdf[col] = gdf[col].fillna(False).astype(bool)
    return gdf


def get_facility(session: Session, facility_id: int) -> Facility:
    """One facility, or :class:`~gis.errors.NotFound`."""
    return get_or_raise(session, Facility, facility_id, what="facility")


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
    lon, lat = float(lon), float(lat)
    if not values.get("division_code"):
        values["division_code"] = locate_division(session, lon, lat)
    fac = Facility(**values, geom=from_shape(Point(lon, lat), srid=STORAGE_SRID), author=actor, source=source)
    session.add(fac)
    flush_or_conflict(session, f"new facility {values['name']!r}")
    record(session, actor=actor, action="create", obj=fac, reason=reason)
    return fac


def update_facility(
    session: Session, facility_id: int, *, actor: str, expected_version: int | None = None,
    lon: float | None = None, lat: float | None = None, reason: str | None = None, **changes,
) -> Facility:  # fmt: skip
    """Change attributes and/or move a facility; a stale ``expected_version`` raises ``StaleVersion``."""
    fac = get_facility(session, facility_id)
    label = f"facility {fac.id}"
    check_version(fac, expected_version, what=label)
    unknown = sorted(set(changes) - EDITABLE)
    if unknown:
        raise InvalidInput(f"{label}: unknown or read-only fields {unknown}", field=unknown[0])
    before = snapshot(fac)
    merged = {c: getattr(fac, c) for c in EDITABLE} | changes
    point = to_shape(fac.geom)
    lon = point.x if lon is None else lon
    lat = point.y if lat is None else lat
    values = validate_facility(merged, lon=lon, lat=lat)
    lon, lat = float(lon), float(lat)
    moved = (lon, lat) != (point.x, point.y)
    if moved and "division_code" not in changes:
        values["division_code"] = locate_division(session, lon, lat)
    for key, value in values.items():
        setattr(fac, key, value)
    if moved:
        fac.geom = from_shape(Point(lon, lat), srid=STORAGE_SRID)
    fac.author = actor
    flush_or_conflict(session, label)
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
    label = f"facility {fac.id}"
    check_version(fac, expected_version, what=label)
    before = snapshot(fac)
    session.delete(fac)
    flush_or_conflict(session, label)
    record(session, actor=actor, action="delete", obj=fac, before=before, reason=reason)


def locate_division(session: Session, lon: float, lat: float) -> str | None:
    """The community or village containing a point (``None`` when outside every one)."""
    return divisions.locate_division(session, lon, lat, levels=divisions.UNIT_LEVELS)


def units_gdf(session: Session, *, year: int | None = None) -> gpd.GeoDataFrame:
    """Communities and villages with town/district codes and population (``population_stat`` of ``year`` first).

    With ``year``, the units that existed during that year; without, every unit ever recorded.
    """
    tree = divisions.divisions_gdf(session, geometry=False, every_period=True)
    parent = dict(zip(tree["code"], tree["parent_code"], strict=True))
    level = dict(zip(tree["code"], tree["level"], strict=True))
    divs = divisions.divisions_gdf(session, levels=divisions.UNIT_LEVELS, **_period(year))
    divs = divs[divs.geometry.notna()]
    rows = []
    for d in divs.itertuples():
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
    gdf = gpd.GeoDataFrame(rows, geometry=list(divs.geometry), crs=STORAGE_CRS)
    if year is not None and len(gdf):
        stats = population_frame(session, year=year)
        if len(stats):
            s = stats.set_index("division_code")
            for col in ("households", "residents", "aged_60plus"):
                gdf[col] = gdf["code"].map(s[col]).fillna(gdf[col])
    return gdf.sort_values("code").reset_index(drop=True)


def divisions_frame(
    session: Session, *, levels: tuple[str, ...], geometry: bool = True, valid_in: int | None = None
) -> gpd.GeoDataFrame:
    """Wuhai divisions of some levels (code, name, kind, level, parent_code), with geometry unless ``geometry=False``.

    With ``valid_in``, only the divisions that existed during that year; without, every one recorded.
    """
    divs = divisions.divisions_gdf(session, levels=levels, geometry=geometry, **_period(valid_in))
    return divs[["code", "name", "kind", "level", "parent_code", "geometry"]].reset_index(drop=True)


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


#: The year of the divisions' own population figures (the 2020 census), the plan's baseline year.
BASE_YEAR = 2020


def data_years(session: Session) -> tuple[int, int] | None:
    """The years the data covers: from the base year (the divisions' own figures) to the last year
    of ``population_stat`` (``None`` when there are no yearly figures: every year uses the base)."""
    first, last = session.execute(select(func.min(PopulationStat.year), func.max(PopulationStat.year))).one()
    return None if first is None else (min(int(first), BASE_YEAR), max(int(last), BASE_YEAR))


def check_year(session: Session, year: int) -> tuple[int, int] | None:
    """The data's years, or :class:`InvalidInput` when ``year`` lies outside them."""
    years = data_years(session)
    if years is not None and not years[0] <= year <= years[1]:
        raise InvalidInput(
            f"year {year}: outside the data (population figures cover {years[0]}–{years[1]})", field="year"
        )
    return years


def indicator_inputs(session: Session, *, year: int) -> IndicatorInputs:
    """Assemble the frames the indicators need for ``year`` (a year outside the data is refused)."""
    check_year(session, year)
    city = divisions.city(session)
    towns = divisions_frame(session, levels=("town",), geometry=False, valid_in=year)
    towns = pd.DataFrame(towns.drop(columns="geometry")).rename(columns={"parent_code": "district_code"})
    districts = divisions_frame(session, levels=("district",), geometry=False, valid_in=year)
    districts = pd.DataFrame(districts[districts["parent_code"] == city.code].drop(columns="geometry"))
    return IndicatorInputs(
        year=year, city_code=city.code, city_name=city.name, units=units_gdf(session, year=year), towns=towns,
        districts=districts, facilities=facilities_gdf(session), entries=entries_frame(session),
    )  # fmt: skip


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
    flush_or_conflict(session, f"population of {division_code} in {year}")
    record(session, actor=actor, action="create" if before is None else "update", obj=row, before=before)
    return row


def upsert_entry(
    session: Session, *, actor: str, number: int, year: int, value: float, value_source: str,
    division_code: str | None = None, value_date: date | None = None, note: str | None = None, source: str = "manual",
) -> IndicatorEntry:  # fmt: skip
    """Enter (or correct) a non-spatial indicator value with its source and date (recorded)."""
    if not 1 <= number <= 12:
        raise InvalidInput(f"indicator number {number}: must be 1-12", field="number")
    if number not in ENTERED_NUMBERS:
        computed = next(i for i in INDICATORS if i.number == number)
        entered = ", ".join(str(n) for n in ENTERED_NUMBERS)
        raise InvalidInput(
            f"indicator {number} ({computed.name_zh}) is computed from the registry and cannot be "
            f"entered; only {entered} are entered by hand",
            field="number",
        )
    if not 1949 <= year <= 2100:
        raise InvalidInput(f"year {year}: not a plausible year", field="year")
    if division_code is not None and not (len(division_code) == 12 and division_code.isdigit()):
        raise InvalidInput(
            f"division {division_code[:20]!r}: a division code has 12 digits", field="division_code"
        )
    value_source = clean_text(value_source or "", field="value_source", limit=200)
    if not value_source:
        raise InvalidInput(
            "value_source: required (the document or office the value comes from)", field="value_source"
        )
    note = None if note is None else clean_text(note, field="note", limit=2000) or None
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
    flush_or_conflict(session, f"indicator {number} of {year}")
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
    flush_or_conflict(session, f"{kind} run")
    return run


def load_run(session: Session, run_id: int) -> tuple[AnalysisRun, gpd.GeoDataFrame | None]:
    """A stored run and its result layer."""
    run = get_or_raise(session, AnalysisRun, run_id, what="analysis run")
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


def _period(year: int | None) -> dict:
    """Divisions reader arguments: those of ``year``, or every period when no year is given."""
    return {"every_period": True} if year is None else {"year": year}
