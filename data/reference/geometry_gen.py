"""Synthetic polygons that tile a parent exactly: centroidal Voronoi cells clipped to the parent (metric CRS)."""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPoint
from shapely.geometry import MultiPolygon
from shapely.geometry import Point
from shapely.geometry import Polygon
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from gis.crs import METRIC_SRID
from gis.crs import STORAGE_SRID
from gis.crs import transformer

#: Sample points per region used to balance the cells.
_SAMPLES = 3000
_KMEANS_ROUNDS = 12


def to_metric_geom(geom: BaseGeometry) -> BaseGeometry:
    """A lon/lat (EPSG:4490) geometry in EPSG:4545 metres."""
    return _reproject(geom, STORAGE_SRID, METRIC_SRID)


def to_storage_geom(geom: BaseGeometry | list[BaseGeometry]) -> Any:
    """An EPSG:4545 geometry (or a list of them, reprojected in one call) in EPSG:4490 lon/lat."""
    if isinstance(geom, list):
        return list(_reproject(np.asarray(geom, dtype=object), METRIC_SRID, STORAGE_SRID))
    return _reproject(geom, METRIC_SRID, STORAGE_SRID)


def metric_box(lon_min: float, lat_min: float, lon_max: float, lat_max: float) -> Polygon:
    """A lon/lat box as a (slightly curved) polygon in metres."""
    return to_metric_geom(box(lon_min, lat_min, lon_max, lat_max).segmentize(0.002))


def metric_point(lon: float, lat: float) -> Point:
    """A lon/lat point in metres."""
    return to_metric_geom(Point(lon, lat))


def tile(
    region: BaseGeometry,
    k: int,
    *,
    rng: random.Random,
    anchors: list[Point] | None = None,
) -> tuple[list[MultiPolygon], list[Point]]:
    """Split ``region`` into ``k`` compact cells that tile it exactly.

    Parameters
    ----------
    region
        Polygonal geometry in a metric CRS.
    k
        Number of cells.
    rng
        Seeded random source (initial centres when no ``anchors``).
    anchors
        Optional initial centres, one per cell; cell ``i`` stays near ``anchors[i]``.

    Returns
    -------
    cells, centres
        ``k`` valid MultiPolygons whose union is ``region``, and the point inside each cell
        that seeded it.
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    if anchors is not None and len(anchors) != k:
        raise ValueError(f"{len(anchors)} anchors for {k} cells")
    if k == 1:
        return [as_multipolygon(region)], [region.point_on_surface()]
    samples = sample_points(region, _SAMPLES, rng=rng)
    if anchors is None:
        idx = rng.sample(range(len(samples)), k)
        centres = samples[sorted(idx)]
    else:
        centres = np.array([[p.x, p.y] for p in anchors], dtype=float)
    centres = _kmeans(samples, centres)
    # snap each centre to the nearest sample so it lies inside the region, keep them distinct
    snapped = []
    for c in centres:
        order = np.argsort(((samples - c) ** 2).sum(axis=1))
        for j in order:
            cand = tuple(samples[j])
            if cand not in snapped:
                snapped.append(cand)
                break
    seeds = [Point(x, y) for x, y in snapped]
    cells = voronoi_cells(region, seeds)
    return cells, seeds


def voronoi_cells(region: BaseGeometry, seeds: list[Point]) -> list[MultiPolygon]:
    """Voronoi cells of ``seeds`` clipped to ``region`` (one per seed, in order, fragments merged)."""
    minx, miny, maxx, maxy = region.bounds
    pad = max(maxx - minx, maxy - miny)
    frame = box(minx - pad, miny - pad, maxx + pad, maxy + pad)
    diagram = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=frame, ordered=True)
    cells = [shapely.make_valid(cell.intersection(region)) for cell in diagram.geoms]
    cells = [_polygonal(c) for c in cells]
    cells = _merge_fragments(cells, seeds)
    return [as_multipolygon(c) for c in cells]


def sample_points(region: BaseGeometry, n: int, *, rng: random.Random) -> np.ndarray:
    """About ``n`` points on a jittered grid inside ``region`` (an ``(m, 2)`` array)."""
    minx, miny, maxx, maxy = region.bounds
    step = math.sqrt(region.area / n)
    xs = np.arange(minx + step / 2, maxx, step)
    ys = np.arange(miny + step / 2, maxy, step)
    gx, gy = np.meshgrid(xs, ys)
    pts = np.column_stack([gx.ravel(), gy.ravel()])
    gen = np.random.default_rng(rng.randrange(2**32))
    pts = pts + gen.uniform(-step / 3, step / 3, size=pts.shape)
    inside = shapely.contains_xy(region, pts[:, 0], pts[:, 1])
    pts = pts[inside]
    if len(pts) == 0:
        p = region.point_on_surface()
        pts = np.array([[p.x, p.y]])
    return pts


def as_multipolygon(geom: BaseGeometry) -> MultiPolygon:
    """``geom``'s polygonal parts as one valid MultiPolygon."""
    geom = _polygonal(shapely.make_valid(geom))
    if isinstance(geom, Polygon):
        return MultiPolygon([geom])
    if isinstance(geom, MultiPolygon):
        return geom
    raise ValueError(f"no polygonal part in {geom.geom_type}")


def largest_part(geom: BaseGeometry) -> Polygon:
    """The largest polygon of a (multi)polygon."""
    if isinstance(geom, Polygon):
        return geom
    return max(geom.geoms, key=lambda p: p.area)


def _reproject(geom: Any, src: int, dst: int) -> Any:
    t = transformer(src, dst)

    def fn(coords: np.ndarray) -> np.ndarray:
        x, y = t.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, fn)


def _kmeans(samples: np.ndarray, centres: np.ndarray) -> np.ndarray:
    centres = centres.copy()
    for _ in range(_KMEANS_ROUNDS):
        d = ((samples[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
        label = d.argmin(axis=1)
        for i in range(len(centres)):
            members = samples[label == i]
            if len(members):
                centres[i] = members.mean(axis=0)
    return centres


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    if isinstance(geom, Polygon | MultiPolygon):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon | MultiPolygon)]
    polys: list[Polygon] = []
    for g in parts:
        polys.extend(g.geoms if isinstance(g, MultiPolygon) else [g])
    polys = [p for p in polys if p.area > 0]
    if not polys:
        return Polygon()
    return polys[0] if len(polys) == 1 else MultiPolygon(polys)


def _merge_fragments(cells: list[BaseGeometry], seeds: list[Point]) -> list[BaseGeometry]:
    """Give every detached part of a cell to the neighbour sharing the longest edge with it."""
    cells = list(cells)
    for i in range(len(cells)):
        cell = cells[i]
        if not isinstance(cell, MultiPolygon):
            continue
        keep = [p for p in cell.geoms if p.intersects(seeds[i].buffer(1e-6))] or [largest_part(cell)]
        main = keep[0]
        for part in cell.geoms:
            if part is main or part.equals(main):
                continue
            best, best_len = None, 0.0
            for j, other in enumerate(cells):
                if j == i or other.is_empty:
                    continue
                shared = part.boundary.intersection(other.boundary.buffer(1e-3)).length
                if shared > best_len:
                    best, best_len = j, shared
            if best is None:
                main = shapely.union(main, part)
            else:
                cells[best] = _polygonal(shapely.make_valid(shapely.union(cells[best], part)))
        cells[i] = main
    return cells
