"""Assemble Wuhai's synthetic street network from the division layout (metric CRS)."""

from __future__ import annotations

import random
import re

from shapely.geometry import Point

from data.reference import divisions_gen
from data.reference.divisions_gen import CORES
from data.reference.divisions_gen import Unit
from data.reference.roads_gen import NamePool
from data.reference.roads_gen import Road
from data.reference.roads_gen import Segment
from data.reference.roads_gen import grid
from data.reference.roads_gen import link
from data.reference.roads_gen import nearest_node
from data.reference.roads_gen import node

#: Half the side of the street grid around a 镇 seat, metres.
_SEAT_HALF_SIDE = 800.0
#: Links between the district networks: (name, class, from district, to district).
_CITY_LINKS = (
    ("110国道", "trunk", "150302000000", "150303000000"),
    ("乌海黄河大桥", "primary", "150304000000", "150302000000"),
)


def street_network(units: dict[str, Unit], *, rng: random.Random) -> list[Segment]:
    """Noded segments: grids in the cores and 镇 seats, links between them, rural roads to villages.

    Every segment carries the 12-digit code of its district; names are unique within a district.
    """
    roads: list[Road] = []
    cores: dict[str, list[Road]] = {}
    for district_code in sorted(CORES):
        district = units[district_code]
        foreign = {
            _proper(u.name) for u in units.values() if u.in_wuhai and not _inside(u, district_code, units)
        }
        names = NamePool(rng, reserved=_village_road_names(units, district), exclude=foreign)
        core_area = divisions_gen.core_area(district_code, district.geom)
        core_roads = grid(
            core_area, rng=rng, names=names, angle=rng.uniform(-8.0, 8.0), division_code=district_code
        )
        cores[district_code] = core_roads
        district_roads = list(core_roads)
        for town_code in district.children:
            town = units[town_code]
            if town.kind != "镇" or town.centre is None:
                continue
            seat = town.centre.buffer(_SEAT_HALF_SIDE, cap_style="square").intersection(town.geom)
            seat_roads = grid(
                seat,
                rng=rng,
                names=names,
                spacing=(260.0, 420.0),
                primary_every=4,
                division_code=district_code,
            )
            if not seat_roads:
                continue
            a = nearest_node(seat_roads, core_area.centroid)
            b = nearest_node(core_roads, a)
            connector = names.claim(_proper(town.name) + "公路")
            district_roads.append(Road(connector, "secondary", link(a, b, rng=rng), district_code))
            district_roads.extend(seat_roads)
        for town_code in district.children:
            for code in units[town_code].children:
                village = units[code]
                if village.kind != "村" or village.centre is None:
                    continue
                target = nearest_node(district_roads, village.centre)
                name = names.claim(_proper(village.name) + "路")
                district_roads.append(
                    Road(name, "rural", link(village.centre, target, rng=rng), district_code)
                )
        roads.extend(district_roads)
    for name, road_class, a_code, b_code in _CITY_LINKS:
        a_core, b_core = cores[a_code], cores[b_code]
        b_centre = Point(*_centre(b_core))
        a = nearest_node(a_core, b_centre)
        b = nearest_node(b_core, a)
        roads.append(Road(name, road_class, link(a, b, rng=rng, wiggle=0.03), None))
    segments = node(roads)
    return [s if s.division_code else _with_district(s, units) for s in segments]


def _village_road_names(units: dict[str, Unit], district: Unit) -> set[str]:
    return {
        _proper(units[c].name) + "路"
        for t in district.children
        for c in units[t].children
        if units[c].kind == "村"
    }


def _inside(unit: Unit, district_code: str, units: dict[str, Unit]) -> bool:
    """Whether ``unit`` is ``district_code`` or lies below it."""
    code: str | None = unit.code
    while code is not None:
        if code == district_code:
            return True
        code = units[code].parent_code
    return False


def _proper(name: str) -> str:
    """The proper part of a division name (新地村委会 -> 新地, 千里山镇 -> 千里山)."""
    return re.sub(r"(村民委员会|村委会|社区居委会|居委会|社区|街道|镇|区)$", "", name)


def _centre(roads: list[Road]) -> tuple[float, float]:
    xs = [c[0] for r in roads for c in r.geom.coords]
    ys = [c[1] for r in roads for c in r.geom.coords]
    return sum(xs) / len(xs), sum(ys) / len(ys)


def _with_district(segment: Segment, units: dict[str, Unit]) -> Segment:
    mid = segment.geom.interpolate(0.5, normalized=True)
    for code in sorted(CORES):
        if units[code].geom.contains(mid):
            return Segment(segment.name, segment.road_class, segment.geom, code)
    return Segment(segment.name, segment.road_class, segment.geom, None)
