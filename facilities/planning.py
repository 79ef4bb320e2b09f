"""Planner workflows: indicators, service circles, siting and what-if on the stored data (reads via store)."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy.orm import Session

from facilities import store
from facilities.circles import CircleRule
from facilities.circles import coverage
from facilities.circles import nearest_reach
from facilities.circles import residential_points
from facilities.circles import service_areas
from facilities.circles import uncovered_areas
from facilities.indicators import IndicatorInputs
from facilities.indicators import active_facilities
from facilities.indicators import compute_indicators
from facilities.indicators import counted_units
from facilities.kinds import RURAL_ELDERLY_KINDS
from facilities.kinds import URBAN_ELDERLY_KINDS
from facilities.network import Network
from facilities.network import build_network
from facilities.network import read_road_layer
from facilities.siting import candidate_sites
from facilities.siting import coverage_matrix
from facilities.siting import mclp
from facilities.siting import set_cover
from facilities.whatif import Scenario
from facilities.whatif import apply_scenario
from gis import settings
from gis.crs import METRIC_CRS
from gis.crs import STORAGE_CRS
from gis.errors import NotFound
from gis.roads import roads_gdf


@dataclass
class CircleAnalysis:
    """Result of a service-circle analysis."""

    rule: CircleRule
    points: gpd.GeoDataFrame
    summary: pd.DataFrame
    areas: gpd.GeoDataFrame
    uncovered: gpd.GeoDataFrame
    life_circles: dict = field(default_factory=dict)

    def totals(self) -> dict:
        s = self.summary
        out = {}
        for area in ("urban", "rural"):
            part = s[s["urban_rural"] == area]
            out[area] = {
                "households": int(part["households"].sum()), "households_covered": int(part["households_covered"].sum()),
                "aged_60plus": int(part["aged_60plus"].sum()), "elderly_covered": int(part["elderly_covered"].sum()),
                "units": len(part), "units_served": int(part["served"].sum()),
            }  # fmt: skip
        out["uncovered_area_km2"] = round(float(self.uncovered["area_m2"].sum()) / 1e6, 3)
        if self.life_circles:
            out["life_circles"] = self.life_circles
        return out


def load_network(
    session: Session, *, roads_path: str | Path | None = None, max_edge_m: float = 100.0
) -> Network:
    """The road network from the database (``road_segment``) or from a Shapefile/GPKG/OSM .pbf file."""
    if roads_path:
        return build_network(read_road_layer(roads_path), max_edge_m=max_edge_m, node=True)
    roads = roads_gdf(session)
    if roads.empty:
        raise NotFound("no road segments stored: load the reference data or pass a road layer")
    return build_network(roads, max_edge_m=max_edge_m)


def served_series(
    session: Session,
    inputs: IndicatorInputs,
    *,
    served_rule: str,
    rule: CircleRule | None = None,
    net: Network | None = None,
    seed: int = 0,
    workers: int | None = None,
    scheduler: str | None = None,
):
    """``None`` for the default rule (facility inside), else the circle rule's served flags.

    With ``workers`` (a local Dask cluster of that many) or ``scheduler`` (a Dask scheduler's
    address), the coverage is computed on Dask, partitioned by division, with the same answer.
    """
    if served_rule == "inside":
        return None
    rule = rule or CircleRule(method="network" if served_rule == "network" else "straight")
    units = counted_units(inputs.units)
    fac = active_facilities(inputs.facilities, inputs.year)
    if rule.method == "network" and net is None:
        net = load_network(session)
    pts = residential_points(units, seed=seed, roads=roads_gdf(session))
    if workers or scheduler:
        from facilities import distributed

        _pts, summary = distributed.coverage(
            units, fac, pts, rule=rule, net=net, workers=workers, scheduler=scheduler
        )
    else:
        _pts, summary = coverage(units, fac, pts, rule=rule, net=net)
    return pd.Series(summary["served"].to_numpy(), index=summary["unit_code"].to_numpy(), dtype=bool)


def indicators(
    session: Session,
    *,
    year: int,
    level: str = "city",
    served_rule: str = "inside",
    include_planned: bool = False,
    workers: int | None = None,
    scheduler: str | None = None,
) -> list[dict]:
    """The plan's indicators for ``year`` at ``level`` from the stored data (Dask options as in
    :func:`served_series`)."""
    inputs = store.indicator_inputs(session, year=year)
    served = served_series(session, inputs, served_rule=served_rule, workers=workers, scheduler=scheduler)
    return compute_indicators(inputs, level=level, served=served, include_planned=include_planned)


def circle_analysis(
    session: Session, *, year: int, rule: CircleRule, roads_path: str | Path | None = None,
    households_per_point: int = 50, seed: int = 0, facilities: gpd.GeoDataFrame | None = None,
    life: bool = False, workers: int | None = None, scheduler: str | None = None,
) -> CircleAnalysis:  # fmt: skip
    """Coverage of households and elderly by the elderly-care facilities' circles, service areas and gaps.

    With ``life``, the 5/10/15-minute life-circle areas of the urban facilities are added to
    ``areas`` (``circle`` = ``'5min'`` ...) and the urban households and elderly within each circle
    are counted in ``life_circles``. With ``workers`` (a local Dask cluster of that many),
    ``scheduler`` (a Dask scheduler's address) or the setting ``DASK_SCHEDULER_ADDRESS``, the
    analysis runs on Dask, partitioned by division, with the same answer.
    """
    units = counted_units(store.units_gdf(session, year=year))
    fac = active_facilities(store.facilities_gdf(session) if facilities is None else facilities, year)
    fac = fac[fac["kind"].isin(set(URBAN_ELDERLY_KINDS) | set(RURAL_ELDERLY_KINDS))]
    net = load_network(session, roads_path=roads_path) if rule.method == "network" else None
    pts = residential_points(
        units, households_per_point=households_per_point, seed=seed, roads=roads_gdf(session)
    )
    if workers or scheduler or settings.get("DASK_SCHEDULER_ADDRESS"):
        from facilities import distributed

        layers = distributed.circle_layers(
            units, fac, pts, rule=rule, net=net, life=life, workers=workers, scheduler=scheduler
        )
        return CircleAnalysis(
            rule=rule, points=layers.points, summary=layers.summary, areas=layers.areas,
            uncovered=layers.uncovered, life_circles=layers.life_circles,
        )  # fmt: skip
    points, summary = coverage(units, fac, pts, rule=rule, net=net)
    urban_fac = fac[fac["kind"].isin(URBAN_ELDERLY_KINDS)]
    areas = [
        service_areas(
            urban_fac, limit_m=rule.limit_m(rule.urban_minutes), method=rule.method, net=net
        ).assign(circle="urban")
    ]
    areas.append(
        service_areas(
            fac, limit_m=rule.limit_m(rule.rural_minutes, rule.rural_mode), method=rule.method, net=net
        ).assign(circle="rural")
    )
    gaps = []
    for area, layer in zip(("urban", "rural"), areas, strict=True):
        gaps.append(uncovered_areas(units[units["urban_rural"] == area], layer).assign(urban_rural=area))
    counts = {}
    if life:
        urban_pts = points[points["urban_rural"] == "urban"]
        for minutes in sorted(rule.life_circles_m):
            limit = rule.limit_m(minutes)
            areas.append(
                service_areas(urban_fac, limit_m=limit, method=rule.method, net=net).assign(
                    circle=f"{minutes}min"
                )
            )
            dist, _ = nearest_reach(urban_fac, urban_pts, limit_m=limit, method=rule.method, net=net)
            inside = np.isfinite(dist)
            counts[f"{minutes}min"] = {
                "limit_m": limit, "households_covered": int(urban_pts["households"].to_numpy()[inside].sum()),
                "elderly_covered": int(urban_pts["aged_60plus"].to_numpy()[inside].sum()),
            }  # fmt: skip
    all_areas = gpd.GeoDataFrame(pd.concat(areas, ignore_index=True), crs=areas[0].crs)
    uncovered = gpd.GeoDataFrame(pd.concat(gaps, ignore_index=True), crs=areas[0].crs)
    return CircleAnalysis(
        rule=rule, points=points, summary=summary, areas=all_areas, uncovered=uncovered, life_circles=counts
    )


def save_circle_run(
    session: Session,
    analysis: CircleAnalysis,
    *,
    actor: str,
    year: int,
    title: str | None = None,
    roads: str = "road_segment",
) -> int:
    """Store a circle analysis as an AnalysisRun (service areas + uncovered areas + per-community table)."""
    layer = pd.concat(
        [
            analysis.areas.assign(layer="service_area")[
                ["layer", "id", "kind", "name", "circle", "limit_m", "geometry"]
            ],
            analysis.uncovered.assign(layer="uncovered")[
                ["layer", "code", "name", "urban_rural", "area_m2", "geometry"]
            ],
        ],
        ignore_index=True,
    )
    layer = gpd.GeoDataFrame(layer, geometry="geometry", crs=analysis.areas.crs)
    run = store.save_run(
        session, actor=actor, kind="circles", title=title or f"service circles {year} ({analysis.rule.method})",
        parameters=analysis.rule.as_dict() | {"year": year},
        inputs={"facilities": int(analysis.areas["id"].nunique()), "points": len(analysis.points), "roads": roads},
        summary={"totals": analysis.totals(), "per_unit": analysis.summary.to_dict(orient="records")}, result=layer,
    )  # fmt: skip
    return run.id


def compare_runs(session: Session, a: int, b: int) -> dict:
    """Totals of two stored circle runs side by side, and the units whose served flag changed."""
    run_a, _ = store.load_run(session, a)
    run_b, _ = store.load_run(session, b)
    per_a = {r["unit_code"]: r for r in run_a.summary.get("per_unit", [])}
    per_b = {r["unit_code"]: r for r in run_b.summary.get("per_unit", [])}
    changed = [
        {
            "unit_code": c,
            "name": per_a[c]["name"],
            "served_a": per_a[c]["served"],
            "served_b": per_b[c]["served"],
            "households_covered_a": per_a[c]["households_covered"],
            "households_covered_b": per_b[c]["households_covered"],
        }
        for c in sorted(set(per_a) & set(per_b))
        if per_a[c]["served"] != per_b[c]["served"]
        or per_a[c]["households_covered"] != per_b[c]["households_covered"]
    ]
    return {
        "a": {"id": a, "parameters": run_a.parameters, "totals": run_a.summary.get("totals")},
        "b": {"id": b, "parameters": run_b.parameters, "totals": run_b.summary.get("totals")},
        "changed_units": changed,
    }


def siting(
    session: Session, *, year: int, kind: str = "home_care_station", n: int | None = None, candidates: str = "grid",
    spacing_m: float = 500.0, candidate_points: gpd.GeoDataFrame | None = None, rule: CircleRule | None = None,
    solver: str = "auto", area: str = "urban", seed: int = 0,
) -> tuple[dict, gpd.GeoDataFrame]:  # fmt: skip
    """Where to put new facilities: MCLP for ``n`` sites, or set covering (``n=None``) for full coverage.

    Demand is the residential points not yet covered by the existing elderly-care facilities of the
    area's circle, weighted by people aged 60+.
    """
    rule = rule or CircleRule()
    units = counted_units(store.units_gdf(session, year=year))
    units = units[units["urban_rural"] == area]
    fac = active_facilities(store.facilities_gdf(session), year)
    net = load_network(session) if rule.method == "network" else None
    pts = residential_points(units, seed=seed, roads=roads_gdf(session))
    points, _summary = coverage(units, fac, pts, rule=rule, net=net)
    demand = points[~points["covered"]].reset_index(drop=True)
    minutes, mode = (rule.urban_minutes, "walk") if area == "urban" else (rule.rural_minutes, rule.rural_mode)
    limit = rule.limit_m(minutes, mode)
    cands = candidate_sites(units, method=candidates, spacing_m=spacing_m, points=candidate_points)
    cover = coverage_matrix(cands, demand, limit_m=limit, method=rule.method, net=net)
    weights = demand["aged_60plus"].to_numpy(dtype=float)
    result = (
        mclp(cover, weights, p=n, solver=solver)
        if n
        else set_cover(cover, np.maximum(weights, 0), solver=solver)
    )
    chosen = cands.iloc[result.selected].copy()
    chosen["kind"] = kind
    lonlat = chosen.to_crs(STORAGE_CRS)
    chosen["lon"], chosen["lat"] = lonlat.geometry.x.round(6), lonlat.geometry.y.round(6)
    unserved = sorted(
        set(units["code"])
        - set(
            fac.loc[
                fac["kind"].isin(URBAN_ELDERLY_KINDS if area == "urban" else RURAL_ELDERLY_KINDS),
                "division_code",
            ].dropna()
        )
    )
    report = result.as_dict() | {
        "kind": kind, "area": area, "limit_m": limit, "method": rule.method, "candidates": candidates,
        "n_candidates": len(cands), "demand_points": len(demand), "elderly_uncovered_before": float(weights.sum()),
        "sites": chosen.drop(columns="geometry").to_dict(orient="records"),
        "inside_rule_stations_needed": len(unserved),
    }  # fmt: skip
    return report, chosen


def coverage_change(
    session: Session,
    *,
    year: int,
    kinds: list[str],
    scenario: Scenario,
    radius_m: float,
    area: str | None = None,
) -> dict:
    """Straight-line service circles of ``kinds`` before and after ``scenario``, for a map.

    Parameters
    ----------
    kinds
        Facility kinds whose circles count (the scenario's added facilities are drawn as proposed
        whatever their kind).
    radius_m
        Radius of every circle, metres.
    area
        ``'urban'`` or ``'rural'`` to count only those units, else every counted unit.

    Returns
    -------
    dict
        EPSG:4490 layers ``units``, ``facilities`` (kept, of ``kinds``), ``proposed`` (added or
        moved), ``removed``, ``areas`` (circles of the kept facilities), ``proposed_areas``,
        ``newly_covered`` (uncovered before, covered after), ``no_longer_covered`` (the reverse)
        and ``uncovered`` (uncovered after), with ``radius_m`` and the uncovered area before and
        after in km².
    """
    inputs = store.indicator_inputs(session, year=year)
    units = counted_units(inputs.units)
    if area is not None:
        units = units[units["urban_rural"] == area]
    before = active_facilities(inputs.facilities, year)
    before = before[before["kind"].isin(kinds)]
    after = active_facilities(apply_scenario(inputs.facilities, scenario, year=year), year)
    changed = after["id"].isin([*scenario.move]) | (after["id"] < 0)
    proposed = after[changed]
    kept = after[~changed & after["kind"].isin(kinds)]
    circles_before = _circles(before, radius_m)
    circles_after = _circles(after[after["kind"].isin(kinds) | changed], radius_m)
    uncovered_before = uncovered_areas(units, circles_before)
    uncovered_after = uncovered_areas(units, circles_after)
    gaps_before = shapely.union_all(uncovered_before.geometry.values)
    gaps_after = shapely.union_all(uncovered_after.geometry.values)
    gained, lost = shapely.difference(gaps_before, gaps_after), shapely.difference(gaps_after, gaps_before)
    newly = gpd.GeoDataFrame(geometry=[] if gained.is_empty else [gained], crs=METRIC_CRS)
    no_longer = gpd.GeoDataFrame(geometry=[] if lost.is_empty else [lost], crs=METRIC_CRS)
    removed = before[before["id"].isin(scenario.remove)]
    return {
        "units": units.to_crs(STORAGE_CRS),
        "facilities": kept.to_crs(STORAGE_CRS),
        "proposed": proposed.to_crs(STORAGE_CRS),
        "areas": _circles(kept, radius_m).to_crs(STORAGE_CRS),
        "proposed_areas": _circles(proposed, radius_m).to_crs(STORAGE_CRS),
        "newly_covered": newly.to_crs(STORAGE_CRS),
        "no_longer_covered": no_longer.to_crs(STORAGE_CRS),
        "removed": removed.to_crs(STORAGE_CRS),
        "uncovered": uncovered_after.to_crs(STORAGE_CRS),
        "radius_m": radius_m,
        "uncovered_km2": {
            "before": round(float(uncovered_before.geometry.area.sum()) / 1e6, 2),
            "after": round(float(uncovered_after.geometry.area.sum()) / 1e6, 2),
        },
    }


def _circles(facilities: gpd.GeoDataFrame, radius_m: float) -> gpd.GeoDataFrame:
    if len(facilities) == 0:
        return gpd.GeoDataFrame(geometry=[], crs=METRIC_CRS)
    return service_areas(facilities, limit_m=radius_m)
