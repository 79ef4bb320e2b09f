"""The division tree of Wuhai: real city/district polygons and codes, synthetic town and community polygons."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from dataclasses import field

import shapely
from shapely.geometry import MultiPolygon
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from data.reference import sources
from data.reference.geometry_gen import as_multipolygon
from data.reference.geometry_gen import metric_box
from data.reference.geometry_gen import metric_point
from data.reference.geometry_gen import tile
from data.reference.geometry_gen import to_metric_geom

CITY_CODE = "150300000000"

#: Built-up cores (lon/lat boxes) of the three districts, checked against the GeoNames points
#: (Wuhai/海勃湾 39.684N 106.816E, Wuda/Bayinsai 39.500N 106.720E).
CORES: dict[str, tuple[float, float, float, float]] = {
    "150302000000": (106.795, 39.630, 106.850, 39.720),  # 海勃湾
    "150304000000": (106.685, 39.478, 106.745, 39.532),  # 乌达
    "150303000000": (106.866, 39.418, 106.902, 39.462),  # 海南 (拉僧仲/西卓子山)
}

#: Where each township-level unit lies (lon, lat): 街道 inside the core, 镇 and zones outside.
TOWN_ANCHORS: dict[str, tuple[float, float]] = {
    "150302002000": (106.825, 39.708),  # 海北街道
    "150302001000": (106.836, 39.688),  # 凤凰岭街道
    "150302003000": (106.820, 39.672),  # 新华街道
    "150302004000": (106.803, 39.678),  # 新华西街道
    "150302007000": (106.806, 39.645),  # 滨河街道
    "150302008000": (106.836, 39.648),  # 林荫街道
    "150302101000": (106.890, 39.780),  # 千里山镇
    "150302400000": (106.880, 39.600),  # 海勃湾产业园 (卡布其)
    "150304002000": (106.716, 39.526),  # 三道坎街道
    "150304003000": (106.694, 39.506),  # 五虎山街道
    "150304008000": (106.733, 39.512),  # 新达街道
    "150304009000": (106.718, 39.499),  # 巴音赛街道
    "150304010000": (106.700, 39.486),  # 梁家沟街道
    "150304011000": (106.693, 39.522),  # 苏海图街道
    "150304012000": (106.737, 39.488),  # 滨海街道
    "150304101000": (106.745, 39.585),  # 乌兰淖尔镇
    "150304400000": (106.655, 39.460),  # 乌达经济开发区
    "150303001000": (106.884, 39.448),  # 拉僧仲街道
    "150303002000": (106.884, 39.428),  # 西卓子山街道
    "150303104000": (106.830, 39.500),  # 巴音陶亥镇
    "150303102000": (106.980, 39.400),  # 公乌素镇
    "150303103000": (106.836, 39.323),  # 拉僧庙镇 (GeoNames Lasengmiao)
}

#: Kind of a neighbour unit by the last character of its name.
_NEIGHBOUR_KINDS = {"旗": "旗", "县": "县", "区": "市辖区", "盟": "盟", "市": "市"}

#: Radius of the rounded corners of the built-up cores, metres.
_CORE_ROUNDING = 700.0

#: Edge length to which real lon/lat polygons are densified before projection, degrees (about 100 m).
_SOURCE_DENSIFY_DEG = 0.001

#: Area of one urban community cell in a 镇's settlement, m².
_SETTLEMENT_CELL_M2 = 1.2e6


@dataclass
class Unit:
    """One division row before storage: geometry in EPSG:4545 metres."""

    code: str
    name: str
    level: str
    kind: str | None
    parent_code: str | None
    source: str
    in_wuhai: bool = True
    urban_rural: str | None = None
    geom: BaseGeometry | None = None
    #: The polygon to store as is (lon/lat), for real units; synthetic ones are reprojected from ``geom``.
    source_geom: BaseGeometry | None = None
    centre: Point | None = None
    households: int | None = None
    population: int | None = None
    population_60plus: int | None = None
    children: list[str] = field(default_factory=list)


def core_area(district_code: str, district_geom: BaseGeometry) -> BaseGeometry:
    """The built-up core of a district in metres: its box with rounded corners, inside the district."""
    rounded = metric_box(*CORES[district_code]).buffer(-_CORE_ROUNDING).buffer(_CORE_ROUNDING, quad_segs=8)
    return as_multipolygon(district_geom.intersection(rounded))


def village_class(v: sources.Village) -> tuple[str, str, str | None]:
    """``(level, kind, urban_rural)`` of an NBS village-level unit (see ref_interface conventions)."""
    if v.kind.startswith("村民委员会"):
        return "village", "村", "rural"
    if v.kind.startswith("居民委员会") or v.name == "新和社区居委会":
        return "community", "社区", "urban"
    return "community", "其他", None


def build_units(*, rng_seed: int) -> dict[str, Unit]:
    """Every division (Wuhai and its neighbours) keyed by code, parents before children.

    Town polygons tile their district and community/village polygons tile their town.
    """
    rng = random.Random(rng_seed)
    units: dict[str, Unit] = {}
    admin = sources.admin_units()
    city = next(u for u in admin if u.code == CITY_CODE)
    units[CITY_CODE] = Unit(
        CITY_CODE,
        city.name,
        "city",
        "地级市",
        None,
        sources.ADMIN_SOURCE,
        geom=_metric(city.geom),
        source_geom=city.geom,
    )
    prefectures = {u.name: u.code for u in admin if u.level == "city"}
    for u in admin:
        if u.code == CITY_CODE:
            continue
        if u.role == "wuhai":
            units[u.code] = Unit(
                u.code,
                u.name,
                "district",
                "市辖区",
                CITY_CODE,
                sources.ADMIN_SOURCE,
                geom=_metric(u.geom),
                source_geom=u.geom,
            )
            units[CITY_CODE].children.append(u.code)
    for u in admin:
        if u.role != "wuhai":
            parent = prefectures.get(u.city) if u.level == "district" else None
            kind = _NEIGHBOUR_KINDS.get(u.name[-1], u.name[-1])
            if u.level == "city" and kind == "市":
                kind = "地级市"
            units[u.code] = Unit(
                u.code,
                u.name,
                u.level,
                kind,
                parent,
                sources.ADMIN_SOURCE,
                in_wuhai=False,
                geom=_metric(u.geom),
                source_geom=u.geom,
            )
    _tile_towns(units, rng)
    _tile_communities(units, rng)
    return units


def _tile_towns(units: dict[str, Unit], rng: random.Random) -> None:
    by_district: dict[str, list[sources.Town]] = {}
    for t in sources.towns():
        by_district.setdefault(t.district_code, []).append(t)
    for district_code in sorted(by_district):
        district = units[district_code]
        core = core_area(district_code, district.geom)
        periphery = district.geom.difference(core)
        towns = by_district[district_code]
        streets = [t for t in towns if t.kind == "街道"]
        others = [t for t in towns if t.kind != "街道"]
        for group, region in ((streets, core), (others, periphery)):
            anchors = [_anchor(t.code, region) for t in group]
            cells, centres = tile(region, len(group), rng=rng, anchors=anchors)
            for t, cell, centre in zip(group, cells, centres, strict=True):
                units[t.code] = Unit(
                    t.code,
                    t.name,
                    "town",
                    t.kind,
                    district_code,
                    sources.TOWN_SOURCE,
                    geom=cell,
                    centre=centre,
                )
                district.children.append(t.code)


def _tile_communities(units: dict[str, Unit], rng: random.Random) -> None:
    by_town: dict[str, list[sources.Village]] = {}
    for v in sources.villages():
        by_town.setdefault(v.town_code, []).append(v)
    for town_code in sorted(by_town):
        town = units[town_code]
        members = by_town[town_code]
        urban = [v for v in members if village_class(v)[1] == "社区"]
        rest = [v for v in members if village_class(v)[1] != "社区"]
        if urban and rest:
            radius = math.sqrt(len(urban) * _SETTLEMENT_CELL_M2 / math.pi)
            settlement = town.geom.intersection(town.centre.buffer(radius, quad_segs=16))
            parts = [
                (urban, as_multipolygon(settlement)),
                (rest, as_multipolygon(town.geom.difference(settlement))),
            ]
        else:
            parts = [(members, town.geom)]
        for group, region in parts:
            cells, centres = tile(region, len(group), rng=rng)
            order = _north_to_south(centres)
            for v, i in zip(group, order, strict=True):
                level, kind, urban_rural = village_class(v)
                units[v.code] = Unit(
                    v.code,
                    v.name,
                    level,
                    kind,
                    town_code,
                    sources.TOWN_SOURCE,
                    urban_rural=urban_rural,
                    geom=cells[i],
                    centre=centres[i],
                )
                town.children.append(v.code)


def _metric(geom: BaseGeometry) -> BaseGeometry:
    """A real lon/lat polygon in metres, densified first so its edges keep following the lon/lat
    straight lines (children cut from it then stay on the stored source edges)."""
    return to_metric_geom(shapely.segmentize(geom, _SOURCE_DENSIFY_DEG))


def _anchor(code: str, region: BaseGeometry) -> Point:
    p = metric_point(*TOWN_ANCHORS[code])
    if region.contains(p):
        return p
    from shapely.ops import nearest_points

    return nearest_points(region.buffer(-50) if region.buffer(-50).area > 0 else region, p)[0]


def _north_to_south(centres: list[Point]) -> list[int]:
    """Cell indices ordered north to south, then west to east (codes follow that order)."""
    return sorted(range(len(centres)), key=lambda i: (-round(centres[i].y / 500), centres[i].x))


def is_multipolygon(geom: BaseGeometry) -> bool:
    """Whether ``geom`` is a non-empty valid MultiPolygon."""
    return isinstance(geom, MultiPolygon) and geom.is_valid and not geom.is_empty
