"""Print maps: the standard place-name map (标准地名图) and the administrative division map (行政区划图).

Drawn with matplotlib in the metric CRS (EPSG:4545) so that the scale bar is true; Chinese labels
in Noto Sans CJK; PNG at print resolution, PDF with embedded TrueType fonts (text selectable).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from shapely.geometry import box
from sqlalchemy.orm import Session

from boundaries import divisions as division_reader
from gis.errors import InvalidInput
from gis.errors import NotFound
from gis.mapdraw import AROUND
from gis.mapdraw import Label
from gis.mapdraw import fit_extent
from gis.mapdraw import furnish
from gis.mapdraw import legend
from gis.mapdraw import metric
from gis.mapdraw import place_labels
from gis.mapdraw import use_cjk_fonts
from placenames import queries

#: Point categories labelled on the place-name map (the rest are too many to label at this scale).
_LABELLED = ("121", "122", "125", "131", "132", "271", "273", "274")
KINDS = ("names", "divisions")
#: Size (inches) of a district overview map: fits an A4 page under the district's heading.
OVERVIEW_SIZE = (6.3, 7.6)
_DISTRICT_COLOURS = {"150302000000": "#f6d8ae", "150303000000": "#cfe8c6", "150304000000": "#d5dcf5"}
#: How point categories are drawn on the place-name map: (label, marker, colour, size, labelled).
_POINT_STYLE = {
    "13": ("山体地形", "^", "#8c6d46", 30, True),
    "12": ("水系", "o", "#3b7dd8", 16, True),
    "24": ("居民点", "s", "#c0504d", 5, False),
    "25": ("桥梁车站", "D", "#555555", 10, False),
    "26": ("水利设施", "v", "#1f78b4", 14, True),
    "27": ("纪念地 旅游景点", "*", "#d62728", 40, True),
    "28": ("建筑物", ".", "#999999", 3, False),
    "29": ("单位", ".", "#7f7f7f", 3, False),
}


def write_map(session: Session, path: str | Path, *, kind: str = "names", dpi: int = 300) -> dict[str, Any]:
    """Draw the map of ``kind`` and save it as PNG or PDF (by the file suffix).

    Returns
    -------
    dict
        ``path``, ``kind``, ``features`` drawn and ``dpi``.
    """
    if kind not in KINDS:
        raise InvalidInput(f"kind must be one of {KINDS}", field="kind")
    path = Path(path)
    if path.suffix.lower() not in (".png", ".pdf"):
        raise InvalidInput(f"{path.name}: the map is written as .png or .pdf", field="path")
    if not 72 <= dpi <= 1200:
        raise InvalidInput("dpi must be between 72 and 1200", field="dpi")
    divisions = map_divisions(session)
    if divisions.empty:
        raise NotFound("no divisions in the database: load the reference data first")
    names = queries.names_gdf(session) if kind == "names" else None
    fig, count = names_map(divisions, names) if kind == "names" else divisions_map(divisions)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, metadata=_metadata(kind, path))
    return {"path": str(path), "kind": kind, "features": count, "dpi": dpi}


def map_divisions(
    session: Session, *, levels: tuple[str, ...] = ("city", "district", "town")
) -> gpd.GeoDataFrame:
    """The divisions the maps draw: those that count today, Wuhai's and its neighbours'."""
    return division_reader.divisions_gdf(session, levels=levels, in_wuhai=None)


def water_gdf(session: Session) -> gpd.GeoDataFrame:
    """Rivers and lakes (category 12x standard names drawn as lines or areas, EPSG:4490): the water
    our own maps draw under their layers (黄河, 乌海湖), with ``name`` and ``category_code``."""
    water = queries.names_gdf(session, category_prefix="12")
    water = water[water.geometry.notna() & ~water.geom_type.isin(["Point", "MultiPoint"])]
    return water[["id", "name", "category_code", "geometry"]].reset_index(drop=True)


def names_map(divisions: gpd.GeoDataFrame, names: gpd.GeoDataFrame, *, title: str = "乌海市标准地名图"):
    """The standard place-name map (pure: GeoDataFrames in, figure out)."""
    use_cjk_fonts()
    div = metric(divisions)
    nm = metric(names[names.geometry.notna()])
    fig, ax = _canvas(div, title)
    wuhai = div[div["in_wuhai"] & (div["level"] == "district")]
    towns = div[div["in_wuhai"] & (div["level"] == "town")]
    _plot(wuhai, ax, facecolor="#fbf8f0", edgecolor="#444444", linewidth=1.2, zorder=1)
    _plot(towns.boundary, ax, color="#aaaaaa", linewidth=0.4, linestyle="--", zorder=2)
    major = nm["category_code"].str[:2]
    water = nm[major == "12"]
    _plot(water[water.geom_type.isin(["Polygon", "MultiPolygon"])], ax, color="#a6cee3", zorder=3)
    _plot(
        water[water.geom_type.isin(["LineString", "MultiLineString"])],
        ax,
        color="#3b7dd8",
        linewidth=2.2,
        zorder=3,
    )
    roads = nm[nm["category_code"].isin(["252", "253"])]
    _plot(roads, ax, color="#e08a2c", linewidth=0.7, zorder=4)
    handles = [
        Patch(facecolor="#fbf8f0", edgecolor="#444444", label="区界"),
        Line2D([], [], color="#aaaaaa", linestyle="--", label="街道、镇界"),
        Line2D([], [], color="#3b7dd8", linewidth=2.2, label="河流"),
        Patch(facecolor="#a6cee3", label="湖泊"),
        Line2D([], [], color="#e08a2c", label="道路"),
    ]
    points = nm[nm.geom_type == "Point"]
    point_labels: list[Label] = []
    for prefix, (label, marker, colour, size, labelled) in _POINT_STYLE.items():
        layer = points[points["category_code"].str[:2] == prefix]
        if layer.empty:
            continue
        ax.scatter(
            layer.geometry.x, layer.geometry.y, marker=marker, s=size, c=colour, zorder=6, linewidths=0
        )
        handles.append(Line2D([], [], marker=marker, color=colour, linestyle="", label=label))
        if labelled:
            shown = layer[layer["category_code"].isin(_LABELLED)]
            point_labels += [
                Label(x, y, name, {"fontsize": 5.5, "color": colour, "zorder": 7}, AROUND)
                for x, y, name in zip(shown.geometry.x, shown.geometry.y, shown["name"], strict=True)
            ]
    main_roads = roads.assign(length=roads.length).sort_values("length", ascending=False).head(40)
    road_labels = [
        Label(p.x, p.y, name, {"fontsize": 4.5, "color": "#8a4b08", "ha": "center", "va": "center", "zorder": 7})
        for p, name in zip(main_roads.geometry.interpolate(0.5, normalized=True), main_roads["name"], strict=True)
    ]  # fmt: skip
    avoid = _finish(
        fig,
        ax,
        div,
        handles,
        "标准地名：已批准及已公告；坐标系：CGCS2000（EPSG:4490），投影：高斯-克吕格 3° 带（EPSG:4545）",
    )
    labels = [
        *_labels(wuhai, fontsize=13, fontweight="bold", color="#333333", alpha=0.8, zorder=8),
        *_labels(
            water[water.geom_type != "Point"],
            fontsize=8,
            color="#1f4e99",
            style="italic",
            zorder=8,
            centred=False,
        ),  # fmt: skip
        *_labels(towns, fontsize=5, color="#666666", zorder=7),
        *point_labels,
        *road_labels,
    ]
    place_labels(ax, labels, avoid=avoid)
    return fig, len(nm)


def divisions_map(divisions: gpd.GeoDataFrame, *, title: str = "乌海市行政区划图"):
    """The administrative division map (pure)."""
    use_cjk_fonts()
    div = metric(divisions)
    fig, ax = _canvas(div, title)
    neighbours = div[~div["in_wuhai"] & (div["level"] == "district")]
    _plot(neighbours, ax, facecolor="#eeeeee", edgecolor="#bbbbbb", linewidth=0.6, zorder=1)
    view = _frame_box(div)
    neighbour_labels = []
    for _, row in neighbours.iterrows():
        p = row.geometry.intersection(view).representative_point()
        if not p.is_empty:
            style = {"fontsize": 8, "color": "#888888", "ha": "center", "va": "center", "zorder": 5}
            neighbour_labels.append(Label(p.x, p.y, row["name"], style))
    districts = div[div["in_wuhai"] & (div["level"] == "district")]
    handles = []
    for _, row in districts.iterrows():
        colour = _DISTRICT_COLOURS.get(row["code"], "#f0e0c0")
        gpd.GeoSeries([row.geometry], crs=div.crs).plot(
            ax=ax, facecolor=colour, edgecolor="#333333", linewidth=1.5, zorder=2
        )
        handles.append(Patch(facecolor=colour, edgecolor="#333333", label=row["name"]))
    towns = div[div["in_wuhai"] & (div["level"] == "town")]
    _plot(towns.boundary, ax, color="#666666", linewidth=0.5, linestyle="--", zorder=3)
    city = div[div["in_wuhai"] & (div["level"] == "city")]
    _plot(city.boundary, ax, color="#b2182b", linewidth=2.2, zorder=4)
    handles += [
        Line2D([], [], color="#b2182b", linewidth=2.2, label="市界"),
        Line2D([], [], color="#333333", linewidth=1.5, label="区界"),
        Line2D([], [], color="#666666", linestyle="--", label="街道、镇界"),
        Patch(facecolor="#eeeeee", edgecolor="#bbbbbb", label="相邻县级行政区"),
    ]
    avoid = _finish(
        fig, ax, div, handles, "行政区划：国家统计局 2023 年区划代码；坐标系：CGCS2000（EPSG:4490）"
    )
    labels = [
        *_labels(districts, fontsize=15, fontweight="bold", color="#222222", alpha=0.7, zorder=7),
        *_labels(towns, fontsize=5.5, color="#333333", zorder=6),
        *neighbour_labels,
    ]
    place_labels(ax, labels, avoid=avoid)
    return fig, len(div)


def overview_map(divisions: gpd.GeoDataFrame, names: gpd.GeoDataFrame, path: str | Path, *, district: str,
                 dpi: int = 150) -> Path:  # fmt: skip
    """A small overview map of one district with its named points (for the gazetteer)."""
    use_cjk_fonts()
    div = metric(divisions)
    shape = div[div["code"] == district]
    if shape.empty:
        raise NotFound(f"no district {district}", field="district")
    fig = Figure(figsize=OVERVIEW_SIZE)
    ax = fig.add_axes((0.02, 0.02, 0.96, 0.9))
    ax.set_axis_off()
    _plot(shape, ax, facecolor="#fbf8f0", edgecolor="#333333", linewidth=1.2)
    towns = div[(div["level"] == "town") & div["code"].str.startswith(district[:6])]
    _plot(towns.boundary, ax, color="#999999", linewidth=0.4, linestyle="--")
    nm = metric(
        names[names.geometry.notna() & names["division_code"].fillna("").str.startswith(district[:6])]
    )
    roads = nm[nm["category_code"].isin(["252", "253"])]
    _plot(roads, ax, color="#e08a2c", linewidth=0.6)
    pts = nm[nm.geom_type == "Point"]
    ax.scatter(pts.geometry.x, pts.geometry.y, s=2, c="#c0504d", linewidths=0)
    fig.suptitle(f"{shape.iloc[0]['name']}地名概览图", fontsize=13, y=0.97)
    fit_extent(ax, tuple(shape.total_bounds), pad=0.03)
    handles = [
        Patch(facecolor="#fbf8f0", edgecolor="#333333", label="区界"),
        Line2D([], [], color="#999999", linestyle="--", label="街道、镇界"),
        Line2D([], [], color="#e08a2c", label="道路"),
        Line2D([], [], marker="o", markersize=3, color="#c0504d", linestyle="", label="地名点"),
    ]
    key = legend(ax, handles, title="图例", loc="lower right", anchor=None, fontsize=7, frame=True)
    avoid = [key, *furnish(ax)]
    place_labels(ax, _labels(towns, fontsize=7, color="#333333", zorder=7), avoid=avoid)
    path = Path(path)
    fig.savefig(path, dpi=dpi)
    return path


def _plot(layer: gpd.GeoDataFrame | gpd.GeoSeries, ax, **style) -> None:
    """Plot a layer unless it is empty."""
    if len(layer) and not layer.is_empty.all():
        layer.plot(ax=ax, **style)


def _labels(layer: gpd.GeoDataFrame, *, centred: bool = True, **style) -> list[Label]:
    """A label per feature at its representative point (centred, else to its left), nudged up or
    down when that place is taken."""
    style = style | ({"ha": "center", "va": "center"} if centred else {"ha": "right", "va": "center"})
    offsets = ((0.0, 0.0), (0.0, 8.0), (0.0, -8.0))
    return [
        Label(p.x, p.y, name, style, offsets)
        for p, name in zip(layer.geometry.representative_point(), layer["name"], strict=True)
    ]


def _frame_box(div: gpd.GeoDataFrame):
    wuhai = div[div["in_wuhai"]]
    minx, miny, maxx, maxy = wuhai.total_bounds
    pad = 0.08 * max(maxx - minx, maxy - miny)
    return box(minx - pad, miny - pad, maxx + pad, maxy + pad)


def _canvas(div: gpd.GeoDataFrame, title: str):
    """An A4 portrait page with the map's axes fitted to Wuhai (the layout is final from here on)."""
    fig = Figure(figsize=(8.27, 11.69))
    ax = fig.add_axes((0.04, 0.06, 0.92, 0.88))
    fit_extent(ax, _frame_box(div).bounds, pad=0.0)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=20, fontweight="bold", pad=12)
    return fig, ax


def _finish(fig, ax, div: gpd.GeoDataFrame, handles: list, note: str) -> list:
    """The extent again (plotting a layer rescales the axes), legend, scale bar, north arrow and the
    notes under the map; returns the artists the labels keep clear of."""
    fit_extent(ax, _frame_box(div).bounds, pad=0.0)
    ax.set_xlabel("")
    ax.set_ylabel("")
    key = legend(ax, handles, title="图例", loc="lower right", anchor=None, fontsize=7, frame=True)
    furniture = furnish(ax)
    fig.text(0.5, 0.03, note, ha="center", fontsize=6.5, color="#555555")
    fig.text(0.5, 0.015, "乌海市民政局 编制", ha="center", fontsize=6.5, color="#555555")
    return [key, *furniture]


def _metadata(kind: str, path: Path) -> dict:
    title = "乌海市标准地名图" if kind == "names" else "乌海市行政区划图"
    if path.suffix.lower() == ".pdf":
        return {"Title": title, "Creator": "wuhai-gis"}
    return {"Title": title}
