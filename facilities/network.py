"""Routable road graphs from line layers (GeoDataFrame, Shapefile/GPKG, OSM .pbf) as sparse matrices."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from gis.crs import METRIC_CRS
from gis.crs import require_crs
from gis.errors import InvalidInput

#: OSM ``highway`` values kept from a .pbf extract (everything people walk or drive on).
OSM_HIGHWAYS = (
    "motorway", "trunk", "primary", "secondary", "tertiary", "unclassified", "residential", "living_street",
    "service", "pedestrian", "footway", "path", "track", "motorway_link", "trunk_link", "primary_link",
    "secondary_link", "tertiary_link", "road", "steps", "cycleway",
)  # fmt: skip


@dataclass(frozen=True)
class Network:
    """A road graph: node coordinates (EPSG:4545), a sparse matrix of edge lengths in metres, a KD-tree."""

    xy: np.ndarray
    graph: csr_matrix
    edges: np.ndarray
    lengths: np.ndarray
    tree: cKDTree

    @property
    def n_nodes(self) -> int:
        return len(self.xy)

    def nearest_nodes(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Index of and distance (m) to the nearest node of each point (``(n, 2)`` metric coordinates)."""
        dist, idx = self.tree.query(np.asarray(xy, dtype=float).reshape(-1, 2))
        return idx.astype(np.int64), dist

    def edge_lines(self, mask: np.ndarray | None = None) -> np.ndarray:
        """Edges (optionally selected by a boolean mask) as shapely LineStrings."""
        e = self.edges if mask is None else self.edges[mask]
        coords = np.stack([self.xy[e[:, 0]], self.xy[e[:, 1]]], axis=1)
        return shapely.linestrings(coords)


def build_network(
    lines: gpd.GeoDataFrame, *, max_edge_m: float = 100.0, snap_m: float = 0.5, node: bool = False
) -> Network:
    """Build an undirected graph from road centre lines.

    Parameters
    ----------
    lines
        LineStrings/MultiLineStrings with a CRS (any; reprojected to EPSG:4545).
    max_edge_m
        Lines are densified so no edge is longer than this (nearest-node lookups stay within
        ``max_edge_m / 2`` of the road).
    snap_m
        Vertices closer than this are the same node (end points of noded segments meet).
    node
        Split the lines at every crossing first (for layers that are not noded, e.g. imports).

    Returns
    -------
    Network
    """
    require_crs(lines, name="road lines")
    geoms = lines.to_crs(METRIC_CRS).geometry.values
    geoms = geoms[~shapely.is_empty(geoms) & ~shapely.is_missing(geoms)]
    kinds = set(shapely.get_type_id(geoms).tolist()) - {1, 5}
    if kinds:
        raise InvalidInput(
            f"road lines must be LineStrings or MultiLineStrings (found geometry type ids {sorted(kinds)})"
        )
    if len(geoms) == 0:
        raise InvalidInput("road lines are empty: no network to build", field="roads")
    parts = shapely.get_parts(geoms)
    if node:
        parts = shapely.get_parts(shapely.node(shapely.multilinestrings(parts)))
    parts = shapely.segmentize(parts, max_edge_m)
    coords, line_idx = shapely.get_coordinates(parts, return_index=True)
    keys = np.round(coords / snap_m).astype(np.int64)
    uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    xy = np.zeros((len(uniq), 2))
    np.add.at(xy, inverse, coords)
    xy /= np.bincount(inverse, minlength=len(uniq))[:, None]
    same_line = line_idx[1:] == line_idx[:-1]
    a, b = inverse[:-1][same_line], inverse[1:][same_line]
    keep = a != b
    a, b = a[keep], b[keep]
    seg = coords[1:][same_line][keep] - coords[:-1][same_line][keep]
    lengths = np.hypot(seg[:, 0], seg[:, 1])
    n = len(xy)
    edges = np.column_stack([a, b])
    return Network(
        xy=xy, graph=_min_duplicates(edges, lengths, n), edges=edges, lengths=lengths, tree=cKDTree(xy)
    )


def read_road_layer(
    path: str | Path, *, layer: str | None = None, where: str | None = None
) -> gpd.GeoDataFrame:
    """Read road centre lines from a Shapefile, GeoPackage or OSM .pbf extract (pyogrio/GDAL)."""
    path = Path(path)
    if not path.exists():
        raise InvalidInput(f"{path}: no such file", field="roads")
    if path.suffix.lower() in (".pbf", ".osm"):
        return read_osm_roads(path)
    try:
        gdf = pyogrio.read_dataframe(path, layer=layer, where=where)
    except Exception as exc:  # GDAL's errors name the problem
        raise InvalidInput(f"{path}: cannot read road layer ({exc})", field="roads") from exc
    if gdf.crs is None:
        raise InvalidInput(f"{path}: the layer has no CRS (add a .prj or define it)", field="roads")
    return gdf[gdf.geometry.notna()]


def read_osm_roads(path: str | Path) -> gpd.GeoDataFrame:
    """The ``highway`` lines of an OSM .pbf/.osm extract via GDAL's OSM driver (EPSG:4326)."""
    values = ",".join(f"'{h}'" for h in OSM_HIGHWAYS)
    try:
        gdf = pyogrio.read_dataframe(path, layer="lines", where=f"highway IN ({values})")
    except Exception as exc:
        raise InvalidInput(f"{path}: cannot read OSM lines ({exc})", field="roads") from exc
    return gdf[gdf.geometry.notna()].set_crs(4326, allow_override=True)


def reach(
    net: Network,
    source_xy: np.ndarray,
    target_xy: np.ndarray,
    *,
    limit_m: float,
    access: bool = True,
    snapped: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Network distance from each target to its nearest source, within ``limit_m`` (one multi-source Dijkstra).

    Sources and targets join the network at their nearest node; with ``access`` the straight-line
    distance to that node is added at both ends. ``snapped`` gives the sources' nodes and access
    distances already found (on a larger network this one was cut from).

    Returns
    -------
    (distance, source)
        ``distance`` in metres (``inf`` beyond the limit) and the index of the nearest source (-1).
    """
    source_xy = np.asarray(source_xy, dtype=float).reshape(-1, 2)
    target_xy = np.asarray(target_xy, dtype=float).reshape(-1, 2)
    if len(source_xy) == 0:
        return np.full(len(target_xy), np.inf), np.full(len(target_xy), -1)
    node_dist, node_src = node_labels(net, source_xy, limit_m=limit_m, access=access, snapped=snapped)
    t_node, t_off = net.nearest_nodes(target_xy)
    dist = node_dist[t_node] + (t_off if access else 0.0)
    src = np.where(np.isfinite(dist) & (dist <= limit_m), node_src[t_node], -1)
    return np.where(src >= 0, dist, np.inf), src


def node_labels(
    net: Network,
    source_xy: np.ndarray,
    *,
    limit_m: float,
    access: bool = True,
    snapped: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Distance from every node to its nearest source and that source's index (virtual source nodes)."""
    s_node, s_off = net.nearest_nodes(source_xy) if snapped is None else snapped
    k = len(s_node)
    n = net.n_nodes
    off = s_off if access else np.zeros(k)
    extra = coo_matrix((off + 1e-9, (np.arange(n, n + k), s_node)), shape=(n + k, n + k))
    big = _pad(net.graph, n + k) + extra.tocsr()
    dist, _pred, src = dijkstra(
        big,
        directed=True,
        indices=np.arange(n, n + k),
        min_only=True,
        limit=limit_m,
        return_predecessors=True,
    )
    dist = dist[:n]
    src = np.where(np.isfinite(dist), src[:n] - n, -1)
    return dist, src


def single_source_distances(
    net: Network,
    source_xy: np.ndarray,
    *,
    limit_m: float,
    batch: int = 64,
    snapped: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Node distances from each source separately (``(k, n)``, ``inf`` beyond the limit), in batches."""
    return np.vstack(
        list(iter_source_distances(net, source_xy, limit_m=limit_m, batch=batch, snapped=snapped))
    )


def iter_source_distances(
    net: Network,
    source_xy: np.ndarray,
    *,
    limit_m: float,
    batch: int = 64,
    snapped: tuple[np.ndarray, np.ndarray] | None = None,
):
    """:func:`single_source_distances` one batch of rows at a time (memory bounded by ``batch``)."""
    s_node, s_off = net.nearest_nodes(source_xy) if snapped is None else snapped
    if len(s_node) == 0:
        yield np.empty((0, net.n_nodes))
        return
    for start in range(0, len(s_node), batch):
        nodes = s_node[start : start + batch]
        d = dijkstra(net.graph, directed=False, indices=nodes, limit=max(limit_m - 0.0, 0.0))
        d = d + s_off[start : start + batch, None]
        d[d > limit_m] = np.inf
        yield d


def to_networkx(net: Network):
    """The graph as a ``networkx.Graph`` with ``length`` edge weights (for comparisons)."""
    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from(range(net.n_nodes))
    g.add_weighted_edges_from(
        zip(net.edges[:, 0].tolist(), net.edges[:, 1].tolist(), net.lengths.tolist(), strict=True),
        weight="length",
    )
    return g


def _min_duplicates(edges: np.ndarray, lengths: np.ndarray, n: int) -> csr_matrix:
    order = np.lexsort((lengths, np.minimum(edges[:, 0], edges[:, 1]), np.maximum(edges[:, 0], edges[:, 1])))
    lo = np.minimum(edges[:, 0], edges[:, 1])[order]
    hi = np.maximum(edges[:, 0], edges[:, 1])[order]
    first = np.r_[True, (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])]
    lo, hi, w = lo[first], hi[first], lengths[order][first]
    return coo_matrix((np.r_[w, w], (np.r_[lo, hi], np.r_[hi, lo])), shape=(n, n)).tocsr()


def _pad(m: csr_matrix, size: int) -> csr_matrix:
    m = m.tocoo()
    return coo_matrix((m.data, (m.row, m.col)), shape=(size, size)).tocsr()
