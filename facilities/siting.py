"""Siting new facilities: maximal covering (MCLP) and set covering, exact with PuLP + CBC or greedy."""

from __future__ import annotations

import time
from dataclasses import dataclass
from dataclasses import field

import geopandas as gpd
import numpy as np
import pulp
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse import csc_matrix
from scipy.spatial import cKDTree

from facilities.network import Network
from facilities.network import single_source_distances
from gis.crs import METRIC_CRS
from gis.crs import require_crs
from gis.errors import InvalidInput

#: Above this many candidate x demand pairs, ``solver='auto'`` uses the greedy heuristic.
EXACT_LIMIT = 2_000_000


@dataclass
class SitingResult:
    """Chosen sites with the objective, a bound and the optimality gap."""

    problem: str
    solver: str
    status: str
    selected: list[int]
    objective: float
    bound: float | None
    gap: float | None
    covered_weight: float
    total_weight: float
    uncoverable_weight: float
    seconds: float
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def candidate_sites(
    units: gpd.GeoDataFrame,
    *,
    method: str = "centroids",
    spacing_m: float = 500.0,
    points: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Candidate sites (EPSG:4545): a point inside each unit, a grid over the units, or given points."""
    require_crs(units, name="units")
    u = units.to_crs(METRIC_CRS)
    if method == "centroids":
        geoms = shapely.point_on_surface(u.geometry.values)
        return gpd.GeoDataFrame({"unit_code": u["code"].to_numpy()}, geometry=geoms, crs=METRIC_CRS)
    if method == "grid":
        minx, miny, maxx, maxy = u.total_bounds
        gx, gy = np.meshgrid(
            np.arange(minx + spacing_m / 2, maxx, spacing_m), np.arange(miny + spacing_m / 2, maxy, spacing_m)
        )
        pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(gx.ravel(), gy.ravel()), crs=METRIC_CRS)
        joined = gpd.sjoin(pts, u[["code", "geometry"]], predicate="within", how="inner")
        return gpd.GeoDataFrame(
            {"unit_code": joined["code"].to_numpy()}, geometry=joined.geometry.values, crs=METRIC_CRS
        ).reset_index(drop=True)
    if method == "points":
        if points is None or len(points) == 0:
            raise InvalidInput("candidate method 'points' needs candidate points", field="candidates")
        require_crs(points, name="candidate points")
        return points.to_crs(METRIC_CRS).reset_index(drop=True)
    raise InvalidInput(
        f"candidate method must be centroids, grid or points, not {method!r}", field="candidates"
    )


def coverage_matrix(
    candidates: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame,
    *,
    limit_m: float,
    method: str = "straight",
    net: Network | None = None,
) -> csc_matrix:
    """Sparse boolean (demand x candidate) matrix: candidate j covers demand point i within ``limit_m``."""
    c_xy = shapely.get_coordinates(candidates.to_crs(METRIC_CRS).geometry.values)
    d_xy = shapely.get_coordinates(demand.to_crs(METRIC_CRS).geometry.values)
    if method == "straight":
        pairs = cKDTree(d_xy).query_ball_tree(cKDTree(c_xy), r=limit_m)
        rows = np.repeat(np.arange(len(pairs)), [len(p) for p in pairs])
        cols = np.fromiter((j for p in pairs for j in p), dtype=np.int64, count=len(rows))
    elif net is None:
        raise InvalidInput("method 'network' needs a road network", field="method")
    else:
        d_node, d_off = net.nearest_nodes(d_xy)
        rows_l, cols_l = [], []
        for start in range(0, len(c_xy), 256):
            dist = single_source_distances(net, c_xy[start : start + 256], limit_m=limit_m)
            total = dist[:, d_node] + d_off[None, :]
            cj, di = np.nonzero(total <= limit_m)
            rows_l.append(di)
            cols_l.append(cj + start)
        rows, cols = (
            (np.concatenate(rows_l), np.concatenate(cols_l))
            if rows_l
            else (np.array([], int), np.array([], int))
        )
    data = np.ones(len(rows), dtype=bool)
    return coo_matrix((data, (rows, cols)), shape=(len(d_xy), len(c_xy))).tocsc()


def mclp(
    cover: csc_matrix, weights: np.ndarray, *, p: int, solver: str = "auto", time_limit: int = 60
) -> SitingResult:
    """Choose ``p`` candidates maximising the covered weight (Church and ReVelle's MCLP)."""
    if p < 1:
        raise InvalidInput("the number of new sites must be at least 1", field="n")
    weights = np.asarray(weights, dtype=float)
    coverable = np.asarray(cover.sum(axis=1)).ravel() > 0
    start = time.perf_counter()
    use_exact = solver == "exact" or (solver == "auto" and cover.nnz <= EXACT_LIMIT)
    if solver not in ("auto", "exact", "greedy"):
        raise InvalidInput(f"solver must be auto, exact or greedy, not {solver!r}", field="solver")
    lp_bound = _mclp_model(cover, weights, coverable, p, relax=True, time_limit=time_limit)[1]
    if use_exact:
        chosen, objective, status = _mclp_model(
            cover, weights, coverable, p, relax=False, time_limit=time_limit
        )
        name = "cbc"
    else:
        chosen, objective = _greedy(cover, weights, p=p)
        status, name = "heuristic", "greedy"
    return _result(
        "mclp", name, status, chosen, objective, lp_bound, cover, weights, coverable, start, maximise=True
    )


def set_cover(
    cover: csc_matrix, weights: np.ndarray | None = None, *, solver: str = "auto", time_limit: int = 60
) -> SitingResult:
    """The fewest candidates covering every coverable demand point (uncoverable ones are reported)."""
    n_dem = cover.shape[0]
    weights = np.ones(n_dem) if weights is None else np.asarray(weights, dtype=float)
    coverable = np.asarray(cover.sum(axis=1)).ravel() > 0
    start = time.perf_counter()
    use_exact = solver == "exact" or (solver == "auto" and cover.nnz <= EXACT_LIMIT)
    lp_bound = _setcover_model(cover, coverable, relax=True, time_limit=time_limit)[1]
    if use_exact:
        chosen, objective, status = _setcover_model(cover, coverable, relax=False, time_limit=time_limit)
        name = "cbc"
    else:
        chosen, _ = _greedy(cover, coverable.astype(float), p=None)
        objective, status, name = float(len(chosen)), "heuristic", "greedy"
    return _result(
        "set_cover",
        name,
        status,
        chosen,
        objective,
        lp_bound,
        cover,
        weights,
        coverable,
        start,
        maximise=False,
    )


def cbc_solver(time_limit: int = 60) -> pulp.LpSolver:
    """CBC through ``COIN_CMD``: a ``cbc`` on the PATH, else the binary shipped with PuLP."""
    from pulp.apis import coin_api

    solver = pulp.COIN_CMD(msg=False, timeLimit=time_limit)
    if not solver.available():
        solver = pulp.COIN_CMD(msg=False, timeLimit=time_limit, path=coin_api.pulp_cbc_path)
    if not solver.available():
        raise RuntimeError("CBC not found: install coinor-cbc or PuLP's bundled solver")
    return solver


def _mclp_model(cover, weights, coverable, p, *, relax, time_limit):
    cat = "Continuous" if relax else "Binary"
    n_dem, n_cand = cover.shape
    prob = pulp.LpProblem("mclp", pulp.LpMaximize)
    x = [prob.add_variable(f"x{j}", 0, 1, cat=cat) for j in range(n_cand)]
    dem = np.nonzero(coverable & (weights > 0))[0]
    y = {i: prob.add_variable(f"y{i}", 0, 1, cat="Continuous") for i in dem}
    prob += pulp.lpSum(weights[i] * y[i] for i in dem)
    prob += pulp.lpSum(x) <= p
    csr = cover.tocsr()
    for i in dem:
        cols = csr.indices[csr.indptr[i] : csr.indptr[i + 1]]
        prob += y[i] <= pulp.lpSum(x[j] for j in cols)
    prob.solve(cbc_solver(time_limit))
    objective = float(pulp.value(prob.objective) or 0.0)
    chosen = [j for j in range(n_cand) if (x[j].value() or 0) > 0.5]
    return chosen, objective, pulp.LpSolution[prob.sol_status]


def _setcover_model(cover, coverable, *, relax, time_limit):
    cat = "Continuous" if relax else "Binary"
    n_cand = cover.shape[1]
    prob = pulp.LpProblem("set_cover", pulp.LpMinimize)
    x = [prob.add_variable(f"x{j}", 0, 1, cat=cat) for j in range(n_cand)]
    prob += pulp.lpSum(x)
    csr = cover.tocsr()
    for i in np.nonzero(coverable)[0]:
        cols = csr.indices[csr.indptr[i] : csr.indptr[i + 1]]
        prob += pulp.lpSum(x[j] for j in cols) >= 1
    prob.solve(cbc_solver(time_limit))
    chosen = [j for j in range(n_cand) if (x[j].value() or 0) > 0.5]
    return chosen, float(pulp.value(prob.objective) or 0.0), pulp.LpSolution[prob.sol_status]


def _greedy(cover: csc_matrix, weights: np.ndarray, *, p: int | None) -> tuple[list[int], float]:
    """Repeatedly take the candidate adding the most uncovered weight (until ``p`` sites or nothing left)."""
    remaining = weights.astype(float).copy()
    chosen: list[int] = []
    total = 0.0
    while p is None or len(chosen) < p:
        gains = cover.T @ remaining
        j = int(np.argmax(gains))
        if gains[j] <= 0:
            break
        chosen.append(j)
        total += float(gains[j])
        remaining[cover[:, j].nonzero()[0]] = 0.0
    return chosen, total


def _result(
    problem, name, status, chosen, objective, bound, cover, weights, coverable, start, *, maximise
) -> SitingResult:
    covered_mask = (
        np.asarray(cover[:, chosen].sum(axis=1)).ravel() > 0 if chosen else np.zeros(cover.shape[0], bool)
    )
    if name == "cbc" and status == "Optimal Solution Found":
        gap = 0.0  # proven optimal by branch and bound
    elif bound is None or bound == 0:
        gap = None if bound is None else 0.0
    elif maximise:
        gap = max(0.0, (bound - objective) / bound)
    else:
        gap = max(0.0, (objective - np.ceil(bound - 1e-9)) / objective) if objective else 0.0
    return SitingResult(
        problem=problem, solver=name, status=status, selected=[int(j) for j in chosen], objective=round(objective, 4),
        bound=None if bound is None else round(float(bound), 4), gap=None if gap is None else round(float(gap), 6),
        covered_weight=float(weights[covered_mask].sum()), total_weight=float(weights.sum()),
        uncoverable_weight=float(weights[~coverable].sum()), seconds=round(time.perf_counter() - start, 3),
        extra={"lp_bound": None if bound is None else round(float(bound), 4)},
    )  # fmt: skip
