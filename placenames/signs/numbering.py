"""House-number assignment (门牌编制) along a street centre line: odd/even sides, reserves, sub-numbers (pure)."""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString
from shapely.geometry.base import BaseGeometry

from gis.crs import METRIC_CRS
from gis.crs import require_crs
from gis.crs import to_metric
from gis.errors import InvalidInput
from placenames.signs.validation import SUB_SEPARATORS
from placenames.signs.validation import HouseNumber
from placenames.signs.validation import parse_house_number

DIRECTIONS = ("as_drawn", "beijing")
SIDES = ("left", "right")


@dataclass(frozen=True)
class NumberingRule:
    """How a city numbers its streets.

    Attributes
    ----------
    direction
        ``'as_drawn'``: ascending from the centre line's start to its end; ``'beijing'``: east to
        west on east-west streets, north to south on north-south streets.
    odd_side
        Side (as seen travelling in the numbering direction) carrying the odd numbers; the other
        side carries the even ones. Default ``'left'`` ("left odd, right even").
    spacing_m
        Frontage per number. With a spacing, a number is tied to its position along the street
        (slot = position // spacing) so empty frontage keeps reserved numbers for later buildings;
        ``None`` numbers the entrances consecutively.
    sub_style
        How an inserted building between two existing numbers is written: ``'dash'`` (12-1) or
        ``'fu'`` (12附1).
    """

    direction: str = "as_drawn"
    odd_side: str = "left"
    spacing_m: float | None = None
    sub_style: str = "dash"

    def __post_init__(self) -> None:
        if self.direction not in DIRECTIONS:
            raise InvalidInput(
                f"direction must be one of {DIRECTIONS}, not {self.direction!r}", field="direction"
            )
        if self.odd_side not in SIDES:
            raise InvalidInput(f"odd_side must be 'left' or 'right', not {self.odd_side!r}", field="odd_side")
        if self.spacing_m is not None and not self.spacing_m > 0:
            raise InvalidInput("spacing_m must be positive", field="spacing_m")
        if self.sub_style not in SUB_SEPARATORS:
            raise InvalidInput(
                f"sub_style must be one of {tuple(SUB_SEPARATORS)}, not {self.sub_style!r}", field="sub_style"
            )

    def side_of(self, number: int) -> str:
        """The side a base number belongs on."""
        even_side = "right" if self.odd_side == "left" else "left"
        return self.odd_side if number % 2 else even_side


def street_line(
    segments: gpd.GeoDataFrame | gpd.GeoSeries, *, rule: NumberingRule | None = None
) -> BaseGeometry:
    """Merge a street's segments into one centre line in EPSG:4545, oriented for numbering.

    With the ``'as_drawn'`` direction the merged line follows the drawing direction of the first
    segment (segments in the given order); with ``'beijing'`` it runs east→west or north→south.
    """
    rule = rule or NumberingRule()
    require_crs(segments, name="street segments")
    geoms = to_metric(segments).geometry
    geoms = geoms[~geoms.is_empty & geoms.notna()]
    if geoms.empty:
        raise InvalidInput("the street has no centre-line geometry")
    merged = shapely.line_merge(shapely.union_all(geoms.values))
    first = geoms.iloc[0]
    if merged.geom_type == "MultiLineString":
        parts = sorted(merged.geoms, key=lambda g: -g.length)
        merged = shapely.MultiLineString(parts)
    start_s = merged.project(shapely.get_point(first, 0))
    end_s = merged.project(shapely.get_point(first, -1))
    if rule.direction == "beijing":
        a, b = _ends(merged)
        dx, dy = b[0] - a[0], b[1] - a[1]
        reverse = dx > 0 if abs(dx) >= abs(dy) else dy > 0
    else:
        reverse = start_s > end_s
    return shapely.reverse(merged) if reverse else merged


def street_lines(
    roads: gpd.GeoDataFrame, *, key: str = "street_key", rule: NumberingRule | None = None
) -> gpd.GeoDataFrame:
    """One oriented centre line per street (``key`` column) in EPSG:4545, with its length."""
    require_crs(roads, name="roads")
    rows = []
    for street, group in roads.groupby(key, sort=True):
        rows.append({key: street, "geometry": street_line(group, rule=rule)})
    out = gpd.GeoDataFrame(rows, columns=[key, "geometry"], geometry="geometry", crs=METRIC_CRS)
    out["length_m"] = out.geometry.length
    return out


def locate_on_lines(lines: np.ndarray, points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Position along each line, side ('left'/'right') and offset of each point (arrays aligned).

    Both arrays are shapely geometries in a metric CRS; ``lines[i]`` is the line of ``points[i]``.
    """
    pos = shapely.line_locate_point(lines, points)
    length = shapely.length(lines)
    before = shapely.line_interpolate_point(lines, np.clip(pos - 0.5, 0, length))
    after = shapely.line_interpolate_point(lines, np.clip(pos + 0.5, 0, length))
    foot = shapely.line_interpolate_point(lines, pos)
    dx = shapely.get_x(after) - shapely.get_x(before)
    dy = shapely.get_y(after) - shapely.get_y(before)
    px = shapely.get_x(points) - shapely.get_x(foot)
    py = shapely.get_y(points) - shapely.get_y(foot)
    cross = dx * py - dy * px
    side = np.where(cross >= 0, "left", "right")
    return pos, side, shapely.distance(points, foot)


def propose_numbers(
    street: gpd.GeoDataFrame | gpd.GeoSeries,
    entrances: gpd.GeoDataFrame,
    *,
    rule: NumberingRule | None = None,
    existing: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Propose house numbers for building entrances along a street.

    Parameters
    ----------
    street
        The street's centre-line segments (any CRS), drawn from the street's start to its end.
    entrances
        Building entrances (points, any CRS). Entrances at the same spot as an existing plate
        keep that plate's number.
    rule
        The numbering rule (direction, odd side, spacing, sub-number style).
    existing
        Plates already on the street: points with a ``house_number`` column. New entrances are
        inserted without renumbering: a free (reserved) number of the right parity between the
        neighbours if there is one, else a sub-number of the lower neighbour (12-1, 12附1).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per entrance, in the entrances' CRS and order: ``position_m``, ``side``,
        ``house_number`` (text, ``None`` when no number fits), ``base``, ``sub``, ``status``
        ('new', 'existing' or 'conflict'), ``reserved`` (numbers skipped for empty frontage
        just before this one) and ``note``.
    """
    rule = rule or NumberingRule()
    require_crs(entrances, name="entrances")
    line = street_line(street, rule=rule)
    pts = to_metric(entrances).geometry.values
    pos, side, _ = locate_on_lines(np.full(len(pts), line, dtype=object), np.asarray(pts))
    out = entrances[[]].copy()
    out["position_m"] = np.round(pos, 2)
    out["side"] = side
    out["house_number"] = None
    out["base"] = pd.array([None] * len(out), dtype="Int64")
    out["sub"] = pd.array([None] * len(out), dtype="Int64")
    out["status"] = "new"
    out["reserved"] = [[] for _ in range(len(out))]
    out["note"] = ""
    out = gpd.GeoDataFrame(out, geometry=entrances.geometry, crs=entrances.crs)
    taken = _existing_by_side(existing, line, rule)
    shown = {} if existing is None else {parse_house_number(t): str(t) for t in existing["house_number"]}
    for side_name in SIDES:
        idx = np.flatnonzero(side == side_name)
        idx = idx[np.argsort(pos[idx], kind="stable")]
        _number_side(out, idx, pos, side_name, rule, taken[side_name], shown)
    return out


def _existing_by_side(
    existing: gpd.GeoDataFrame | None, line: BaseGeometry, rule: NumberingRule
) -> dict[str, list[tuple[float, HouseNumber]]]:
    taken: dict[str, list[tuple[float, HouseNumber]]] = {"left": [], "right": []}
    if existing is None or existing.empty:
        return taken
    require_crs(existing, name="existing plates")
    pts = np.asarray(to_metric(existing).geometry.values)
    pos = shapely.line_locate_point(np.full(len(pts), line, dtype=object), pts)
    for p, text in zip(pos, existing["house_number"], strict=True):
        number = parse_house_number(text)
        taken[rule.side_of(number.base)].append((float(p), number))
    for items in taken.values():
        items.sort(key=lambda item: (item[0], item[1].sort_key))
    return taken


def _number_side(
    out: gpd.GeoDataFrame,
    idx: np.ndarray,
    pos: np.ndarray,
    side: str,
    rule: NumberingRule,
    taken: list[tuple[float, HouseNumber]],
    shown: dict[HouseNumber, str],
) -> None:
    parity = 1 if side == rule.odd_side else 0
    first = 1 if parity else 2
    used = {n.base for _, n in taken}
    for i in idx:
        s = float(pos[i])
        same = [n for p, n in taken if abs(p - s) < 1.0]
        if same:
            _set(out, i, same[0], rule, status="existing")
            out.at[out.index[i], "house_number"] = shown.get(same[0], out.at[out.index[i], "house_number"])
            continue
        positions = [p for p, _ in taken]
        k = bisect.bisect_right(positions, s)
        lower = taken[k - 1][1] if k else None
        upper = taken[k][1] if k < len(taken) else None
        low_base = lower.base if lower else first - 2
        high_base = upper.base if upper else None
        preferred = _slot_number(s, rule, first) if rule.spacing_m else low_base + 2
        number = _free_between(low_base, high_base, preferred, used)
        if number is not None:
            result = HouseNumber(number)
            reserved = [n for n in range(low_base + 2, number, 2) if n not in used]
            used.add(number)
            _set(out, i, result, rule, status="new", reserved=reserved)
        elif lower is not None:
            subs = [n.sub or 0 for _, n in taken if n.base == lower.base]
            result = HouseNumber(lower.base, max(subs) + 1)
            _set(
                out,
                i,
                result,
                rule,
                status="new",
                note=f"inserted after {lower.format(style=rule.sub_style)}",
            )
        else:
            out.at[out.index[i], "status"] = "conflict"
            out.at[out.index[i], "note"] = f"no free number before {upper.format(style=rule.sub_style)}"
            continue
        taken.insert(k, (s, result))


def _slot_number(position: float, rule: NumberingRule, first: int) -> int:
    assert rule.spacing_m is not None
    return first + 2 * int(position // rule.spacing_m)


def _free_between(low: int, high: int | None, preferred: int, used: set[int]) -> int | None:
    """The free number of ``low``'s parity strictly between ``low`` and ``high`` nearest ``preferred``."""
    candidates = range(low + 2, (high if high is not None else max(preferred, low + 2) + 2), 2)
    free = [n for n in candidates if n not in used]
    if not free:
        return None
    return min(free, key=lambda n: (abs(n - preferred), n))


def _set(
    out: gpd.GeoDataFrame,
    i: int,
    number: HouseNumber,
    rule: NumberingRule,
    *,
    status: str,
    reserved: list[int] | None = None,
    note: str = "",
) -> None:
    label = out.index[i]
    out.at[label, "house_number"] = number.format(style=rule.sub_style)
    out.at[label, "base"] = number.base
    out.at[label, "sub"] = number.sub
    out.at[label, "status"] = status
    out.at[label, "reserved"] = reserved or []
    out.at[label, "note"] = note


def _ends(line: BaseGeometry) -> tuple[tuple[float, float], tuple[float, float]]:
    if isinstance(line, LineString):
        coords = list(line.coords)
    else:
        coords = [c for part in line.geoms for c in part.coords]
    return coords[0], coords[-1]
