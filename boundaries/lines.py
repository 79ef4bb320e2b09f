"""Boundary lines: shared edges derived from division polygons, their codes, lengths and descriptions."""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Geod
from shapely import line_merge
from shapely.geometry import LineString
from shapely.geometry import MultiLineString
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from shapely.ops import substring

from gis.crs import METRIC_CRS
from gis.crs import STORAGE_CRS
from gis.crs import require_crs

#: The 16 compass words of Chinese boundary descriptions, from north clockwise (22.5° sectors).
COMPASS16 = (
    "北",
    "北偏东北",
    "东北",
    "东偏东北",
    "东",
    "东偏东南",
    "东南",
    "南偏东南",
    "南",
    "南偏西南",
    "西南",
    "西偏西南",
    "西",
    "西偏西北",
    "西北",
    "北偏西北",
)

PROVINCE_NAMES = {"15": "内蒙古自治区", "64": "宁夏回族自治区"}
PREFECTURE_NAMES = {"1503": "乌海市", "1506": "鄂尔多斯市", "1529": "阿拉善盟", "6402": "石嘴山市"}
_SHORT = {"内蒙古自治区": "蒙", "宁夏回族自治区": "宁", "乌海市": "乌", "鄂尔多斯市": "鄂", "阿拉善盟": "阿"}
_GEOD = Geod(ellps="GRS80")

#: The descriptive fields of a boundary line, as derived here and stored in ``boundary_line``.
LINE_FIELDS: tuple[str, ...] = (
    "code",
    "name",
    "line_code",
    "line_name",
    "level",
    "left_code",
    "left_name",
    "right_code",
    "right_name",
    "agreement",
    "length_km",
)


@dataclass(frozen=True)
class LineIdentity:
    """Code, name, level and agreement of the line between two units."""

    code: str
    name: str
    line_code: str
    line_name: str
    level: str
    agreement: str


def classify_pair(
    a_code: str, a_name: str, b_code: str, b_name: str, *, home_prefix: str = "1503"
) -> LineIdentity:
    """Name and code the line between two county-level units (12-digit codes).

    The line code follows GB/T 17796-2009: the two parties' division codes at the level of the
    line, smaller first (provincial ``1564``, city-level ``15031506``, district-level
    ``150302150303``). ``code`` identifies the section between these two units.

    Parameters
    ----------
    a_code, b_code
        12-digit codes of the two units.
    a_name, b_name
        Their names.
    home_prefix
        The 4-digit code of the home city, named first in line names (乌鄂线, 乌阿线...).

    Returns
    -------
    LineIdentity
    """
    for c in (a_code, b_code):
        if len(c) != 12 or not c.isdigit():
            raise ValueError(f"division code must be 12 digits, got {c!r}")
    if a_code == b_code:
        raise ValueError(f"a line needs two different units, got {a_code} twice")
    (lo_code, lo_name), (hi_code, hi_name) = sorted([(a_code, a_name), (b_code, b_name)])
    section = f"{lo_code[:6]}-{hi_code[:6]}"
    home, other = (lo_code, hi_code) if lo_code.startswith(home_prefix) else (hi_code, lo_code)
    home_name, other_name = (lo_name, hi_name) if home == lo_code else (hi_name, lo_name)
    if lo_code[:2] != hi_code[:2]:
        line_code = lo_code[:2] + hi_code[:2]
        p_home = PROVINCE_NAMES.get(home[:2], home[:2])
        p_other = PROVINCE_NAMES.get(other[:2], other[:2])
        city = PREFECTURE_NAMES.get(home[:4], home[:4])
        line_name = f"{_SHORT.get(p_home, p_home[:1])}{_SHORT.get(p_other, p_other[:1])}线{city[:2]}段"
        agreement = f"《{p_home}和{p_other}行政区域界线协议书》"
        level = "provincial"
    elif lo_code[:4] != hi_code[:4]:
        line_code = lo_code[:4] + hi_code[:4]
        c_home = PREFECTURE_NAMES.get(home[:4], home[:4])
        c_other = PREFECTURE_NAMES.get(other[:4], other[:4])
        line_name = f"{_SHORT.get(c_home, c_home[:1])}{_SHORT.get(c_other, c_other[:1])}线"
        agreement = f"《{c_home}与{c_other}行政区域界线协议书》"
        level = "city"
    else:
        line_code = lo_code[:6] + hi_code[:6]
        line_name = f"{home_name}—{other_name}界线"
        agreement = f"《{lo_name}与{hi_name}行政区域界线协议书》"
        level = "district"
    name = line_name if level == "district" else f"{line_name}（{home_name}—{other_name}）"
    return LineIdentity(section, name, line_code, line_name, level, agreement)


def derive_lines(
    gdf: gpd.GeoDataFrame, *, home_prefix: str = "1503", min_length_m: float = 1.0
) -> gpd.GeoDataFrame:
    """Shared edges between adjacent units, at least one of them in the home city.

    Parameters
    ----------
    gdf
        County-level units with ``code`` (12 digits), ``name`` and polygon geometry, any CRS.
    home_prefix
        Code prefix of the home city; pairs with no home unit are skipped.
    min_length_m
        Shared pieces shorter than this (touching corners) are dropped.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per section: code, name, line_code, line_name, level, left_code, left_name,
        right_code, right_name (left = smaller code), agreement, length_km, geometry
        (MultiLineString, EPSG:4490).
    """
    require_crs(gdf, name="divisions")
    units = gdf.to_crs(STORAGE_CRS).reset_index(drop=True)
    boundaries = units.geometry.boundary
    tree = units.sindex
    rows = []
    for i, j in sorted(
        {tuple(sorted(p)) for p in zip(*tree.query(units.geometry, predicate="intersects"), strict=True)}
    ):
        if i == j:
            continue
        a, b = units.iloc[i], units.iloc[j]
        if not (str(a["code"]).startswith(home_prefix) or str(b["code"]).startswith(home_prefix)):
            continue
        shared = _as_multiline(boundaries.iloc[i].intersection(boundaries.iloc[j]))
        if shared is None:
            continue
        length = gpd.GeoSeries([shared], crs=STORAGE_CRS).to_crs(METRIC_CRS).length.iloc[0]
        if length < min_length_m:
            continue
        ident = classify_pair(
            str(a["code"]), str(a["name"]), str(b["code"]), str(b["name"]), home_prefix=home_prefix
        )
        (lc, ln), (rc, rn) = sorted([(str(a["code"]), str(a["name"])), (str(b["code"]), str(b["name"]))])
        rows.append(
            {
                "code": ident.code,
                "name": ident.name,
                "line_code": ident.line_code,
                "line_name": ident.line_name,
                "level": ident.level,
                "left_code": lc,
                "left_name": ln,
                "right_code": rc,
                "right_name": rn,
                "agreement": ident.agreement,
                "length_km": round(length / 1000.0, 3),
                "geometry": shared,
            }
        )
    columns = [*LINE_FIELDS, "geometry"]
    return gpd.GeoDataFrame(pd.DataFrame(rows, columns=columns), geometry="geometry", crs=STORAGE_CRS)


def lengths_km(gdf: gpd.GeoDataFrame) -> pd.Series:
    """Length of each line in km, measured in EPSG:4545."""
    require_crs(gdf, name="lines")
    return gdf.to_crs(METRIC_CRS).length / 1000.0


def compass_word(bearing_deg: float) -> str:
    """The 16-point compass word for a bearing (北 is 348°45′–11°15′, 北偏东北 11°15′–33°45′...)."""
    if not math.isfinite(bearing_deg):
        raise ValueError(f"bearing must be a finite number, got {bearing_deg!r}")
    return COMPASS16[int(((bearing_deg % 360.0) + 11.25) // 22.5) % 16]


def bearing_distance(lon1: float, lat1: float, lon2: float, lat2: float) -> tuple[float, float]:
    """Geodesic bearing (degrees from north, 0–360) and distance (m) between two CGCS2000 points."""
    az, _back, dist = _GEOD.inv(lon1, lat1, lon2, lat2)
    return float(az % 360.0), float(dist)


def format_bearing(bearing_deg: float) -> str:
    """A bearing as degrees and minutes, e.g. ``42°07′``."""
    total = round((bearing_deg % 360.0) * 60)
    return f"{total // 60 % 360}°{total % 60:02d}′"


def orient(line: BaseGeometry) -> LineString:
    """Merge ``line`` into one path running west→east (wider than tall) or north→south."""
    merged = line_merge(line) if isinstance(line, MultiLineString) else line
    if isinstance(merged, MultiLineString):  # disjoint pieces: chain them in order of their start
        coords: list[tuple[float, float]] = []
        for part in sorted(merged.geoms, key=lambda g: (g.coords[0][0], -g.coords[0][1])):
            coords.extend(part.coords)
        merged = LineString(coords)
    minx, miny, maxx, maxy = merged.bounds
    start, end = merged.coords[0], merged.coords[-1]
    forward = start[0] <= end[0] if (maxx - minx) >= (maxy - miny) else start[1] >= end[1]
    return merged if forward else LineString(list(merged.coords)[::-1])


def describe(line: gpd.GeoSeries, markers: gpd.GeoDataFrame) -> list[dict]:
    """The line description (走向说明): marker to marker, the bearing word, bearing and distances.

    Parameters
    ----------
    line
        The line (one or more parts) in any CRS.
    markers
        Markers with ``number`` and point geometry, any CRS; twin/triple markers should be
        reduced to one point per group by the caller (their centroid).

    Returns
    -------
    list of dict
        One leg per consecutive pair of markers along the line: from, to, bearing_deg,
        bearing (°′ text), direction (compass word), straight_m, along_m, text.
    """
    require_crs(markers, name="markers")
    path = orient(line.to_crs(STORAGE_CRS).union_all())
    path_m = gpd.GeoSeries([path], crs=STORAGE_CRS).to_crs(METRIC_CRS).iloc[0]
    pts = markers.to_crs(STORAGE_CRS)
    pts_m = markers.to_crs(METRIC_CRS)
    order = np.argsort([path_m.project(p) for p in pts_m.geometry])
    legs = []
    for a, b in zip(order[:-1], order[1:], strict=True):
        pa, pb = pts.geometry.iloc[a], pts.geometry.iloc[b]
        brg, dist = bearing_distance(pa.x, pa.y, pb.x, pb.y)
        sa, sb = path_m.project(pts_m.geometry.iloc[a]), path_m.project(pts_m.geometry.iloc[b])
        along = substring(path_m, sa, sb).length
        word = compass_word(brg)
        na, nb = str(pts["number"].iloc[a]), str(pts["number"].iloc[b])
        legs.append(
            {
                "from": na,
                "to": nb,
                "bearing_deg": round(brg, 2),
                "bearing": format_bearing(brg),
                "direction": word,
                "straight_m": round(dist, 1),
                "along_m": round(along, 1),
                "text": f"自{na}号界桩起，界线大致向{word}方向（方位角{format_bearing(brg)}）延伸"
                f"{_km_text(along)}，至{nb}号界桩（直线距离{_km_text(dist)}）。",
            }
        )
    return legs


def point_at(line_m: LineString, distance_m: float) -> Point:
    """The point ``distance_m`` along a metric line."""
    return line_m.interpolate(distance_m)


def _km_text(metres: float) -> str:
    return f"{metres / 1000:.2f}千米" if metres >= 1000 else f"{metres:.0f}米"


def _as_multiline(geom: BaseGeometry) -> MultiLineString | None:
    if geom.is_empty:
        return None
    parts: list[LineString] = []
    for g in getattr(geom, "geoms", [geom]):
        if isinstance(g, LineString) and g.length > 0:
            parts.append(g)
        elif isinstance(g, MultiLineString):
            parts.extend(p for p in g.geoms if p.length > 0)
    if not parts:
        return None
    merged = line_merge(MultiLineString(parts))
    return merged if isinstance(merged, MultiLineString) else MultiLineString([merged])
