"""Service circles: 5/10/15-minute life circles and the 30-minute rural circle, by straight line or road network."""

from __future__ import annotations

import zlib
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from facilities.kinds import RURAL_ELDERLY_KINDS
from facilities.kinds import URBAN_ELDERLY_KINDS
from facilities.network import Network
from facilities.network import iter_source_distances
from facilities.network import node_labels
from facilities.network import reach
from gis.crs import METRIC_CRS
from gis.crs import require_crs
from gis.errors import InvalidInput

#: Concave-hull ratio for network service areas (0 = tightest hull, 1 = convex hull).
HULL_RATIO = 0.2
#: GB 50180-2018 walking distances of the 5/10/15-minute life circles (m); 15 min may be 800-1000 m.
LIFE_CIRCLES_M = {5: 300.0, 10: 500.0, 15: 1000.0}


@dataclass(frozen=True)
class CircleRule:
    """How far a facility serves: walking life circles, the rural circle, speeds and the served share."""

    method: str = "straight"
    walk_kmh: float = 4.0
    drive_kmh: float = 30.0
    life_circles_m: dict[int, float] = field(default_factory=lambda: dict(LIFE_CIRCLES_M))
    urban_minutes: float = 15.0
    rural_minutes: float = 30.0
    rural_mode: str = "walk"
    min_share: float = 0.5

    def __post_init__(self) -> None:
        if self.method not in ("straight", "network"):
            raise InvalidInput(f"method must be 'straight' or 'network', not {self.method!r}", field="method")
        if self.rural_mode not in ("walk", "drive"):
            raise InvalidInput(
                f"rural_mode must be 'walk' or 'drive', not {self.rural_mode!r}", field="rural_mode"
            )
        if min(self.walk_kmh, self.drive_kmh) <= 0 or not 0 < self.min_share <= 1:
            raise InvalidInput("speeds must be positive and min_share in (0, 1]", field="min_share")

    def limit_m(self, minutes: float, mode: str = "walk") -> float:
        """Distance reached in ``minutes`` (the GB 50180 distance for a walking life circle)."""
        if mode == "walk" and minutes in self.life_circles_m:
            return float(self.life_circles_m[minutes])
        speed = self.walk_kmh if mode == "walk" else self.drive_kmh
        return minutes * speed * 1000.0 / 60.0

    def as_dict(self) -> dict:
        return {
            k: ({str(m): d for m, d in v.items()} if isinstance(v, dict) else v)
            for k, v in asdict(self).items()
        }


def residential_points(
    units: gpd.GeoDataFrame, *, households_per_point: int = 50, seed: int = 0, roads: gpd.GeoDataFrame | None = None,
    setback_m: float = 40.0,
) -> gpd.GeoDataFrame:  # fmt: skip
    """Synthetic residential points: each community's households, residents and elderly spread over points.

    One point stands for about ``households_per_point`` households (a building or courtyard). With
    ``roads``, points lie along the streets inside the community (people live in the built-up
    blocks, within ``setback_m`` of a street); communities without streets, or without ``roads``,
    get points uniformly at random inside their polygon. Placement is deterministic per community
    code and ``seed``; the community's numbers are split evenly over its points, so sums are exact.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4545 points with unit_code, urban_rural, households, residents, aged_60plus.
    """
    require_crs(units, name="units")
    metric = units.to_crs(METRIC_CRS)
    street_geoms = None
    if roads is not None and len(roads):
        require_crs(roads, name="roads")
        street_geoms = roads.to_crs(METRIC_CRS).geometry.values
        street_tree = shapely.STRtree(street_geoms)
    frames = []
    for row in metric.itertuples():
        hh = int(np.nan_to_num(row.households or 0))
        if hh <= 0 or row.geometry is None or row.geometry.is_empty:
            continue
        n = max(1, round(hh / households_per_point))
        rng = np.random.default_rng([seed, zlib.crc32(str(row.code).encode())])
        xy = None
        if street_geoms is not None:
            near = street_geoms[street_tree.query(row.geometry, predicate="intersects")]
            xy = _sample_along(shapely.intersection(near, row.geometry), row.geometry, n, rng, setback_m)
        if xy is None:
            xy = _sample_in(row.geometry, n, rng)
        frame = pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1]})
        frame["unit_code"] = row.code
        frame["urban_rural"] = row.urban_rural
        for col, total in (
            ("households", hh),
            ("residents", row.residents),
            ("aged_60plus", row.aged_60plus),
        ):
            frame[col] = _split(int(np.nan_to_num(total or 0)), n)
        frames.append(frame)
    cols = ["unit_code", "urban_rural", "households", "residents", "aged_60plus"]
    if not frames:
        return gpd.GeoDataFrame(columns=cols, geometry=[], crs=METRIC_CRS)
    df = pd.concat(frames, ignore_index=True)
    return gpd.GeoDataFrame(df[cols], geometry=gpd.points_from_xy(df["x"], df["y"]), crs=METRIC_CRS)


def nearest_reach(
    facilities: gpd.GeoDataFrame,
    points: gpd.GeoDataFrame,
    *,
    limit_m: float,
    method: str = "straight",
    net: Network | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Distance (m) from each point to its nearest facility within ``limit_m`` and that facility's position (-1)."""
    f_xy = _xy(facilities)
    p_xy = _xy(points)
    if len(f_xy) == 0:
        return np.full(len(p_xy), np.inf), np.full(len(p_xy), -1)
    if method == "network":
        if net is None:
            raise InvalidInput("method 'network' needs a road network", field="method")
        return reach(net, f_xy, p_xy, limit_m=limit_m)
    dist, idx = cKDTree(f_xy).query(p_xy, distance_upper_bound=limit_m)
    return dist, np.where(np.isfinite(dist), idx, -1)


def coverage(
    units: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    points: gpd.GeoDataFrame,
    *,
    rule: CircleRule,
    net: Network | None = None,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Households and elderly covered per community by the elderly-care facilities' circles.

    Urban points count as covered within the urban circle (15-minute walk) of an urban-kind facility,
    rural points within the rural circle of any elderly-care facility.

    Returns
    -------
    (points, summary)
        ``points`` with ``covered``, ``distance_m`` and ``facility_id``; ``summary`` per unit with
        households/elderly covered and not covered, the covered share and ``served``.
    """
    require_crs(facilities, name="facilities")
    pts = points.to_crs(METRIC_CRS).copy()
    fac = facilities.to_crs(METRIC_CRS)
    pts["distance_m"] = np.inf
    pts["facility_id"] = pd.array([pd.NA] * len(pts), dtype="Int64")
    ids = fac["id"].to_numpy() if "id" in fac else np.arange(len(fac))
    for area, kinds, minutes, mode in (
        ("urban", URBAN_ELDERLY_KINDS, rule.urban_minutes, "walk"),
        (
            "rural",
            tuple(set(URBAN_ELDERLY_KINDS) | set(RURAL_ELDERLY_KINDS)),
            rule.rural_minutes,
            rule.rural_mode,
        ),
    ):
        sel = (pts["urban_rural"] == area).to_numpy()
        fsel = fac["kind"].isin(kinds).to_numpy()
        if not sel.any():
            continue
        dist, idx = nearest_reach(
            fac[fsel], pts[sel], limit_m=rule.limit_m(minutes, mode), method=rule.method, net=net
        )
        pts.loc[sel, "distance_m"] = dist
        ok = idx >= 0
        fid = np.zeros(len(idx), dtype=np.int64)
        fid[ok] = ids[fsel][idx[ok]]
        pts.loc[sel, "facility_id"] = pd.arrays.IntegerArray(fid, ~ok)
    pts["covered"] = np.isfinite(pts["distance_m"].to_numpy())
    return pts, summarise_coverage(units, pts, min_share=rule.min_share)


def summarise_coverage(
    units: gpd.GeoDataFrame, points: pd.DataFrame, *, min_share: float = 0.5
) -> pd.DataFrame:
    """Per unit: households and elderly covered / not covered, covered share, served (share ≥ ``min_share``)."""
    p = pd.DataFrame(points[["unit_code", "households", "aged_60plus", "covered"]])
    p["hh_cov"] = p["households"].where(p["covered"], 0)
    p["old_cov"] = p["aged_60plus"].where(p["covered"], 0)
    g = p.groupby("unit_code").agg(
        households=("households", "sum"),
        households_covered=("hh_cov", "sum"),
        aged_60plus=("aged_60plus", "sum"),
        elderly_covered=("old_cov", "sum"),
    )
    base = pd.DataFrame(
        {
            "unit_code": units["code"].to_numpy(),
            "name": units["name"].to_numpy() if "name" in units else units["code"].to_numpy(),
            "urban_rural": units["urban_rural"].to_numpy(),
        }
    )
    out = base.merge(g, left_on="unit_code", right_index=True, how="left").fillna(dict.fromkeys(g.columns, 0))
    for c in g.columns:
        out[c] = out[c].astype(int)
    out["households_uncovered"] = out["households"] - out["households_covered"]
    out["elderly_uncovered"] = out["aged_60plus"] - out["elderly_covered"]
    out["covered_share"] = (out["households_covered"] / out["households"].replace(0, np.nan)).round(4)
    out["served"] = out["covered_share"].fillna(0) >= min_share
    return out


def served_by_circles(
    units: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    points: gpd.GeoDataFrame,
    *,
    rule: CircleRule,
    net: Network | None = None,
) -> pd.Series:
    """The circle rule for indicator 3: a unit is served when ≥ ``min_share`` of its households are covered."""
    _pts, summary = coverage(units, facilities, points, rule=rule, net=net)
    return pd.Series(summary["served"].to_numpy(), index=summary["unit_code"].to_numpy(), dtype=bool)


def service_areas(
    facilities: gpd.GeoDataFrame,
    *,
    limit_m: float,
    method: str = "straight",
    net: Network | None = None,
    buffer_m: float = 50.0,
) -> gpd.GeoDataFrame:
    """The service area polygon of each facility (overlapping; one Dijkstra per facility on the network).

    Straight line: a disc of ``limit_m``. Network: the concave hull of the street nodes reached within
    ``limit_m`` (the facility's own access distance included), buffered by ``buffer_m`` for the
    buildings along the streets.
    """
    fac = facilities.to_crs(METRIC_CRS)
    if method == "straight":
        geoms = shapely.buffer(fac.geometry.values, limit_m, quad_segs=16)
    elif net is None:
        raise InvalidInput("method 'network' needs a road network", field="method")
    else:
        geoms = network_polygons(net, _xy(fac), limit_m=limit_m, buffer_m=buffer_m)
    keep = [c for c in ("id", "kind", "name") if c in fac.columns]
    out = gpd.GeoDataFrame(fac[keep].reset_index(drop=True), geometry=list(geoms), crs=METRIC_CRS)
    out["limit_m"] = limit_m
    out["method"] = method
    return out


def catchment_areas(
    facilities: gpd.GeoDataFrame, net: Network, *, limit_m: float, buffer_m: float = 50.0
) -> gpd.GeoDataFrame:
    """Each facility's catchment: the streets within ``limit_m`` whose nearest facility it is (no overlaps).

    One multi-source Dijkstra labels every node with its nearest facility; the polygons are the
    concave hulls of each label's nodes, buffered by ``buffer_m``. The union equals the union of
    :func:`service_areas` up to the hull approximation, at the cost of a single search.
    """
    fac = facilities.to_crs(METRIC_CRS).reset_index(drop=True)
    dist, src = node_labels(net, _xy(fac), limit_m=limit_m)
    reached = src >= 0
    labels = src[reached]
    order = np.argsort(labels, kind="stable")
    uniq, inverse = np.unique(labels[order], return_inverse=True)
    geoms = np.full(len(fac), None, dtype=object)
    if len(uniq):
        hulls = shapely.concave_hull(
            shapely.multipoints(net.xy[reached][order], indices=inverse), ratio=HULL_RATIO
        )
        geoms[uniq] = shapely.buffer(hulls, buffer_m, quad_segs=4)
    keep = [c for c in ("id", "kind", "name") if c in fac.columns]
    out = gpd.GeoDataFrame(fac[keep], geometry=list(geoms), crs=METRIC_CRS)
    out["limit_m"] = limit_m
    return out


def network_polygons(
    net: Network,
    source_xy: np.ndarray,
    *,
    limit_m: float,
    buffer_m: float = 50.0,
    snapped: tuple[np.ndarray, np.ndarray] | None = None,
) -> list[shapely.Geometry]:
    """Each source's network service area (:func:`reach_polygon` of its reached nodes), batch by batch."""
    return [
        reach_polygon(net.xy[np.isfinite(row)], buffer_m=buffer_m)
        for rows in iter_source_distances(net, source_xy, limit_m=limit_m, snapped=snapped)
        for row in rows
    ]


def reach_polygon(xy: np.ndarray, *, buffer_m: float = 50.0) -> shapely.Geometry:
    """The polygon of some reached street nodes: their concave hull, buffered."""
    if len(xy) == 0:
        return shapely.Polygon()
    return shapely.buffer(
        shapely.concave_hull(shapely.multipoints(xy), ratio=HULL_RATIO), buffer_m, quad_segs=4
    )


def life_circles(
    facilities: gpd.GeoDataFrame, *, rule: CircleRule, net: Network | None = None
) -> gpd.GeoDataFrame:
    """The 5/10/15-minute life-circle areas of each facility (one row per facility and circle)."""
    frames = []
    for minutes in sorted(rule.life_circles_m):
        areas = service_areas(facilities, limit_m=rule.limit_m(minutes), method=rule.method, net=net)
        areas["minutes"] = minutes
        frames.append(areas)
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=METRIC_CRS)


def uncovered_areas(units: gpd.GeoDataFrame, areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Each unit's area outside every service area (empty units dropped), with its size in m²."""
    u = units.to_crs(METRIC_CRS)
    rest = unit_gaps(
        np.asarray(u.geometry.values, dtype=object),
        np.asarray(areas.to_crs(METRIC_CRS).geometry.values, dtype=object),
    )
    out = gpd.GeoDataFrame(
        {"code": u["code"].to_numpy(), "name": u["name"].to_numpy() if "name" in u else u["code"].to_numpy()},
        geometry=rest,
        crs=METRIC_CRS,
    )
    out = out[~out.geometry.is_empty].copy()
    out["area_m2"] = out.geometry.area.round(0)
    return out


def unit_gaps(units: np.ndarray, areas: np.ndarray) -> np.ndarray:
    """Each unit polygon minus the union of the areas whose envelope meets its envelope (in their order).

    Unit by unit, so the answer for a unit depends only on the areas near it (partitions agree).
    """
    out = np.empty(len(units), dtype=object)
    if len(areas) == 0:
        out[:] = list(units)
        return out
    unit_idx, area_idx = shapely.STRtree(areas).query(units)
    order = np.lexsort((area_idx, unit_idx))
    unit_idx, area_idx = unit_idx[order], area_idx[order]
    starts = np.searchsorted(unit_idx, np.arange(len(units)))
    ends = np.searchsorted(unit_idx, np.arange(len(units)), side="right")
    for i, (a, b) in enumerate(zip(starts, ends, strict=True)):
        near = areas[area_idx[a:b]]
        out[i] = shapely.difference(units[i], shapely.union_all(near)) if b > a else units[i]
    return out


def _xy(gdf: gpd.GeoDataFrame) -> np.ndarray:
    g = gdf.to_crs(METRIC_CRS).geometry.values if gdf.crs != METRIC_CRS else gdf.geometry.values
    return shapely.get_coordinates(g) if len(g) else np.empty((0, 2))


def _split(total: int, n: int) -> np.ndarray:
    base = np.full(n, total // n, dtype=np.int64)
    base[: total % n] += 1
    return base


def _sample_along(
    lines: np.ndarray, poly, n: int, rng: np.random.Generator, setback_m: float
) -> np.ndarray | None:
    parts = shapely.get_parts(lines)
    parts = parts[shapely.get_type_id(parts) == 1]
    lengths = shapely.length(parts)
    if len(parts) == 0 or lengths.sum() < 1.0:
        return None
    which = rng.choice(len(parts), size=n, p=lengths / lengths.sum())
    on = shapely.line_interpolate_point(parts[which], rng.uniform(0, 1, n), normalized=True)
    xy = shapely.get_coordinates(on)
    moved = xy + rng.uniform(-setback_m, setback_m, size=xy.shape)
    inside = shapely.contains_xy(poly, moved[:, 0], moved[:, 1])
    return np.where(inside[:, None], moved, xy)


def _sample_in(poly, n: int, rng: np.random.Generator) -> np.ndarray:
    minx, miny, maxx, maxy = poly.bounds
    out = np.empty((0, 2))
    for _ in range(50):
        cand = np.column_stack([rng.uniform(minx, maxx, 4 * n + 8), rng.uniform(miny, maxy, 4 * n + 8)])
        out = np.vstack([out, cand[shapely.contains_xy(poly, cand[:, 0], cand[:, 1])]])
        if len(out) >= n:
            return out[:n]
    p = poly.point_on_surface()
    return np.vstack([out, np.tile([p.x, p.y], (n - len(out), 1))])
