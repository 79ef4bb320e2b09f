"""A synthetic region for scale tests: cities, towns, communities and villages, facilities, households, streets.

Everything here is made up (``source`` = synthetic, names start with 合成) and deterministic per
``scale`` and ``seed``. ``scale=100`` gives a region of 12 cities, 1,000 towns, 15,000
communities and villages and 30,000 elderly-care facilities; ``scale=1`` is about one Wuhai.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis.crs import METRIC_CRS
from gis.models import SYNTHETIC

#: Units of a town (columns x rows), the unit's side and the street spacing in town and country (m).
UNIT_GRID = (5, 3)
UNIT_SIDE_M = 1200.0
STREET_M = {"urban": 400.0, "rural": 1200.0}
HOUSEHOLDS_PER_POINT = 50
_ORIGIN = (400_000.0, 4_300_000.0)
_CITY_GAP_M = 10_000.0


@dataclass(frozen=True)
class Region:
    """The layers of a synthetic region (EPSG:4545)."""

    units: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    points: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame

    def sizes(self) -> dict[str, int]:
        codes = self.units["code"].str
        return {
            "cities": int(codes.slice(0, 4).nunique()),
            "towns": int(codes.slice(0, 9).nunique()),
            "units": len(self.units),
            "facilities": len(self.facilities),
            "household_points": len(self.points),
            "households": int(self.units["households"].sum()),
            "road_segments": len(self.roads),
        }


def synthetic_region(scale: float = 100, *, seed: int = 0) -> Region:
    """A region of about ``scale`` Wuhais: ``10 * scale`` towns of 15 units, ``round(0.12 * scale)`` cities.

    Towns lie on a grid per city; the first 40 % of each city's towns are urban (streets every
    400 m), the rest rural (every 1,200 m). Each unit has two facilities and one household point
    per 50 households.
    """
    rng = np.random.default_rng(seed)
    n_towns = max(1, round(10 * scale))
    n_cities = max(1, min(n_towns, round(0.12 * scale)))
    per_city = np.diff(np.linspace(0, n_towns, n_cities + 1).round().astype(int))
    town_w, town_h = UNIT_GRID[0] * UNIT_SIDE_M, UNIT_GRID[1] * UNIT_SIDE_M
    unit_rows, segments, seg_area = [], [], []
    x_city = _ORIGIN[0]
    for c, towns in enumerate(per_city):
        cols = math.ceil(math.sqrt(towns * town_h / town_w))
        for t in range(towns):
            area = "urban" if t < 0.4 * towns else "rural"
            x0 = x_city + (t % cols) * town_w
            y0 = _ORIGIN[1] + (t // cols) * town_h
            district, town = t // 10 + 1, t % 10 + 1
            town_code = f"15{c + 1:02d}{district:02d}{town:03d}"
            for u in range(UNIT_GRID[0] * UNIT_GRID[1]):
                ux = x0 + (u % UNIT_GRID[0]) * UNIT_SIDE_M
                uy = y0 + (u // UNIT_GRID[0]) * UNIT_SIDE_M
                unit_rows.append((f"{town_code}{u + 1:03d}", area, ux, uy))
            lines = _grid(x0, y0, town_w, town_h, STREET_M[area])
            segments.append(lines)
            seg_area += [area] * len(lines)
        x_city += cols * town_w + _CITY_GAP_M
    units = _units(unit_rows, rng)
    return Region(
        units=units,
        facilities=_facilities(units, rng),
        points=_points(units, rng),
        roads=gpd.GeoDataFrame(
            {
                "id": np.arange(1, len(seg_area) + 1),
                "name": [f"合成路{i}" for i in range(1, len(seg_area) + 1)],
                "road_class": np.where(np.array(seg_area) == "urban", "street", "rural"),
                "source": SYNTHETIC,
            },
            geometry=shapely.linestrings(np.vstack(segments)),
            crs=METRIC_CRS,
        ),
    )


def _grid(x0: float, y0: float, w: float, h: float, step: float) -> np.ndarray:
    """The street grid of a rectangle as noded segments, ``(n, 2, 2)`` coordinates."""
    xs = x0 + np.arange(round(w / step) + 1) * step
    ys = y0 + np.arange(round(h / step) + 1) * step
    gx, gy = np.meshgrid(xs[:-1], ys, indexing="ij")
    horizontal = np.stack(
        [np.column_stack([gx.ravel(), gy.ravel()]), np.column_stack([gx.ravel() + step, gy.ravel()])], 1
    )
    gx, gy = np.meshgrid(xs, ys[:-1], indexing="ij")
    vertical = np.stack(
        [np.column_stack([gx.ravel(), gy.ravel()]), np.column_stack([gx.ravel(), gy.ravel() + step])], 1
    )
    return np.concatenate([horizontal, vertical])


def _units(rows: list[tuple], rng: np.random.Generator) -> gpd.GeoDataFrame:
    frame = pd.DataFrame(rows, columns=["code", "urban_rural", "x", "y"])
    urban = (frame["urban_rural"] == "urban").to_numpy()
    households = np.where(urban, rng.integers(1500, 3500, len(frame)), rng.integers(300, 1200, len(frame)))
    residents = (households * rng.uniform(2.3, 2.9, len(frame))).round().astype(np.int64)
    aged = (residents * rng.uniform(0.15, 0.25, len(frame))).round().astype(np.int64)
    x, y = frame["x"].to_numpy(), frame["y"].to_numpy()
    return gpd.GeoDataFrame(
        {
            "code": frame["code"],
            "name": "合成" + frame["code"].str.slice(9) + np.where(urban, "社区", "村"),
            "level": np.where(urban, "community", "village"),
            "urban_rural": frame["urban_rural"],
            "households": households,
            "residents": residents,
            "aged_60plus": aged,
            "source": SYNTHETIC,
        },
        geometry=shapely.box(x, y, x + UNIT_SIDE_M, y + UNIT_SIDE_M),
        crs=METRIC_CRS,
    )


def _facilities(units: gpd.GeoDataFrame, rng: np.random.Generator) -> gpd.GeoDataFrame:
    n = len(units)
    unit = np.repeat(np.arange(n), 2)
    minx, miny = units.geometry.bounds["minx"].to_numpy(), units.geometry.bounds["miny"].to_numpy()
    urban = (units["urban_rural"] == "urban").to_numpy()[unit]
    kinds = np.where(
        urban,
        np.array(["home_care_station", "street_elderly_center"])[np.arange(2 * n) % 2],
        np.array(["rural_elderly_center", "mutual_aid_home"])[np.arange(2 * n) % 2],
    )
    x = minx[unit] + rng.uniform(0, UNIT_SIDE_M, 2 * n)
    y = miny[unit] + rng.uniform(0, UNIT_SIDE_M, 2 * n)
    return gpd.GeoDataFrame(
        {
            "id": np.arange(1, 2 * n + 1),
            "kind": kinds,
            "name": [f"合成养老设施{i}" for i in range(1, 2 * n + 1)],
            "status": "running",
            "division_code": units["code"].to_numpy()[unit],
            "source": SYNTHETIC,
        },
        geometry=gpd.points_from_xy(x, y),
        crs=METRIC_CRS,
    )


def _points(units: gpd.GeoDataFrame, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """One point per ``HOUSEHOLDS_PER_POINT`` households, uniform in the unit, totals split exactly."""
    hh = units["households"].to_numpy()
    n = np.maximum(1, np.round(hh / HOUSEHOLDS_PER_POINT).astype(np.int64))
    unit = np.repeat(np.arange(len(units)), n)
    first = np.repeat(np.cumsum(n) - n, n)
    rank = np.arange(len(unit)) - first
    cols = {}
    for col in ("households", "residents", "aged_60plus"):
        total = units[col].to_numpy()[unit]
        cols[col] = total // n[unit] + (rank < total % n[unit])
    b = units.geometry.bounds
    x = b["minx"].to_numpy()[unit] + rng.uniform(0, UNIT_SIDE_M, len(unit))
    y = b["miny"].to_numpy()[unit] + rng.uniform(0, UNIT_SIDE_M, len(unit))
    return gpd.GeoDataFrame(
        {
            "unit_code": units["code"].to_numpy()[unit],
            "urban_rural": units["urban_rural"].to_numpy()[unit],
            **cols,
        },
        geometry=gpd.points_from_xy(x, y),
        crs=METRIC_CRS,
    )
