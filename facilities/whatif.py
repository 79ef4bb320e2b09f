"""What-if scenarios: add, move or remove proposed facilities and recompute every indicator (nothing written)."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from facilities.indicators import IndicatorInputs
from facilities.indicators import compute_indicators
from facilities.kinds import BY_CODE
from facilities.validation import as_number
from gis.crs import STORAGE_CRS
from gis.crs import in_extent
from gis.crs import require_crs
from gis.errors import InvalidInput


@dataclass
class Scenario:
    """Proposed changes: new facilities (dicts with kind, name, lon, lat, ...), moves and removals by id."""

    add: list[dict] = field(default_factory=list)
    move: dict[int, tuple[float, float]] = field(default_factory=dict)
    remove: list[int] = field(default_factory=list)

    def describe(self) -> dict:
        return {
            "add": self.add,
            "move": {str(k): list(v) for k, v in self.move.items()},
            "remove": list(self.remove),
        }


def apply_scenario(facilities: gpd.GeoDataFrame, scenario: Scenario, *, year: int) -> gpd.GeoDataFrame:
    """A new facility table with the scenario applied (the input is not changed).

    Added facilities are running from ``year``; coordinates are lon/lat in EPSG:4490.
    """
    require_crs(facilities, name="facilities")
    fac = facilities.to_crs(STORAGE_CRS)
    known = set(fac["id"].dropna().astype(int)) if "id" in fac else set()
    missing = (set(scenario.move) | set(scenario.remove)) - known
    if missing:
        raise InvalidInput(
            f"facilities {sorted(missing)} not found",
            field="remove" if missing & set(scenario.remove) else "move",
        )
    fac = fac[~fac["id"].isin(scenario.remove)].copy()
    for fid, (lon, lat) in scenario.move.items():
        _check(lon, lat, f"move of facility {fid}")
        fac.loc[fac["id"] == fid, "geometry"] = Point(lon, lat)
        fac.loc[fac["id"] == fid, "division_code"] = None  # located again by point-in-polygon
    rows = []
    next_id = -1
    for i, new in enumerate(scenario.add):
        kind = BY_CODE.get(new.get("kind"))
        if kind is None:
            raise InvalidInput(f"added facility {i + 1}: unknown kind {new.get('kind')!r}", field="kind")
        _check(new.get("lon"), new.get("lat"), f"added facility {i + 1}")
        row = {c: None for c in fac.columns if c != "geometry"}
        row.update({k: v for k, v in new.items() if k not in ("lon", "lat")})
        for key, number in (("beds", int), ("nursing_beds", int), ("floor_area_m2", float)):
            row[key] = as_number(row.get(key), key, number)
        row.update({"id": next_id, "status": "running", "year_opened": year, "source": "proposed"})
        row["name"] = row.get("name") or f"proposed {kind.code} {i + 1}"
        row["geometry"] = Point(float(new["lon"]), float(new["lat"]))
        rows.append(row)
        next_id -= 1
    if rows:
        added = gpd.GeoDataFrame(rows, geometry="geometry", crs=STORAGE_CRS)
        fac = gpd.GeoDataFrame(
            pd.concat([fac, added], ignore_index=True), geometry="geometry", crs=STORAGE_CRS
        )
    for col in ("new_or_rebuilt", "has_volunteer_site"):
        if col in fac:
            fac[col] = fac[col].fillna(False).astype(bool)
    return fac


def compare_scenario(
    inputs: IndicatorInputs, scenario: Scenario, *, level: str = "city", served=None
) -> list[dict]:
    """Indicators before and after the scenario, per unit of ``level``, with the change."""
    before = compute_indicators(inputs, level=level, served=served)
    after_inputs = inputs.with_facilities(apply_scenario(inputs.facilities, scenario, year=inputs.year))
    after = compute_indicators(after_inputs, level=level, served=served)
    out = []
    for b, a in zip(before, after, strict=True):
        rows = []
        for ib, ia in zip(b["indicators"], a["indicators"], strict=True):
            delta = (
                None if ib["exact"] is None or ia["exact"] is None else round(ia["exact"] - ib["exact"], 4)
            )
            rows.append(
                {
                    "id": ib["id"],
                    "number": ib["number"],
                    "name_zh": ib["name_zh"],
                    "unit": ib["unit"],
                    "before": ib["value"],
                    "after": ia["value"],
                    "before_exact": ib["exact"],
                    "after_exact": ia["exact"],
                    "change": delta,
                }
            )
        out.append({"code": b["code"], "name": b["name"], "indicators": rows})
    return out


def _check(lon: float, lat: float, what: str) -> None:
    try:
        lon, lat = float(lon), float(lat)
    except (TypeError, ValueError):
        raise InvalidInput(f"{what}: ({lon}, {lat}) are not coordinates", field="lon") from None
    if not in_extent(lon, lat):
        hint = " (latitude and longitude swapped?)" if in_extent(float(lat), float(lon)) else ""
        raise InvalidInput(f"{what}: ({lon}, {lat}) is outside Wuhai{hint}", field="lon")
