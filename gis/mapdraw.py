"""Print-map furniture for matplotlib maps drawn in the metric CRS: fonts, scale bar, north arrow, legend.

Every print map (gazetteer maps, the planning report) draws its layers in :data:`gis.crs.METRIC_CRS`
(EPSG:4545, metres, y pointing north), so a length on the axes is a length on the ground.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import matplotlib
from matplotlib import font_manager
from matplotlib import patheffects
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.patches import FancyArrow
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from gis.crs import METRIC_CRS
from gis.crs import require_crs

#: Noto Sans CJK, where Debian and other distributions install it.
FONT_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
)
FONT_FAMILY = "Noto Sans CJK SC"
#: Words of the map furniture per language.
WORDS = {"zh": {"km": "千米", "m": "米", "north": "北"}, "en": {"km": "km", "m": "m", "north": "N"}}

_HALO = [patheffects.withStroke(linewidth=2.2, foreground="white")]
#: The thinner halo of map labels.
LABEL_HALO = [patheffects.withStroke(linewidth=1.5, foreground="white")]


@lru_cache(maxsize=1)
def use_cjk_fonts() -> str:
    """Register Noto Sans CJK and make it matplotlib's default font (PDF with embedded TrueType).

    Raises
    ------
    RuntimeError
        When the font is not installed (Debian package ``fonts-noto-cjk``).
    """
    for font in FONT_FILES:
        if Path(font).exists():
            font_manager.fontManager.addfont(font)
    if FONT_FAMILY not in {f.name for f in font_manager.fontManager.ttflist}:
        raise RuntimeError("Noto Sans CJK is missing: install Debian's fonts-noto-cjk")
    matplotlib.rcParams["font.family"] = [FONT_FAMILY, "DejaVu Sans"]
    matplotlib.rcParams["pdf.fonttype"] = 42
    matplotlib.rcParams["axes.unicode_minus"] = False
    return FONT_FAMILY


def cjk_font(size: float | None = None) -> font_manager.FontProperties | None:
    """Noto Sans CJK as font properties (of ``size`` points), ``None`` when it is not installed."""
    path = font_file()
    if path is None:
        return None
    font = font_manager.FontProperties(fname=path)
    if size is not None:
        font.set_size(size)
    return font


def font_file() -> str | None:
    """The first installed Noto Sans CJK file, if any."""
    return next((p for p in FONT_FILES if Path(p).exists()), None)


def metric(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The layer in the metric CRS, without the rows that have no geometry to draw."""
    require_crs(gdf, name="map layer")
    drawable = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    return drawable.to_crs(METRIC_CRS)


def scale_length(width_m: float, *, share: float = 0.25) -> tuple[float, float]:
    """A round scale bar for an axes ``width_m`` metres wide: ``(length, step)`` in metres.

    The bar has two equal parts whose length is 1, 2 or 5 times a power of ten, so every
    label (0, step, length) is a round number; the bar is at most ``share`` of the width.
    """
    target = max(width_m * share, 1.0)
    steps = [n * 10.0**e for e in range(0, 7) for n in (1, 2, 5)]
    step = max([s for s in steps if 2 * s <= target] or [steps[0]])
    return 2 * step, step


def scale_bar(ax, *, lang: str = "zh", fontsize: float = 6.5) -> list:
    """A two-part scale bar in the lower left of an axes drawn in the metric CRS (EPSG:4545).

    Labelled in kilometres (metres below 1 km), with a white halo so it reads over any layer.
    """
    x0, x1, y0, y1 = _frozen_limits(ax)
    length, step = scale_length(x1 - x0)
    words = WORDS.get(lang, WORDS["en"])
    km = length >= 1000
    bx, by = x0 + 0.05 * (x1 - x0), y0 + 0.04 * (y1 - y0)
    height = 0.007 * (y1 - y0)
    font = cjk_font(fontsize)
    w, h = x1 - x0, y1 - y0
    backing = Rectangle((bx - 0.02 * w, by - 0.015 * h), length + 0.14 * w, height + 0.06 * h, facecolor="white",
                        edgecolor="none", alpha=0.75, zorder=19)  # fmt: skip
    artists = [ax.add_patch(backing)]  # the bar reads over dense layers
    for i in range(2):
        artists.append(ax.add_patch(Rectangle((bx + i * step, by), step, height, facecolor="black" if i == 0 else "white",
                               edgecolor="black", linewidth=0.6, zorder=20)))  # fmt: skip
    for i, metres in enumerate((0, step, length)):
        text = f"{metres / 1000:g}" if km else f"{metres:g}"
        artists.append(ax.annotate(text, (bx + i * step, by + height), xytext=(0, 2), textcoords="offset points",
                    ha="center", va="bottom", fontsize=fontsize, zorder=21, path_effects=_HALO))  # fmt: skip
    artists.append(ax.annotate(words["km"] if km else words["m"], (bx + length, by + height / 2), xytext=(8, 0),
                textcoords="offset points", ha="left", va="center", fontproperties=font, fontsize=fontsize,
                zorder=21, path_effects=_HALO))  # fmt: skip
    return artists


def north_arrow(ax, *, lang: str = "zh", fontsize: float = 9) -> list:
    """A north arrow in the upper right of an axes drawn in a projected CRS whose y points north."""
    x0, x1, y0, y1 = _frozen_limits(ax)
    w, h = x1 - x0, y1 - y0
    size = (w * h) ** 0.5
    x, y = x0 + 0.93 * w, y0 + 0.86 * h
    dy = 0.08 * size
    arrow = ax.add_patch(FancyArrow(x, y, 0, dy, width=0.008 * size, head_width=0.035 * size, head_length=0.035 * size,
                            length_includes_head=True, facecolor="black", edgecolor="white", linewidth=0.6,
                            zorder=20))  # fmt: skip
    letter = ax.annotate(WORDS.get(lang, WORDS["en"])["north"], (x, y + dy), xytext=(0, 2), textcoords="offset points",
                ha="center", va="bottom", fontsize=fontsize, fontweight="bold", fontproperties=cjk_font(fontsize),
                zorder=21, path_effects=_HALO)  # fmt: skip
    return [arrow, letter]


def furnish(ax, *, lang: str = "zh") -> list:
    """Scale bar and north arrow (call after the layers and the extent are set); returns their artists."""
    return scale_bar(ax, lang=lang) + north_arrow(ax, lang=lang)


@dataclass(frozen=True)
class Label:
    """A text to place at ``(x, y)`` (data coordinates), tried at each of ``offsets`` (points) in turn."""

    x: float
    y: float
    text: str
    style: dict
    offsets: tuple[tuple[float, float], ...] = ((0.0, 0.0),)


#: Offsets (points) tried for a point's label: right, left, above, below.
AROUND = ((4.0, 0.0), (-4.0, 0.0), (0.0, 4.0), (0.0, -4.0))


def place_labels(ax, labels: Iterable[Label], *, avoid: Sequence = (), margin: float = 1.0) -> list[Text]:
    """Write ``labels`` in the order given (most important first), skipping those that cannot be placed.

    A label whose style sets no alignment is aligned away from its point (left of it when
    offset to the left, and so on). A label is placed at the first of its offsets where its extent (as the renderer measures
    it, grown by ``margin`` pixels) lies inside the axes and meets neither an already placed
    label nor one of the artists in ``avoid`` (legend, scale bar, north arrow). Call it once the
    figure's layout and the axes' limits are final.

    Returns
    -------
    list of Text
        The labels placed.
    """
    renderer = _renderer(ax.figure)
    area = ax.get_window_extent(renderer)
    taken = [a.get_window_extent(renderer) for a in avoid]
    placed: list[Text] = []
    for label in labels:
        for dx, dy in label.offsets:
            style = {"path_effects": LABEL_HALO} | _alignment(dx, dy) | label.style
            text = ax.annotate(label.text, (label.x, label.y), xytext=(dx, dy), textcoords="offset points",
                               annotation_clip=False, **style)  # fmt: skip
            box = text.get_window_extent(renderer).padded(margin)
            if _inside(box, area) and not any(box.overlaps(b) for b in taken):
                taken.append(box)
                placed.append(text)
                break
            text.remove()
    return placed


def label_extents(ax, texts: Iterable[Text]) -> list[Bbox]:
    """The extents (pixels) of ``texts`` as the renderer draws them."""
    renderer = _renderer(ax.figure)
    return [t.get_window_extent(renderer) for t in texts]


def fit_extent(ax, bounds: tuple[float, float, float, float], *, pad: float = 0.05) -> None:
    """Set the axes' limits to ``bounds`` (metric CRS) padded by ``pad`` of their size and grown
    along one side so that one metre is as long across as up (the axes keep their box)."""
    minx, miny, maxx, maxy = bounds
    w, h = (maxx - minx) * (1 + 2 * pad), (maxy - miny) * (1 + 2 * pad)
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    fig_w, fig_h = ax.figure.get_size_inches()
    pos = ax.get_position()
    box_ratio = (pos.height * fig_h) / (pos.width * fig_w)
    if h / w > box_ratio:
        w = h / box_ratio
    else:
        h = w * box_ratio
    ax.set_xlim(cx - w / 2, cx + w / 2)
    ax.set_ylim(cy - h / 2, cy + h / 2)
    ax.set_aspect("equal", adjustable="box")


def legend(
    ax,
    handles: list,
    labels: list[str] | None = None,
    *,
    title: str | None = None,
    loc: str = "upper left",
    anchor: tuple[float, float] | None = (0.0, 0.0),
    ncol: int = 1,
    fontsize: float = 7.5,
    frame: bool = False,
):
    """A legend in Noto Sans CJK; by default under the axes (``anchor``), or inside it with ``anchor=None``."""
    font = cjk_font(fontsize)
    kwargs = {"loc": loc, "ncol": ncol, "frameon": frame, "prop": font}
    if anchor is not None:
        kwargs["bbox_to_anchor"] = anchor
    if frame:
        kwargs["framealpha"] = 0.9
    if title:
        kwargs |= {"title": title, "title_fontproperties": cjk_font(fontsize + 1)}
    if labels is None:
        return ax.legend(handles=handles, **kwargs)
    return ax.legend(handles, labels, **kwargs)


def _renderer(fig):
    """The figure's renderer (a figure made without pyplot gets an Agg canvas for measuring)."""
    if not hasattr(fig.canvas, "get_renderer"):
        FigureCanvasAgg(fig)
    return fig.canvas.get_renderer()


def _alignment(dx: float, dy: float) -> dict[str, str]:
    """Text alignment for a label offset by ``(dx, dy)`` from its point: away from the point."""
    ha = "left" if dx > 0 else "right" if dx < 0 else "center"
    va = "bottom" if dy > 0 else "top" if dy < 0 else "center"
    return {"ha": ha, "va": va}


def _inside(box: Bbox, area: Bbox) -> bool:
    return box.x0 >= area.x0 and box.y0 >= area.y0 and box.x1 <= area.x1 and box.y1 <= area.y1


def _frozen_limits(ax) -> tuple[float, float, float, float]:
    """The axes' limits, fixed so that the furniture drawn next does not move them."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    return x0, x1, y0, y1
