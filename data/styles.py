"""QGIS styles for GeoPackage exports: the web map's colours as QML in the ``layer_styles`` table.

QGIS applies the default row of ``layer_styles`` (the table it writes itself when a style is
saved to a GeoPackage) when the layer is opened, so a planner sees the exported signs, names and
facilities as the public map draws them. The table is not listed in ``gpkg_contents``, so tools
that open "the only layer" of an export still find one; GDAL and QGIS open it by name.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import quoteattr


@dataclass(frozen=True)
class Symbol:
    """A layer's look on the web map (``webmap/static/js/publicmap.js``): colours in ``#rrggbb``, sizes in pixels."""

    stroke: str
    fill: str | None = None
    radius: float = 5
    weight: float = 1
    fill_opacity: float = 0.9
    dash: bool = False
    casing: str | None = None


#: Layer name -> its symbol on the web map.
SYMBOLS: dict[str, Symbol] = {
    "divisions": Symbol("#7a4fa0", None, weight=2, dash=True),
    "roads": Symbol("#ffffff", weight=3, casing="#b9a98a"),
    "boundary_lines": Symbol("#c0392b", weight=4),
    "place_names": Symbol("#1f4e79", "#2e86c1", radius=5),
    "signs": Symbol("#7d6608", "#f1c40f", radius=4),
    "markers": Symbol("#641e16", "#e74c3c", radius=5),
    "facilities": Symbol("#0b5345", "#1abc9c", radius=6),
}

_DDL = """
CREATE TABLE IF NOT EXISTS layer_styles (
  id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256), f_table_schema TEXT(256),
  f_table_name TEXT(256), f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT,
  styleSLD TEXT, useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30),
  update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))
"""


def add_styles(path: str | Path, layer: str) -> int:
    """Store the default QGIS style of every table of the GeoPackage ``path`` exported from ``layer``.

    Returns the number of styles written.
    """
    symbol = SYMBOLS.get(layer)
    if symbol is None:
        return 0
    con = sqlite3.connect(path)
    try:
        tables = con.execute(
            "SELECT table_name, column_name, geometry_type_name FROM gpkg_geometry_columns"
        ).fetchall()
        con.execute(_DDL)
        for table, column, geometry_type in tables:
            con.execute(
                "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, "
                "styleName, styleQML, styleSLD, useAsDefault, description, owner, ui) "
                "VALUES ('', '', ?, ?, ?, ?, '', 1, ?, '', '')",
                (table, column, table, qml(symbol, geometry_type), "as on the web map"),
            )
        con.commit()
        return len(tables)
    finally:
        con.close()


def qml(symbol: Symbol, geometry_type: str) -> str:
    """The QML document of ``symbol`` for a layer of ``geometry_type`` (``POINT``, ``MULTIPOLYGON``...)."""
    kind = geometry_type.upper().removeprefix("MULTI")
    if kind == "POINT":
        layers = [_marker(symbol)]
        symbol_type = "marker"
    elif kind in ("LINESTRING", "CURVE", "LINE"):
        layers = ([_line(symbol.casing, symbol.weight + 2)] if symbol.casing else []) + [
            _line(symbol.stroke, symbol.weight, dash=symbol.dash)
        ]
        symbol_type = "line"
    else:
        layers = [_fill(symbol)]
        symbol_type = "fill"
    body = "\n".join(layers)
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        '<qgis version="3.22.0" styleCategories="Symbology">\n'
        ' <renderer-v2 type="singleSymbol" symbollevels="0" enableorderby="0" forceraster="0">\n'
        "  <symbols>\n"
        f'   <symbol type="{symbol_type}" name="0" alpha="1" clip_to_extent="1" force_rhr="0">\n'
        f"{body}\n"
        "   </symbol>\n"
        "  </symbols>\n"
        " </renderer-v2>\n"
        "</qgis>\n"
    )


def _rgba(colour: str, opacity: float = 1.0) -> str:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"{r},{g},{b},{round(opacity * 255)}"


def _options(kind: str, options: dict[str, str]) -> str:
    items = "\n".join(
        f'      <Option name={quoteattr(k)} type="QString" value={quoteattr(v)}/>' for k, v in options.items()
    )
    props = "\n".join(f"     <prop k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in options.items())
    return (
        f'    <layer class="{kind}" enabled="1" pass="0" locked="0">\n'
        f'     <Option type="Map">\n{items}\n     </Option>\n{props}\n    </layer>'
    )


def _marker(s: Symbol) -> str:
    return _options(
        "SimpleMarker",
        {
            "name": "circle",
            "color": _rgba(s.fill or s.stroke, s.fill_opacity),
            "outline_color": _rgba(s.stroke),
            "outline_width": str(s.weight),
            "outline_width_unit": "Pixel",
            "size": str(2 * s.radius),
            "size_unit": "Pixel",
        },
    )


def _line(colour: str, weight: float, *, dash: bool = False) -> str:
    return _options(
        "SimpleLine",
        {
            "line_color": _rgba(colour),
            "line_width": str(weight),
            "line_width_unit": "Pixel",
            "line_style": "dash" if dash else "solid",
            "capstyle": "round",
            "joinstyle": "round",
        },
    )


def _fill(s: Symbol) -> str:
    return _options(
        "SimpleFill",
        {
            "color": _rgba(s.fill, 0.35) if s.fill else "0,0,0,0",
            "style": "solid" if s.fill else "no",
            "outline_color": _rgba(s.stroke),
            "outline_width": str(s.weight),
            "outline_width_unit": "Pixel",
            "outline_style": "dash" if s.dash else "solid",
        },
    )
