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
from flask_babel import gettext as _
from jinja2 import Template

from gis.crs import WUHAI_EXTENT

#: A sequential palette (light to dark) for choropleths.
PALETTE = ("#f7fbff", "#c6dbef", "#6baed6", "#2171b5", "#08306b")
#: Sequential classes for the planning indicators, light to dark.
CLASS_COLOURS = ("#fee8c8", "#fdbb84", "#fc8d59", "#d7301f", "#7f0000")
#: Rivers and lakes on the basemap (line, area fill).
WATER, WATER_FILL = "#3b7dd8", "#a6cee3"
#: Fill of the polygons without a value.
NO_DATA = "#d9d9d9"
#: The inspected boundary line on a round's map (red and green mark the displacements).
ROUND_LINE = "#1f3a5f"


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
    gdf: gpd.GeoDataFrame,
    *,
    tolerance_m: float,
    line: gpd.GeoDataFrame | None = None,
    basemap: dict | None = None,
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
    basemap
        ``districts`` and ``roads`` layers drawn under everything (see :func:`add_basemap`).
    """
    frames = [f for f in (gdf, line) if f is not None and len(f)]
    bounds = tuple(pd.concat([f.geometry for f in frames]).total_bounds) if frames else None
    m = base_map(bounds=_pad(bounds))
    add_basemap(m, basemap or {})
    if line is not None and len(line):
        folium.GeoJson(
            line[["geometry"]].to_json(ensure_ascii=False),
            style_function=lambda f: {"color": ROUND_LINE, "weight": 4, "opacity": 0.85},
        ).add_to(m)
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
    legend(
        m,
        [
            (ROUND_LINE, _("Boundary line")),
            ("#27ae60", _("within tolerance (≤ %(tol)s m)", tol=tolerance_m)),
            ("#c0392b", _("displaced beyond tolerance (> %(tol)s m)", tol=tolerance_m)),
            ("#7f8c8d", _("not measured yet")),
        ],
        title=_("Displacement map"),
    )
    return m


def choropleth_map(
    gdf: gpd.GeoDataFrame,
    column: str,
    *,
    label_column: str = "name",
    title: str = "",
    unit: str = "",
    decimals: int = 1,
    note: str = "",
    basemap: dict | None = None,
    palette: tuple[str, ...] = PALETTE,
) -> folium.Map:
    """Polygons coloured by ``column`` in :func:`class_breaks` classes, with a legend and tooltips.

    Parameters
    ----------
    gdf
        Polygons (EPSG:4490) with ``label_column`` and ``column``.
    decimals
        Precision of the values: class edges and tooltips are rounded to it.
    note
        A line under the legend (e.g. the target).
    basemap
        ``districts`` and ``roads`` layers drawn under the polygons (see :func:`add_basemap`).
    """
    m = base_map(bounds=_pad(_bounds(gdf)))
    add_basemap(m, basemap or {})
    values = pd.to_numeric(gdf[column], errors="coerce").astype(float) if len(gdf) else pd.Series(dtype=float)
    classes = class_breaks(values, decimals=decimals)
    colours = class_colours(len(classes), palette)
    no_data = _("no data")
    if len(gdf):
        show = escaped(gdf[[label_column, "geometry"]].copy(), [label_column])
        fill = [class_of(v, classes) for v in values]
        show["_fill"] = [NO_DATA if k is None else colours[k] for k in fill]
        show["_value"] = [
            no_data if not np.isfinite(v) else f"{round(v, decimals):g} {unit}".strip() for v in values
        ]
        folium.GeoJson(
            show.to_json(ensure_ascii=False),
            style_function=lambda f: {
                "fillColor": f["properties"]["_fill"],
                "color": "#555",
                "weight": 1,
                "fillOpacity": 0.75,
            },
            tooltip=folium.GeoJsonTooltip(fields=[label_column, "_value"], aliases=["", ""]),
        ).add_to(m)
    items = [
        (c, (f"{lo:g} {unit}" if lo == hi else f"{lo:g} – {hi:g} {unit}").strip())
        for c, (lo, hi) in zip(colours, classes, strict=True)
    ]
    if not np.isfinite(values).all() or not items:
        items.append((NO_DATA, no_data))
    legend(m, [*items, *basemap_legend(basemap or {})], title=title or column, note=note, collapsible=True)
    return m


def class_breaks(values: pd.Series, *, decimals: int = 0, n: int = 5) -> list[tuple[float, float]]:
    """Classes for a legend: each distinct value when there are at most ``n``, else quantile
    classes with edges rounded to the values' precision (duplicates merged)."""
    finite = pd.Series(values, dtype=float).dropna()
    finite = finite[np.isfinite(finite)].round(decimals)
    distinct = sorted(finite.unique())
    if len(distinct) <= n:
        return [(v, v) for v in distinct]
    edges = sorted(set(np.round(np.quantile(finite, np.linspace(0, 1, n + 1)), decimals)))
    return list(zip(edges[:-1], edges[1:], strict=True))


def class_of(value: float | None, classes: list[tuple[float, float]]) -> int | None:
    """The index of the class of ``value`` (``None`` for no value)."""
    if value is None or not np.isfinite(value):
        return None
    for k, (_lo, hi) in enumerate(classes):
        if value <= hi:
            return k
    return len(classes) - 1


def class_colours(n: int, palette: tuple[str, ...] = PALETTE) -> list[str]:
    """``n`` colours spread over a sequential palette, light to dark."""
    picks = np.linspace(0, len(palette) - 1, max(n, 1)).round().astype(int)
    return [palette[i] for i in picks][:n]


def coverage_map(
    units: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    *,
    areas: gpd.GeoDataFrame,
    uncovered: gpd.GeoDataFrame,
    kind_name: str,
    radius_m: float,
    basemap: dict | None = None,
) -> folium.Map:
    """Counted units, the service circles of one facility kind, the uncovered parts and the facilities.

    All layers in EPSG:4490; the map is fitted to the circles (where they can be seen), else the units.
    """
    m = base_map(bounds=_pad(_bounds(areas if len(areas) else units)))
    add_basemap(m, basemap or {})
    if len(units):
        u = escaped(units[["name", "geometry"]].copy(), ["name"])
        folium.GeoJson(
            u.to_json(ensure_ascii=False),
            style_function=lambda f: {
                "fillColor": "#f7f4ea",
                "color": "#888",
                "weight": 0.8,
                "fillOpacity": 0.5,
            },
            tooltip=folium.GeoJsonTooltip(fields=["name"], aliases=[""]),
        ).add_to(m)
    for layer, style in (
        (areas, {"color": "#1f618d", "weight": 1, "fillColor": "#5dade2", "fillOpacity": 0.35}),
        (uncovered, {"color": "#922b21", "weight": 1, "fillColor": "#e74c3c", "fillOpacity": 0.45, "dashArray": "4 3"}),
    ):  # fmt: skip
        if len(layer):
            folium.GeoJson(layer[["geometry"]].to_json(), style_function=lambda f, st=style: st).add_to(m)
    for _idx, row in facilities.iterrows():
        folium.CircleMarker(
            [row.geometry.y, row.geometry.x], radius=3, color="#0b5345", fill=True, fill_opacity=1,
            tooltip=html.escape(str(row.get("name", ""))),
        ).add_to(m)  # fmt: skip
    legend(
        m,
        [
            ("#0b5345", _("%(kind)s (%(n)s)", kind=kind_name, n=len(facilities))),
            ("#5dade2", _("Service circle, %(radius)s m", radius=f"{radius_m:g}")),
            ("#e74c3c", _("Not covered")),
            ("#f7f4ea", _("Community or village counted")),
            *basemap_legend(basemap or {}),
        ],
        title=_("Service circles and uncovered areas"),
        collapsible=True,
    )
    return m


def change_map(layers: dict, *, title: str, proposed_label: str, basemap: dict | None = None) -> folium.Map:
    """A planned change on the map: the kept facilities and their circles, the proposed (added or
    moved) facilities and their circles, the area they newly cover and the area still uncovered.

    Parameters
    ----------
    layers
        EPSG:4490 layers as :func:`facilities.planning.coverage_change` returns them.
    proposed_label
        The legend's text for the proposed facilities (what-if or siting).
    """
    units, proposed = layers["units"], layers["proposed"]
    removed = layers.get("removed", proposed.iloc[:0])
    changed = pd.concat([proposed.geometry, removed.geometry])
    focus = changed if len(changed) else units.geometry
    m = base_map(
        bounds=_pad(tuple(focus.total_bounds) if len(focus) else None, 0.03 if len(changed) else 0.01)
    )
    add_basemap(m, basemap or {})
    if len(units):
        u = escaped(units[["name", "geometry"]].copy(), ["name"])
        folium.GeoJson(
            u.to_json(ensure_ascii=False),
            style_function=lambda f: {
                "fillColor": "#f7f4ea",
                "color": "#888",
                "weight": 0.8,
                "fillOpacity": 0.5,
            },
            tooltip=folium.GeoJsonTooltip(fields=["name"], aliases=[""]),
        ).add_to(m)
    for key, style in (
        ("areas", {"color": "#1f618d", "weight": 1, "fillColor": "#5dade2", "fillOpacity": 0.3}),
        ("uncovered", {"color": "#922b21", "weight": 1, "fillColor": "#e74c3c", "fillOpacity": 0.4, "dashArray": "4 3"}),
        ("newly_covered", {"color": "#1e8449", "weight": 1.5, "fillColor": "#2ecc71", "fillOpacity": 0.6}),
        ("no_longer_covered", {"color": "#641e16", "weight": 1.5, "fillColor": "#7b241c", "fillOpacity": 0.7}),
        ("proposed_areas", {"color": "#b9770e", "weight": 2.5, "fill": False, "dashArray": "8 4"}),
    ):  # fmt: skip
        layer = layers[key]
        if len(layer):
            folium.GeoJson(
                layer[["geometry"]].to_json(), style_function=lambda f, st=style: st, name=key
            ).add_to(m)
    for _idx, row in layers["facilities"].iterrows():
        folium.CircleMarker(
            [row.geometry.y, row.geometry.x], radius=3, color="#0b5345", fill=True, fill_opacity=1,
            tooltip=html.escape(str(row.get("name", ""))),
        ).add_to(m)  # fmt: skip
    for _idx, row in removed.iterrows():
        folium.CircleMarker(
            [row.geometry.y, row.geometry.x], radius=6, color="#555555", weight=2, fill=True,
            fill_color="#bbbbbb", fill_opacity=1, tooltip=html.escape(str(row.get("name", ""))),
        ).add_to(m)  # fmt: skip
    for _idx, row in proposed.iterrows():
        folium.CircleMarker(
            [row.geometry.y, row.geometry.x], radius=8, color="#7e5109", weight=2, fill=True,
            fill_color="#f39c12", fill_opacity=1, tooltip=html.escape(str(row.get("name", ""))),
        ).add_to(m)  # fmt: skip
    km2 = layers.get("uncovered_km2") or {}
    legend(
        m,
        [
            *(
                [
                    ("#f39c12", _("%(what)s (%(n)s)", what=proposed_label, n=len(proposed))),
                    ("#b9770e", _("Their service circles, %(radius)s m", radius=f"{layers['radius_m']:g}")),
                ]
                if len(proposed)
                else []
            ),
            *([("#2ecc71", _("Newly covered"))] if len(layers.get("newly_covered", ())) else []),
            *([("#7b241c", _("No longer covered"))] if len(layers.get("no_longer_covered", ())) else []),
            ("#e74c3c", _("Still not covered")),
            *([("#bbbbbb", _("Removed facilities (%(n)s)", n=len(removed)))] if len(removed) else []),
            ("#0b5345", _("Existing facilities (%(n)s)", n=len(layers["facilities"]))),
            ("#5dade2", _("Their service circles")),
            ("#f7f4ea", _("Community or village counted")),
            *basemap_legend(basemap or {}),
        ],
        title=title,
        collapsible=True,
        note=_("Uncovered: %(before)s km² before, %(after)s km² after", before=km2.get("before", "—"),
               after=km2.get("after", "—")) if km2 else "",
    )  # fmt: skip
    return m


def add_basemap(m: folium.Map, basemap: dict) -> None:
    """Water (``water``: rivers as lines, lakes as areas), main roads (``roads``) and district outlines
    (``districts``) from our own layers, no online tiles."""
    water = basemap.get("water")
    if water is not None and len(water):
        folium.GeoJson(
            water[["geometry"]].to_json(),
            style_function=lambda f: {"color": WATER, "weight": 5, "opacity": 0.9, "fillColor": WATER_FILL,
                                      "fillOpacity": 0.9},
        ).add_to(m)  # fmt: skip
    roads = basemap.get("roads")
    if roads is not None and len(roads):
        simple = roads[["geometry"]].copy()
        simple["geometry"] = simple.geometry.simplify(0.0002)
        folium.GeoJson(
            simple.to_json(), style_function=lambda f: {"color": "#a6a6a6", "weight": 1.2, "opacity": 0.9}
        ).add_to(m)
    districts = basemap.get("districts")
    if districts is not None and len(districts):
        folium.GeoJson(
            districts[["geometry"]].to_json(),
            style_function=lambda f: {"color": "#555555", "weight": 2, "fill": False, "dashArray": "6 4"},
        ).add_to(m)


def basemap_legend(basemap: dict) -> list[tuple[str, str]]:
    """Legend entries of the basemap layers drawn (see :func:`add_basemap`)."""
    items = []
    if basemap.get("water") is not None and len(basemap["water"]):
        items.append((WATER, _("Water: Yellow River, Wuhai Lake")))
    if basemap.get("roads") is not None and len(basemap["roads"]):
        items.append(("#a6a6a6", _("Main roads")))
    if basemap.get("districts") is not None and len(basemap["districts"]):
        items.append(("#555555", _("District boundary")))
    return items


def legend(
    m: folium.Map, items: list[tuple[str, str]], *, title: str = "", note: str = "", collapsible: bool = False
) -> None:
    """A legend box in the lower right: a swatch and a text per item, an optional title and note.

    A ``collapsible`` legend opens and closes on its title, and starts closed on a narrow map (a
    phone), where it would hide most of the map.
    """
    rows = "".join(
        f'<div class="legend-item"><span style="display:inline-block;width:14px;height:12px;background:{c};'
        f'border:1px solid #777;margin-right:5px;vertical-align:middle"></span>{html.escape(t)}</div>'
        for c, t in items
    )
    head = f"<b>{html.escape(title)}</b>" if title else ""
    foot = f'<div style="margin-top:4px;color:#444">{html.escape(note)}</div>' if note else ""
    style = (
        "position:absolute;bottom:24px;right:10px;z-index:1000;background:#fff;padding:6px 9px;"
        "font:12px sans-serif;border:1px solid #999;border-radius:3px;max-width:260px"
    )
    if collapsible:
        box = (
            f'<details class="map-legend" open style="{style};max-height:70%;overflow:auto">'
            f'<summary style="cursor:pointer">{head or html.escape(_("Legend"))}</summary>{rows}{foot}</details>'
            "<script>if (window.innerWidth < 520) { document.currentScript.previousElementSibling.open = false; }"
            "</script>"
        )
    else:
        box = f'<div class="map-legend" style="{style}">{head}{rows}{foot}</div>'
    m.get_root().html.add_child(folium.Element(box))


def _bounds(gdf: gpd.GeoDataFrame) -> tuple[float, ...] | None:
    return tuple(gdf.total_bounds) if len(gdf) else None


def _pad(bounds: tuple[float, ...] | None, pad: float = 0.01) -> tuple[float, float, float, float] | None:
    if bounds is None or not np.all(np.isfinite(bounds)):
        return None
    x0, y0, x1, y1 = bounds
    return (x0 - pad, y0 - pad, x1 + pad, y1 + pad)
