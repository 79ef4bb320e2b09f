"""A synthetic, noded street network: grids in the built-up cores and 镇 seats, rural roads to the villages."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import numpy as np
from shapely import affinity
from shapely.geometry import LineString
from shapely.geometry import MultiLineString
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from shapely.strtree import STRtree

#: Speed by road class, km/h (used for travel-time analysis).
SPEEDS = {"trunk": 70.0, "primary": 50.0, "secondary": 40.0, "street": 30.0, "lane": 15.0, "rural": 40.0}

#: Proper parts of street names (Wuhai-style; the generic 路/街/大街/大道 is added by orientation and class).
PROPER = (
    "人民",
    "海北",
    "滨河",
    "黄河",
    "新华",
    "建设",
    "团结",
    "光明",
    "胜利",
    "民族",
    "文化",
    "体育",
    "公园",
    "甘德尔",
    "千钢",
    "狮城",
    "海拉",
    "友谊",
    "和平",
    "青山",
    "长青",
    "幸福",
    "康乐",
    "和谐",
    "新南",
    "清泉",
    "凤凰",
    "林荫",
    "大庆",
    "金裕",
    "温馨",
    "海馨",
    "东环",
    "西环",
    "北环",
    "育红",
    "铁西",
    "富强",
    "胡杨",
    "先锋",
    "振华",
    "兴华",
    "巴音赛",
    "苏海图",
    "三道坎",
    "五虎山",
    "梁家沟",
    "乌兰",
    "黄白茨",
    "新达",
    "滨海",
    "拉僧仲",
    "卓子山",
    "利民",
    "小康",
    "民乐",
    "金海",
    "华苑",
    "世纪",
    "泽苑",
    "祥苑",
    "新桥",
    "学府",
    "学苑",
    "迎宾",
    "朝阳",
    "银河",
    "星光",
    "锦绣",
    "绿洲",
    "沙湖",
    "书法",
    "葡萄",
    "甘泉",
    "河滨",
    "湖滨",
    "乌海湖",
    "海勃湾",
    "海达",
    "盛世",
    "镇北",
    "白楼",
    "中河源",
    "湖东",
    "依林",
    "蓝天",
    "新城",
    "墨香",
    "东山",
    "黄河湾",
    "滨湖",
    "阳光",
    "明珠",
    "如意",
    "吉祥",
    "安康",
    "永安",
    "新风",
    "惠民",
    "静安",
    "春晖",
    "秋实",
    "丰收",
    "工业",
    "商业",
    "车站",
    "矿区",
    "电厂",
    "焦化",
    "青年",
    "卫生",
    "教育",
    "万达",
    "海源",
    "清源",
    "宏达",
    "利达",
    "昌盛",
)
_NS_GENERIC = {"primary": "大街", "secondary": "街", "street": "街"}
_EW_GENERIC = {"primary": "大道", "secondary": "路", "street": "路"}


@dataclass(frozen=True)
class Road:
    """A whole named road before noding (metric CRS)."""

    name: str
    road_class: str
    geom: LineString
    division_code: str | None = None


@dataclass(frozen=True)
class Segment:
    """One noded road segment (metric CRS)."""

    name: str
    road_class: str
    geom: LineString
    division_code: str | None = None


class NamePool:
    """Unique street names within one district."""

    def __init__(
        self, rng: random.Random, *, reserved: set[str] | None = None, exclude: set[str] | None = None
    ) -> None:
        self._propers = [p for p in PROPER if p not in (exclude or set())]
        rng.shuffle(self._propers)
        self._used: set[str] = set()
        self._reserved: set[str] = set(reserved or ())

    def take(self, generic: str) -> str:
        """A new name ``<proper><generic>`` not used yet in this district."""
        while self._propers:
            proper = self._propers.pop()
            name = proper + generic
            if name not in self._used and name not in self._reserved:
                self._used.add(name)
                return name
        raise RuntimeError("street-name pool exhausted")

    def claim(self, name: str) -> str:
        """Reserve ``name`` as is, or with a numeric suffix if taken."""
        base, n = name, 1
        while name in self._used:
            n += 1
            name = f"{base}{n}"
        self._used.add(name)
        return name


def grid(
    area: BaseGeometry,
    *,
    rng: random.Random,
    names: NamePool,
    spacing: tuple[float, float] = (260.0, 440.0),
    angle: float = 0.0,
    primary_every: int = 5,
    division_code: str | None = None,
) -> list[Road]:
    """Straight streets ``spacing`` metres apart across ``area``, rotated by ``angle`` degrees."""
    centre = area.centroid
    local = affinity.rotate(area, -angle, origin=centre)
    minx, miny, maxx, maxy = local.bounds
    roads: list[Road] = []
    for axis in ("x", "y"):
        lo, hi = (minx, maxx) if axis == "x" else (miny, maxy)
        pos = lo + rng.uniform(*spacing) / 2
        i = 0
        while pos < hi:
            if axis == "x":
                line = LineString([(pos, miny - 10), (pos, maxy + 10)])
            else:
                line = LineString([(minx - 10, pos), (maxx + 10, pos)])
            line = affinity.rotate(line, angle, origin=centre)
            clipped = line.intersection(area)
            pieces = _lines(clipped)
            if pieces:
                road_class = (
                    "primary" if i % primary_every == 1 else ("secondary" if i % 2 == 1 else "street")
                )
                generic = (_NS_GENERIC if axis == "x" else _EW_GENERIC)[road_class]
                name = names.take(generic)
                roads.extend(Road(name, road_class, p, division_code) for p in pieces if p.length > 50)
                i += 1
            pos += rng.uniform(*spacing)
    return roads


def link(start: Point, end: Point, *, rng: random.Random, wiggle: float = 0.08) -> LineString:
    """A gently bending road from ``start`` to ``end`` (ends exactly on the given points)."""
    dx, dy = end.x - start.x, end.y - start.y
    length = math.hypot(dx, dy)
    n = max(1, int(length // 1500))
    pts = [(start.x, start.y)]
    for k in range(1, n + 1):
        t = k / (n + 1)
        off = rng.uniform(-wiggle, wiggle) * length / (n + 1)
        pts.append((start.x + dx * t - dy / length * off, start.y + dy * t + dx / length * off))
    pts.append((end.x, end.y))
    return LineString(pts)


def nearest_node(roads: list[Road], p: Point) -> Point:
    """The road end or vertex nearest to ``p``."""
    coords = np.vstack([np.asarray(r.geom.coords) for r in roads])
    d = ((coords - [p.x, p.y]) ** 2).sum(axis=1)
    x, y = coords[int(d.argmin())]
    return Point(float(x), float(y))


def node(roads: list[Road]) -> list[Segment]:
    """Split every road where it meets another, so segments share their end points exactly."""
    geoms = [r.geom for r in roads]
    tree = STRtree(geoms)
    cuts: list[list[tuple[float, float]]] = [[] for _ in roads]
    left, right = tree.query(geoms, predicate="intersects")
    for i, j in zip(left.tolist(), right.tolist(), strict=True):
        if i >= j:
            continue
        for pt in _points(geoms[i].intersection(geoms[j])):
            cuts[i].append(pt)
            cuts[j].append(pt)
    out: list[Segment] = []
    for road, pts in zip(roads, cuts, strict=True):
        out.extend(Segment(road.name, road.road_class, g, road.division_code) for g in _cut(road.geom, pts))
    return out


def _cut(line: LineString, pts: list[tuple[float, float]]) -> list[LineString]:
    coords = [tuple(c) for c in line.coords]
    cum = [0.0]
    for a, b in zip(coords, coords[1:], strict=False):
        cum.append(cum[-1] + math.dist(a, b))
    total = cum[-1]
    marks: list[tuple[float, int, tuple[float, float]]] = [
        (d, 0, c) for d, c in zip(cum, coords, strict=True)
    ]
    for p in set(pts):
        d = line.project(Point(p))
        if d < 1e-6:
            marks[0] = (0.0, 1, p)
        elif d > total - 1e-6:
            marks[len(coords) - 1] = (total, 1, p)
        else:
            marks.append((d, 1, p))
    marks.sort(key=lambda m: (m[0], -m[1]))
    pieces: list[LineString] = []
    current: list[tuple[float, float]] = []
    last_d = -1.0
    for d, is_cut, c in marks:
        if current and abs(d - last_d) < 1e-9 and not is_cut:
            continue  # vertex coinciding with a cut point
        if not (current and current[-1] == c):
            current.append(c)
        last_d = d
        if is_cut and len(current) > 1:
            pieces.append(LineString(current))
            current = [c]
    if len(current) > 1:
        pieces.append(LineString(current))
    return [p for p in pieces if p.length > 1e-3]


def _points(geom: BaseGeometry) -> list[tuple[float, float]]:
    if geom.is_empty:
        return []
    if isinstance(geom, Point):
        return [(geom.x, geom.y)]
    if hasattr(geom, "geoms"):
        return [pt for g in geom.geoms for pt in _points(g)]
    if isinstance(geom, LineString):  # overlapping roads: node at the overlap's ends
        return [tuple(geom.coords[0]), tuple(geom.coords[-1])]
    return []


def _lines(geom: BaseGeometry) -> list[LineString]:
    if isinstance(geom, LineString):
        return [] if geom.is_empty else [geom]
    if isinstance(geom, MultiLineString) or hasattr(geom, "geoms"):
        return [g for g in geom.geoms if isinstance(g, LineString) and not g.is_empty]
    return []


def merge_check(segments: list[Segment]) -> int:
    """Number of connected components of the segment graph (1 means one routable network)."""
    import networkx as nx

    g = nx.Graph()
    for s in segments:
        g.add_edge(s.geom.coords[0], s.geom.coords[-1])
    return nx.number_connected_components(g)
