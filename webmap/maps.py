"""Map builders: GeoDataFrame -> folium.Map (no queries), rendered to HTML with local assets.

Folium links Leaflet, jQuery and Bootstrap from CDNs; the builders here use only Leaflet,
served from ``static/vendor`` so the maps work without internet. Every text that reaches a
tooltip or popup is HTML-escaped first (folium inserts them as HTML).
"""

from __future__ import annotations

import html

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import MacroElement
from flask import url_for
from jinja2 import Template

from gis.crs import WUHAI_EXTENT

#: A sequential palette (light to dark) for choropleths.
PALETTE = ("#f7fbff", "#c6dbef", "#6baed6", "#2171b5", "#08306b")


def base_map(*, bounds: tuple[float, float, float, float] | None = None) -> folium.Map:
    """An empty map without online tiles, fitted to ``bounds`` (lon/lat) or to Wuhai."""
    m = folium.Map(tiles=None, control_scale=False, prefer_canvas=True)
    _MetricScale().add_to(m)
    m.default_js = [("leaflet", url_for("static", filename="vendor/leaflet/leaflet.js"))]
    m.default_css = [("leaflet_css", url_for("static", filename="vendor/leaflet/leaflet.css"))]
    x0, y0, x1, y1 = bounds or WUHAI_EXTENT
    m.fit_bounds([[y0, x0], [y1, x1]])
    return m


class _MetricScale(MacroElement):
    """A metric-only scale bar (folium's ``control_scale`` shows miles too)."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "L.control.scale({imperial: false}).addTo({{ this._parent.get_name() }});"
        "{% endmacro %}"
    )


def render(m: folium.Map) -> str:
    """The map as a standalone HTML document."""
    return m.get_root().render()


def escaped(gdf: gpd.GeoDataFrame, columns: list[str]) -> gpd.GeoDataFrame:
    """A copy of ``gdf`` with ``columns`` as escaped text (for tooltips), never mutating the input."""
    out = gdf.copy()
    for c in columns:
        out[c] = [
            ("" if v is None or (isinstance(v, float) and np.isnan(v)) else html.escape(str(v)))
            for v in out[c]
        ]
    return out


def displacement_map(
    gdf: gpd.GeoDataFrame, *, tolerance_m: float, line: gpd.GeoDataFrame | None = None
) -> folium.Map:
    """Markers at their recorded positions, coloured by displacement, with the shift vectors.

    Parameters
    ----------
    gdf
        Points (EPSG:4490) with ``number``, ``condition``, ``displacement_m``, ``flagged`` and an
        optional ``shift`` LineString column (recorded -> measured).
    tolerance_m
        Displacement over which a marker is flagged.
    line
        The inspected boundary line's sections (EPSG:4490), drawn under the markers.
    """
    frames = [f for f in (gdf, line) if f is not None and len(f)]
    bounds = tuple(pd.concat([f.geometry for f in frames]).total_bounds) if frames else None
    m = base_map(bounds=_pad(bounds))
    if line is not None and len(line):
        folium.GeoJson(
            line[["geometry"]].to_json(ensure_ascii=False),
            style_function=lambda f: {"color": "#c0392b", "weight": 4, "opacity": 0.8},
        ).add_to(m)
    if len(gdf) == 0:
        return m
    for _idx, row in gdf.iterrows():
        d = row.get("displacement_m")
        colour = "#7f8c8d" if d is None or d != d else ("#c0392b" if row.get("flagged") else "#27ae60")
        label = f"{row['number']} · {row.get('condition') or '—'}" + (
            "" if d is None or d != d else f" · {d:.2f} m"
        )
        folium.CircleMarker(
            [row.geometry.y, row.geometry.x], radius=6, color=colour, fill=True, fill_opacity=0.9,
            tooltip=html.escape(label),
        ).add_to(m)  # fmt: skip
        shift = row.get("shift")
        if shift is not None and not getattr(shift, "is_empty", True):
            folium.PolyLine([(y, x) for x, y in shift.coords], color=colour, weight=3).add_to(m)
    _legend(m, [("#27ae60", f"≤ {tolerance_m} m"), ("#c0392b", f"> {tolerance_m} m"), ("#7f8c8d", "—")])
    return m


def choropleth_map(
    gdf: gpd.GeoDataFrame, column: str, *, label_column: str = "name", title: str = "", unit: str = ""
) -> folium.Map:
    """Polygons coloured by ``column`` in five quantile classes, with a legend and tooltips."""
    bounds = tuple(gdf.total_bounds) if len(gdf) else None
    m = base_map(bounds=_pad(bounds))
    if len(gdf) == 0:
        return m
    values = gdf[column].astype(float)
    finite = values[np.isfinite(values)]
    edges = (
        np.unique(np.quantile(finite, np.linspace(0, 1, len(PALETTE) + 1)))
        if len(finite)
        else np.array([0.0])
    )

    def colour(v: float) -> str:
        if v is None or not np.isfinite(v):
            return "#dddddd"
        i = int(np.searchsorted(edges, v, side="right")) - 1
        return PALETTE[min(max(i, 0), len(PALETTE) - 1)]

    show = escaped(gdf[[label_column, column, "geometry"]].copy(), [label_column])
    show["_fill"] = [colour(v) for v in values]
    show[column] = [None if not np.isfinite(v) else round(float(v), 2) for v in values]
    folium.GeoJson(
        show.to_json(ensure_ascii=False),
        style_function=lambda f: {
            "fillColor": f["properties"]["_fill"],
            "color": "#555",
            "weight": 1,
            "fillOpacity": 0.8,
        },
        tooltip=folium.GeoJsonTooltip(
            fields=[label_column, column], aliases=["", html.escape(title or column)]
        ),
    ).add_to(m)
    items = [
        (PALETTE[i], f"{edges[i]:.1f} – {edges[i + 1]:.1f} {unit}")
        for i in range(min(len(edges) - 1, len(PALETTE)))
    ]
    _legend(m, items or [(PALETTE[0], "—")], title=title)
    return m


def coverage_map(
    units: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    *,
    areas: gpd.GeoDataFrame | None = None,
    uncovered: gpd.GeoDataFrame | None = None,
    served_column: str | None = None,
) -> folium.Map:
    """Units (coloured served/unserved when ``served_column`` is given), facilities, their service
    areas and the uncovered areas."""
    bounds = tuple(units.total_bounds) if len(units) else None
    m = base_map(bounds=_pad(bounds))
    if len(units):
        u = escaped(units[["name", "geometry"]].copy(), ["name"])
        u["_s"] = units[served_column].astype(bool).to_numpy() if served_column else True
        folium.GeoJson(
            u.to_json(ensure_ascii=False),
            style_function=lambda f: {
                "fillColor": "#eef3e2" if f["properties"]["_s"] else "#f5b7b1",
                "color": "#777",
                "weight": 1,
                "fillOpacity": 0.6,
            },  # fmt: skip
            tooltip=folium.GeoJsonTooltip(fields=["name"], aliases=[""]),
            name="units",
        ).add_to(m)
    if areas is not None and len(areas):
        folium.GeoJson(
            areas[["geometry"]].to_json(ensure_ascii=False),
            style_function=lambda f: {
                "color": "#1f618d",
                "weight": 1,
                "fillColor": "#5dade2",
                "fillOpacity": 0.25,
            },
            name="service areas",
        ).add_to(m)
    if uncovered is not None and len(uncovered):
        folium.GeoJson(
            uncovered[["geometry"]].to_json(ensure_ascii=False),
            style_function=lambda f: {
                "color": "#922b21",
                "weight": 1,
                "fillColor": "#e74c3c",
                "fillOpacity": 0.45,
                "dashArray": "4 3",
            },
            name="uncovered",
        ).add_to(m)
    for _idx, row in facilities.iterrows():
        folium.CircleMarker([row.geometry.y, row.geometry.x], radius=4, color="#0b5345", fill=True, fill_opacity=1,
                            tooltip=html.escape(str(row.get("name", "")))).add_to(m)  # fmt: skip
    return m


def _pad(bounds: tuple[float, ...] | None, pad: float = 0.01) -> tuple[float, float, float, float] | None:
    if bounds is None or not np.all(np.isfinite(bounds)):
        return None
    x0, y0, x1, y1 = bounds
    return (x0 - pad, y0 - pad, x1 + pad, y1 + pad)


def _legend(m: folium.Map, items: list[tuple[str, str]], *, title: str = "") -> None:
    rows = "".join(
        f'<div><span style="display:inline-block;width:12px;height:12px;background:{c};margin-right:4px"></span>{html.escape(t)}</div>'
        for c, t in items
    )
    head = f"<b>{html.escape(title)}</b>" if title else ""
    box = (
        '<div style="position:absolute;bottom:20px;right:10px;z-index:1000;background:#fff;padding:6px 8px;'
        f'font:12px sans-serif;border:1px solid #999;border-radius:3px">{head}{rows}</div>'
    )
    m.get_root().html.add_child(folium.Element(box))
