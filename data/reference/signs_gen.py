"""Synthetic sign layout for the reference dataset: street signs, plates, building and unit plates (metric CRS)."""

from __future__ import annotations

import math
import random

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from placenames.signs.numbering import street_lines

#: Distance of a street sign from its intersection along the street, and to the side (metres).
SIGN_ALONG_M, SIGN_ASIDE_M = 10.0, 7.0
#: Distance of house-number plates from the centre line (metres).
PLATE_OFFSET_M = (12.0, 18.0)


def street_sign_sites(
    roads_m: gpd.GeoDataFrame, *, rng: random.Random, skip_share: float = 0.02
) -> pd.DataFrame:
    """One street sign per street at every intersection and street end (a few deliberately absent).

    ``roads_m`` are named segments in EPSG:4545 with ``street_key`` and ``name``. Returns
    ``street_key, x, y, facing_deg, node`` rows.
    """
    geoms = roads_m.geometry.values
    length = shapely.length(geoms)
    along = np.minimum(SIGN_ALONG_M, length / 2)
    frames = []
    for end, at in ((0, along), (-1, length - along)):
        node = shapely.get_point(geoms, end)
        ahead = shapely.line_interpolate_point(geoms, at)
        frames.append(
            pd.DataFrame(
                {
                    "street_key": roads_m["street_key"].to_numpy(),
                    "nx": shapely.get_x(node),
                    "ny": shapely.get_y(node),
                    "ax": shapely.get_x(ahead),
                    "ay": shapely.get_y(ahead),
                }
            )
        )
    ends = pd.concat(frames, ignore_index=True)
    ends["node"] = ends["nx"].round(1).astype(str) + "," + ends["ny"].round(1).astype(str)
    degree = ends.groupby("node").size()
    streets = ends.groupby("node")["street_key"].nunique()
    wanted = streets.index[(streets >= 2) | (degree == 1)]
    sites = ends[ends["node"].isin(wanted)].drop_duplicates(["node", "street_key"]).reset_index(drop=True)
    dx, dy = sites["ax"] - sites["nx"], sites["ay"] - sites["ny"]
    norm = np.hypot(dx, dy).replace(0, 1.0)
    ux, uy = dx / norm, dy / norm
    sites["x"] = sites["nx"] + ux * SIGN_ALONG_M * 0.6 + uy * SIGN_ASIDE_M
    sites["y"] = sites["ny"] + uy * SIGN_ALONG_M * 0.6 - ux * SIGN_ASIDE_M
    sites["facing_deg"] = (np.degrees(np.arctan2(ux, uy)) % 360).round(1)
    keep = np.array([rng.random() >= skip_share for _ in range(len(sites))], dtype=bool)
    return sites.loc[keep, ["street_key", "x", "y", "facing_deg", "node"]].reset_index(drop=True)


def plate_sites(
    roads_m: gpd.GeoDataFrame,
    *,
    spacing_m: float,
    rng: random.Random,
    bare_streets: int = 3,
    flaw_share: float = 0.004,
) -> pd.DataFrame:
    """House-number plates along both sides of every named urban street, numbered from the start.

    Odd numbers on the left and even on the right (the default rule), ascending in the drawing
    direction of the street's first segment. A few streets get no plates and a small share of
    plates carries a flaw (duplicate, wrong side, swapped order, a number skipped) so that the
    audit has something to find. Returns ``street_key, x, y, house_number, side, facing_deg``.
    """
    lines = street_lines(roads_m)
    lines = lines[lines["length_m"] > 2 * spacing_m].reset_index(drop=True)
    bare = set(rng.sample(sorted(lines["street_key"]), k=min(bare_streets, len(lines))))
    rows: list[pd.DataFrame] = []
    for key, line, length in zip(lines["street_key"], lines.geometry, lines["length_m"], strict=True):
        if key in bare:
            continue
        for side, first, shift in (("left", 1, 0.25), ("right", 2, 0.6)):
            count = int((length - spacing_m * shift - 10) // spacing_m) + 1
            if count <= 0:
                continue
            pos = np.array([spacing_m * (shift + k + rng.uniform(-0.15, 0.15)) for k in range(count)])
            pos = pos[(pos > 5) & (pos < length - 5)]
            offset = np.array([rng.uniform(*PLATE_OFFSET_M) for _ in pos]) * (1 if side == "left" else -1)
            x, y, facing = _offset_points(line, pos, offset)
            numbers = first + 2 * np.arange(len(pos))
            rows.append(
                pd.DataFrame(
                    {
                        "street_key": key,
                        "x": x,
                        "y": y,
                        "number": numbers,
                        "side": side,
                        "facing_deg": facing,
                        "position": pos,
                    }
                )
            )
    plates = pd.concat(rows, ignore_index=True)
    plates["house_number"] = plates["number"].astype(str)
    return _flaw_plates(plates, rng=rng, share=flaw_share)


def building_sites(
    communities_m: gpd.GeoDataFrame,
    *,
    count: int,
    rng: random.Random,
    weights: list[float] | None = None,
    estates: dict[str, list[tuple[str, float, float]]] | None = None,
) -> pd.DataFrame:
    """``count`` building and unit plates in urban communities (kind, code, estate, number, x, y).

    Each building gets one building plate and 2-6 unit plates on its face. The community of a
    building is drawn with ``weights`` (e.g. households); where the community has named
    residential estates (``estates``: community code → ``(name, x, y)`` in EPSG:4545) the
    building stands within 120 m of one of them and is numbered within that estate.
    """
    codes = communities_m["code"].tolist()
    polys = communities_m.geometry.tolist()
    weights = weights or [1.0] * len(codes)
    estates = estates or {}
    built: dict[tuple[str, str | None], int] = {}
    rows: list[dict] = []
    while len(rows) < count:
        i = rng.choices(range(len(codes)), weights=weights)[0]
        code = codes[i]
        estate = rng.choice(estates[code]) if estates.get(code) else None
        if estate is not None:
            point = (estate[1] + rng.uniform(-120, 120), estate[2] + rng.uniform(-120, 120))
        else:
            point = _point_in(polys[i], rng)
            if point is None:
                continue
        key = (code, estate[0] if estate else None)
        number = built[key] = built.get(key, 0) + 1
        common = {"code": code, "estate": key[1], "facing_deg": 180.0}
        rows.append({"kind": "building", "house_number": str(number), "x": point[0], "y": point[1], **common})
        angle = rng.uniform(0, math.pi)
        for unit in range(1, rng.randint(2, 6) + 1):
            if len(rows) >= count:
                break
            rows.append(
                {
                    "kind": "unit",
                    "house_number": f"{number}-{unit}",
                    **common,
                    "x": point[0] + 9.0 * unit * math.cos(angle),
                    "y": point[1] + 9.0 * unit * math.sin(angle),
                }
            )
    return pd.DataFrame(rows)


def _offset_points(line, pos: np.ndarray, offset: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    length = line.length
    a = shapely.line_interpolate_point(line, np.clip(pos - 1, 0, length))
    b = shapely.line_interpolate_point(line, np.clip(pos + 1, 0, length))
    p = shapely.line_interpolate_point(line, pos)
    dx, dy = shapely.get_x(b) - shapely.get_x(a), shapely.get_y(b) - shapely.get_y(a)
    norm = np.hypot(dx, dy)
    norm[norm == 0] = 1.0
    nx, ny = -dy / norm, dx / norm  # left normal
    x = shapely.get_x(p) + nx * offset
    y = shapely.get_y(p) + ny * offset
    facing = np.degrees(np.arctan2(-nx * np.sign(offset), -ny * np.sign(offset))) % 360
    return x, y, facing.round(1)


def _flaw_plates(plates: pd.DataFrame, *, rng: random.Random, share: float) -> pd.DataFrame:
    plates = plates.copy()
    n = len(plates)
    picks = rng.sample(range(1, n - 1), k=min(n - 2, max(4, int(n * share)))) if share > 0 else []
    drop: list[int] = []
    for j, i in enumerate(picks):
        flaw = j % 4
        same_street = (
            plates.at[i - 1, "street_key"] == plates.at[i, "street_key"]
            and plates.at[i - 1, "side"] == plates.at[i, "side"]
        )
        if flaw == 0 and same_street:  # duplicate of the previous number
            plates.at[i, "house_number"] = plates.at[i - 1, "house_number"]
        elif flaw == 1:  # plate hung on the wrong side
            plates.at[i, "house_number"] = str(int(plates.at[i, "number"]) + 1)
        elif flaw == 2 and same_street:  # two plates swapped
            a, b = plates.at[i - 1, "house_number"], plates.at[i, "house_number"]
            plates.at[i - 1, "house_number"], plates.at[i, "house_number"] = b, a
        elif flaw == 3:  # never installed: a gap in the run
            drop.append(i)
    return plates.drop(index=drop).reset_index(drop=True)


def _point_in(poly, rng: random.Random) -> tuple[float, float] | None:
    minx, miny, maxx, maxy = poly.bounds
    for _ in range(30):
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if shapely.contains_xy(poly, x, y):
            return x, y
    return None
