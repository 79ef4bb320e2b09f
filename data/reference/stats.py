"""Counts per layer and per district, facilities per kind with beds: what ``wuhai-gis stats`` shows."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import func
from sqlalchemy import literal_column
from sqlalchemy import select
from sqlalchemy.orm import Session

from boundaries.divisions import divisions_gdf
from boundaries.models import BoundaryLine
from boundaries.models import BoundaryMarker
from facilities.kinds import BY_CODE
from facilities.models import Facility
from gis.crs import METRIC_CRS
from gis.roads import roads_gdf
from placenames.models import PlaceName
from placenames.models import Sign


def collect_stats(session: Session) -> dict[str, Any]:
    """Counts of every reference layer, per district, and facilities per kind.

    Returns
    -------
    dict
        ``layers`` (rows per layer, divisions by level and kind), ``districts`` (per Wuhai
        district: units, population, names, signs, facilities, roads), ``facilities`` (per
        kind: count, count by status, beds and nursing beds in all and in running facilities, floor
        area) and ``totals``. Divisions count as :mod:`boundaries.divisions` says (those of
        today); ``divisions_historical`` counts the ended ones.
    """
    every = divisions_gdf(session, in_wuhai=None, geometry=False, every_period=True)
    wuhai = divisions_gdf(session, geometry=False)
    roads = roads_gdf(session)
    by_level = {
        f"{level}/{kind}" if kind else level: int(n)
        for (level, kind), n in wuhai.groupby(["level", wuhai["kind"].fillna("")]).size().sort_index().items()
    }
    layers = {
        "divisions": len(wuhai),
        "divisions_historical": int(every["valid_to"].notna().sum()),
        "neighbour_units": int((every["in_wuhai"] == False).sum()),  # noqa: E712
        "place_names": _count(session, select(func.count()).select_from(PlaceName)),
        "signs": _count(session, select(func.count()).select_from(Sign)),
        "boundary_lines": _count(session, select(func.count()).select_from(BoundaryLine)),
        "boundary_markers": _count(session, select(func.count()).select_from(BoundaryMarker)),
        "facilities": _count(session, select(func.count()).select_from(Facility)),
        "road_segments": len(roads),
        "road_names": int(
            (roads["name"] + "@" + roads["division_code"].fillna("")).dropna().nunique() if len(roads) else 0
        ),
    }
    districts = _districts(session, wuhai, roads)
    facilities = _facilities(session)
    city = wuhai[wuhai["level"] == "city"]
    city = city.iloc[0] if len(city) else None
    totals = {
        "population": _plain(city["population"]) if city is not None else None,
        "households": _plain(city["households"]) if city is not None else None,
        "population_60plus": _plain(city["population_60plus"]) if city is not None else None,
        "beds": sum(f["beds"] for f in facilities.values()),
        "nursing_beds": sum(f["nursing_beds"] for f in facilities.values()),
        # the plan's figure (3354 beds, 37 per 1000 elderly) counts the beds of running elderly-care facilities
        "elderly_beds": sum(f["beds_running"] for k, f in facilities.items() if _group(k) == "elderly"),
        "elderly_nursing_beds": sum(
            f["nursing_beds_running"] for k, f in facilities.items() if _group(k) == "elderly"
        ),
        "elderly_beds_per_1000_aged_60plus": None,
        "road_km": round(float(roads.to_crs(METRIC_CRS).length.sum()) / 1000.0, 1) if len(roads) else 0.0,
    }
    if totals["population_60plus"]:
        totals["elderly_beds_per_1000_aged_60plus"] = round(
            1000.0 * totals["elderly_beds"] / totals["population_60plus"], 1
        )
    return {
        "layers": {**layers, "divisions_by_level": by_level},
        "districts": districts,
        "facilities": facilities,
        "totals": totals,
    }


def _count(session: Session, stmt) -> int:
    return int(session.scalar(stmt) or 0)


def _plain(value: Any) -> Any:
    """A pandas cell as a plain Python value (``None`` for a missing one)."""
    if value is None or pd.isna(value):
        return None
    return value.item() if hasattr(value, "item") else value


def _districts(session: Session, wuhai: pd.DataFrame, roads: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    districts = wuhai[wuhai["level"] == "district"]
    rows = zip(
        districts["code"],
        districts["name"],
        map(_plain, districts["population"]),
        map(_plain, districts["households"]),
        map(_plain, districts["population_60plus"]),
        strict=True,
    )

    def per_district(model, column) -> dict[str, int]:
        stmt = select(_district_key(column), func.count()).select_from(model).group_by(_district_key(column))
        return {k: n for k, n in session.execute(stmt)}  # noqa: C416

    names = per_district(PlaceName, PlaceName.division_code)
    signs = per_district(Sign, Sign.division_code)
    facilities = per_district(Facility, Facility.division_code)
    road_counts = roads["division_code"].dropna().str[:6].value_counts()
    roads_in = {k: int(n) for k, n in road_counts.items()}
    unit_counts = wuhai.groupby([wuhai["code"].str[:6], "level", wuhai["kind"].fillna("")]).size()
    units = {key: int(n) for key, n in unit_counts.items()}
    for code, name, pop, hh, aged in rows:
        k = code[:6]
        out.append(
            {
                "code": code,
                "name": name,
                "towns": sum(n for (kk, level, _), n in units.items() if kk == k and level == "town"),
                "communities": units.get((k, "community", "社区"), 0),
                "villages": units.get((k, "village", "村"), 0),
                "population": pop,
                "households": hh,
                "population_60plus": aged,
                "place_names": names.get(k, 0),
                "signs": signs.get(k, 0),
                "facilities": facilities.get(k, 0),
                "road_segments": roads_in.get(k, 0),
            }
        )
    return out


def _group(kind: str) -> str | None:
    return BY_CODE[kind].group if kind in BY_CODE else None


def _district_key(column):
    """The 6-digit county part of a code (literal arguments, so SELECT and GROUP BY match on PostGIS)."""
    return func.substr(column, literal_column("1"), literal_column("6"))


def _facilities(session: Session) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    stmt = (
        select(
            Facility.kind,
            Facility.status,
            func.count(),
            func.coalesce(func.sum(Facility.beds), 0),
            func.coalesce(func.sum(Facility.nursing_beds), 0),
            func.coalesce(func.sum(Facility.floor_area_m2), 0.0),
        )
        .group_by(Facility.kind, Facility.status)
        .order_by(Facility.kind, Facility.status)
    )
    for kind, status, n, beds, nursing, area in session.execute(stmt):
        entry = out.setdefault(
            kind,
            {
                "name": BY_CODE[kind].name_zh if kind in BY_CODE else kind,
                "count": 0,
                "by_status": {},
                "beds": 0,
                "nursing_beds": 0,
                "beds_running": 0,
                "nursing_beds_running": 0,
                "floor_area_m2": 0.0,
            },
        )
        entry["count"] += n
        entry["by_status"][status] = n
        entry["beds"] += int(beds)
        entry["nursing_beds"] += int(nursing)
        if status == "running":
            entry["beds_running"] += int(beds)
            entry["nursing_beds_running"] += int(nursing)
        entry["floor_area_m2"] = round(entry["floor_area_m2"] + float(area), 1)
    return out
