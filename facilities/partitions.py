"""Spatial partitions by division for the distributed circles: payloads with a road-network cut and halo."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse import csr_matrix
from scipy.spatial import cKDTree

from facilities.circles import network_polygons
from facilities.circles import unit_gaps
from facilities.network import Network
from facilities.network import reach
from gis.errors import InvalidInput

#: Length of the division-code prefix that names a partition.
PARTITION_LEVELS = {"district": 6, "town": 9, "unit": 12}


@dataclass(frozen=True)
class ReachPart:
    """One partition's points, the facilities within the halo and the network cut around them."""

    pos: np.ndarray
    p_xy: np.ndarray
    f_pos: np.ndarray
    f_xy: np.ndarray
    limit_m: float
    net: Network | None = None
    snapped: tuple[np.ndarray, np.ndarray] | None = None


@dataclass(frozen=True)
class AreaPart:
    """One partition's facilities and the network cut within the service radius around them."""

    pos: np.ndarray
    f_xy: np.ndarray
    limit_m: float
    buffer_m: float
    net: Network | None = None
    snapped: tuple[np.ndarray, np.ndarray] | None = None

    def f_xy_points(self) -> np.ndarray:
        return shapely.points(self.f_xy)


@dataclass(frozen=True)
class GapPart:
    """One partition's unit polygons and the service areas that may overlap them."""

    pos: np.ndarray
    units: np.ndarray
    areas: np.ndarray


def partition_keys(codes, *, by: str = "town") -> np.ndarray:
    """The partition of each division code: its district, town or unit code prefix."""
    if by not in PARTITION_LEVELS:
        raise InvalidInput(f"partition by one of {sorted(PARTITION_LEVELS)}, not {by!r}", field="by")
    return pd.Series(codes, dtype="string").fillna("").str.slice(0, PARTITION_LEVELS[by]).to_numpy(str)


def groups(keys: np.ndarray) -> list[np.ndarray]:
    """Positions of each key's rows, keys in sorted order and positions ascending."""
    if len(keys) == 0:
        return []
    order = np.argsort(keys, kind="stable")
    _uniq, starts = np.unique(keys[order], return_index=True)
    return np.split(order, starts[1:])


def reach_parts(
    keys: np.ndarray,
    p_xy: np.ndarray,
    f_xy: np.ndarray,
    *,
    limit_m: float,
    net: Network | None = None,
    snapped: tuple[np.ndarray, np.ndarray] | None = None,
) -> list[ReachPart]:
    """Cut the points by partition; each part gets the facilities and network nodes within ``limit_m``."""
    f_tree = cKDTree(f_xy) if len(f_xy) else None
    parts = []
    for pos in groups(keys):
        xy = p_xy[pos]
        bounds = (*xy.min(axis=0), *xy.max(axis=0))
        f_pos = _in_box(f_tree, bounds, limit_m)
        sub, local = None, None
        if net is not None and len(f_pos):
            sub, nodes = cut_network(net, _in_box(net.tree, bounds, limit_m))
            local, keep = _local_nodes(nodes, snapped[0][f_pos])
            f_pos = f_pos[keep]
            local = (local, snapped[1][f_pos])
        parts.append(ReachPart(pos, xy, f_pos, f_xy[f_pos], limit_m, sub, local))
    return parts


def area_parts(
    keys: np.ndarray,
    f_xy: np.ndarray,
    *,
    limit_m: float,
    buffer_m: float,
    net: Network | None = None,
    snapped: tuple[np.ndarray, np.ndarray] | None = None,
) -> list[AreaPart]:
    """Cut the facilities by partition; each part gets the network nodes within ``limit_m`` of them."""
    parts = []
    for pos in groups(keys):
        xy = f_xy[pos]
        sub, local = None, None
        if net is not None:
            sub, nodes = cut_network(net, _in_box(net.tree, (*xy.min(axis=0), *xy.max(axis=0)), limit_m))
            node, keep = _local_nodes(nodes, snapped[0][pos])
            local = (np.full(len(pos), -1, dtype=np.int64), snapped[1][pos])
            local[0][keep] = node
        parts.append(AreaPart(pos, xy, limit_m, buffer_m, sub, local))
    return parts


def gap_parts(keys: np.ndarray, units: np.ndarray, areas: np.ndarray) -> list[GapPart]:
    """Cut the units by partition; each part gets the service areas whose envelope meets its envelope."""
    tree = shapely.STRtree(areas)
    parts = []
    for pos in groups(keys):
        geoms = units[pos]
        box = shapely.box(*shapely.total_bounds(geoms))
        parts.append(GapPart(pos, geoms, areas[np.sort(tree.query(box))]))
    return parts


def reach_task(part: ReachPart) -> pd.DataFrame:
    """Nearest facility within the limit for each point of a part (global positions; -1 when none)."""
    if len(part.f_pos) == 0:
        dist, src = np.full(len(part.pos), np.inf), np.full(len(part.pos), -1)
    elif part.net is None:
        dist, idx = cKDTree(part.f_xy).query(part.p_xy, distance_upper_bound=part.limit_m)
        src = np.where(np.isfinite(dist), idx, -1)
    else:
        dist, src = reach(part.net, part.f_xy, part.p_xy, limit_m=part.limit_m, snapped=part.snapped)
    fpos = np.full(len(src), -1, dtype=np.int64)
    fpos[src >= 0] = part.f_pos[src[src >= 0]]
    return pd.DataFrame({"pos": part.pos, "distance_m": dist, "fpos": fpos.astype(np.int64)})


def area_task(part: AreaPart) -> list:
    """Service-area polygons of a part's facilities (a disc, or the hull of the nodes reached)."""
    if part.net is None:
        return list(shapely.buffer(part.f_xy_points(), part.limit_m, quad_segs=16))
    out = [shapely.Polygon()] * len(part.pos)
    node, off = part.snapped
    ok = np.flatnonzero(node >= 0)
    if len(ok):
        polys = network_polygons(
            part.net, part.f_xy[ok], limit_m=part.limit_m, buffer_m=part.buffer_m, snapped=(node[ok], off[ok])
        )
        for i, poly in zip(ok, polys, strict=True):
            out[i] = poly
    return out


def gap_task(part: GapPart) -> list:
    """Each unit of a part minus the union of the service areas near it."""
    return list(unit_gaps(part.units, part.areas))


def cut_network(net: Network, nodes: np.ndarray) -> tuple[Network, np.ndarray]:
    """The sub-network on the sorted node positions ``nodes`` (edges between them; order kept)."""
    rows = net.graph[nodes].tocoo()
    at = np.searchsorted(nodes, rows.col)
    inside = (at < len(nodes)) & (nodes[np.clip(at, 0, len(nodes) - 1)] == rows.col)
    k = len(nodes)
    graph = csr_matrix(coo_matrix((rows.data[inside], (rows.row[inside], at[inside])), shape=(k, k)))
    upper = graph.tocoo()
    half = upper.row < upper.col
    xy = net.xy[nodes]
    edges = np.column_stack([upper.row[half], upper.col[half]]).astype(np.int64)
    sub = Network(xy=xy, graph=graph, edges=edges, lengths=upper.data[half], tree=cKDTree(xy))
    return sub, nodes


def _in_box(tree: cKDTree | None, bounds, margin_m: float) -> np.ndarray:
    """Sorted positions of the tree's points inside ``bounds`` grown by ``margin_m``."""
    if tree is None:
        return np.empty(0, dtype=np.int64)
    minx, miny, maxx, maxy = bounds
    centre = ((minx + maxx) / 2, (miny + maxy) / 2)
    half = max(maxx - minx, maxy - miny) / 2 + margin_m
    return np.sort(
        np.asarray(tree.query_ball_point(centre, half * (1 + 1e-12) + 1e-6, p=np.inf), dtype=np.int64)
    )


def _local_nodes(nodes: np.ndarray, global_nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions in the cut of some global nodes, and which of them the cut holds."""
    if len(nodes) == 0:
        return np.empty(0, dtype=np.int64), np.zeros(len(global_nodes), dtype=bool)
    at = np.searchsorted(nodes, global_nodes)
    keep = (at < len(nodes)) & (nodes[np.clip(at, 0, len(nodes) - 1)] == global_nodes)
    return at[keep], keep
