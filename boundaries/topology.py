"""Topology checks: children tile their parent, units lie in the city, lines and markers agree."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from boundaries.lines import derive_lines
from gis.crs import METRIC_CRS
from gis.crs import STORAGE_CRS
from gis.crs import require_crs

_DENSIFY_DEG = 0.0005  # about 45–55 m at Wuhai
FINDING_COLUMNS = ["check", "severity", "subject", "detail", "measure", "unit", "geometry"]


def check_tiling(
    parents: gpd.GeoDataFrame, children: gpd.GeoDataFrame, *, tolerance_m2: float = 100.0
) -> gpd.GeoDataFrame:
    """Gaps and overlaps between each parent and its children, measured in EPSG:4545.

    Parameters
    ----------
    parents
        Units with ``code``, ``name`` and polygons.
    children
        Units with ``code``, ``name``, ``parent_code`` and polygons; children without a
        polygon are ignored.
    tolerance_m2
        Gaps or overlaps up to this area are accepted (slivers from coordinate rounding).

    Returns
    -------
    geopandas.GeoDataFrame
        Findings (see :data:`FINDING_COLUMNS`), geometry in EPSG:4490.
    """
    par = _storage(parents, "parents")
    kids = _storage(children, "children")
    kids = kids[kids.geometry.notna() & ~kids.geometry.is_empty]
    found = []
    for parent in par.itertuples():
        if parent.geometry is None or parent.geometry.is_empty:
            continue
        mine = kids[kids["parent_code"] == parent.code]
        if mine.empty:
            continue
        union = mine.geometry.union_all()
        for piece in _parts(parent.geometry.difference(union)):
            area = _area_m2(piece)
            if area > tolerance_m2:
                found.append(
                    _finding(
                        "gap",
                        "error",
                        parent.code,
                        f"{parent.name}内未被下级单位覆盖的空隙",
                        area,
                        "m2",
                        piece,
                    )
                )
        for piece in _parts(union.difference(parent.geometry)):
            area = _area_m2(piece)
            if area > tolerance_m2:
                found.append(
                    _finding(
                        "outside_parent",
                        "error",
                        parent.code,
                        f"下级单位超出{parent.name}",
                        area,
                        "m2",
                        piece,
                    )
                )
        geoms = list(mine.geometry)
        codes = list(mine["code"])
        for i, j in zip(*mine.sindex.query(mine.geometry, predicate="intersects"), strict=True):
            if i >= j:
                continue
            inter = geoms[i].intersection(geoms[j])
            area = _area_m2(inter) if inter.area > 0 else 0.0
            if area > tolerance_m2:
                found.append(
                    _finding(
                        "overlap", "error", f"{codes[i]}/{codes[j]}", "两个同级单位重叠", area, "m2", inter
                    )
                )
    return _findings(found, crs=STORAGE_CRS)


def check_inside(
    units: gpd.GeoDataFrame, city: BaseGeometry, *, city_crs=STORAGE_CRS, tolerance_m2: float = 100.0
) -> gpd.GeoDataFrame:
    """Parts of home units that lie outside the city polygon."""
    kids = _storage(units, "units")
    city_g = gpd.GeoSeries([city], crs=city_crs).to_crs(STORAGE_CRS).iloc[0]
    found = []
    for unit in kids.itertuples():
        if unit.geometry is None or unit.geometry.is_empty:
            continue
        outside = unit.geometry.difference(city_g)
        area = _area_m2(outside)
        if area > tolerance_m2:
            found.append(
                _finding("outside_city", "error", unit.code, f"{unit.name}超出市界", area, "m2", outside)
            )
    return _findings(found, crs=STORAGE_CRS)


def check_lines(
    lines: gpd.GeoDataFrame, units: gpd.GeoDataFrame, *, tolerance_m: float = 5.0
) -> gpd.GeoDataFrame:
    """Lines that do not coincide with the shared edge of the two units they separate.

    The distance is the Hausdorff distance in EPSG:4545 between the stored line and the edge
    derived from the polygons; a line whose parties do not share an edge is an error too.
    """
    lines_m = _metric(lines, "lines")
    derived = derive_lines(units, min_length_m=0.0)
    derived_m = derived.to_crs(METRIC_CRS).set_index(["left_code", "right_code"])
    found = []
    for line in lines_m.itertuples():
        key = tuple(sorted([line.left_code, line.right_code]))
        if key not in derived_m.index:
            found.append(
                _finding(
                    "line_without_edge",
                    "error",
                    line.code,
                    "界线两侧单位在多边形中不相邻",
                    None,
                    None,
                    line.geometry,
                )
            )
            continue
        edge = derived_m.loc[key, "geometry"]
        dist = line.geometry.hausdorff_distance(edge)
        if dist > tolerance_m:
            diff = line.geometry.symmetric_difference(edge)
            found.append(
                _finding(
                    "line_mismatch",
                    "error",
                    line.code,
                    "界线与多边形公共边不一致",
                    dist,
                    "m",
                    diff if not diff.is_empty else line.geometry,
                )
            )
    have = {tuple(sorted([r.left_code, r.right_code])) for r in lines_m.itertuples()}
    for edge in derived.to_crs(METRIC_CRS).itertuples():
        if (edge.left_code, edge.right_code) not in have and edge.length_km * 1000 > tolerance_m:
            found.append(
                _finding(
                    "edge_without_line",
                    "warning",
                    edge.code,
                    f"{edge.name}没有界线记录",
                    edge.length_km * 1000,
                    "m",
                    edge.geometry,
                )
            )
    return _findings(found)


def check_markers(
    markers: gpd.GeoDataFrame,
    lines: gpd.GeoDataFrame,
    *,
    tolerance_m: float = 2.0,
    group_tolerance_m: float = 100.0,
) -> gpd.GeoDataFrame:
    """Markers farther from their line than a tolerance (larger for twin and triple markers).

    Parameters
    ----------
    markers
        ``number``, ``line_id``, ``marker_type`` and points.
    lines
        ``id`` and line geometry.
    """
    mk = _metric(markers, "markers")
    ln = _metric(lines, "lines").set_index("id")
    found = []
    for m in mk.itertuples():
        if m.line_id not in ln.index:
            found.append(
                _finding(
                    "marker_without_line", "error", m.number, "界桩所属界线不存在", None, None, m.geometry
                )
            )
            continue
        dist = m.geometry.distance(ln.loc[m.line_id, "geometry"])
        limit = tolerance_m if m.marker_type == "Q" else group_tolerance_m
        if dist > limit:
            found.append(
                _finding(
                    "marker_off_line",
                    "error",
                    m.number,
                    f"界桩偏离界线（限差{limit:g}米）",
                    dist,
                    "m",
                    m.geometry,
                )
            )
    return _findings(found)


def no_findings() -> gpd.GeoDataFrame:
    """An empty findings table (EPSG:4490)."""
    return _findings([], crs=STORAGE_CRS)


def _metric(gdf: gpd.GeoDataFrame, name: str) -> gpd.GeoDataFrame:
    require_crs(gdf, name=name)
    return gdf.to_crs(METRIC_CRS)


def _storage(gdf: gpd.GeoDataFrame, name: str) -> gpd.GeoDataFrame:
    require_crs(gdf, name=name)
    return gdf.to_crs(STORAGE_CRS)


def _area_m2(geom: BaseGeometry) -> float:
    """Area in m² (EPSG:4545) of a geometry in the storage CRS."""
    if geom.is_empty:
        return 0.0
    # densify first: an edge is straight in the storage CRS, so a thin sliver between two nearly
    # collinear vertex chains would otherwise lose its area when only its vertices are projected
    dense = shapely.segmentize(geom, _DENSIFY_DEG)
    return float(gpd.GeoSeries([dense], crs=STORAGE_CRS).to_crs(METRIC_CRS).area.iloc[0])


def _parts(geom: BaseGeometry) -> list[BaseGeometry]:
    if geom.is_empty:
        return []
    return [g for g in getattr(geom, "geoms", [geom]) if g.area > 0]


def _finding(check, severity, subject, detail, measure, unit, geometry) -> dict:
    return {
        "check": check,
        "severity": severity,
        "subject": str(subject),
        "detail": detail,
        "measure": None if measure is None else round(float(measure), 3),
        "unit": unit,
        "geometry": geometry,
    }


def _findings(rows: list[dict], *, crs=METRIC_CRS) -> gpd.GeoDataFrame:
    gdf = gpd.GeoDataFrame(pd.DataFrame(rows, columns=FINDING_COLUMNS), geometry="geometry", crs=crs)
    return gdf.to_crs(STORAGE_CRS)
