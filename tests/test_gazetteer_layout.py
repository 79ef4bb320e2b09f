"""Print maps fit their page and their labels never overlap; long jobs report their steps."""

from __future__ import annotations

from datetime import date
from itertools import combinations

import geopandas as gpd
import pytest
from geoalchemy2.shape import from_shape
from matplotlib.figure import Figure
from shapely.geometry import LineString
from shapely.geometry import MultiPolygon
from shapely.geometry import Point
from shapely.geometry import box

from boundaries.models import Division
from gis import mapdraw
from gis.progress import Steps
from placenames import gazetteer
from placenames import mapping
from placenames import store

CITY, HBW, HN = "150300000000", "150302000000", "150303000000"
TOWNS = [f"150302{n:03d}000" for n in range(1, 7)]


def _divisions() -> gpd.GeoDataFrame:
    """Two districts side by side, six small towns crowded into one corner (their labels collide)."""
    rows = [
        (CITY, "乌海市", "city", box(106.70, 39.40, 106.95, 39.85), True),
        (HBW, "海勃湾区", "district", box(106.80, 39.60, 106.95, 39.85), True),
        (HN, "海南区", "district", box(106.70, 39.40, 106.80, 39.85), True),
        ("152921000000", "阿拉善左旗", "district", box(106.40, 39.30, 106.70, 39.90), False),
    ]
    rows += [
        (code, f"第{n}个名字很长的街道", "town", box(106.82 + n * 0.004, 39.70, 106.824 + n * 0.004, 39.704), True)
        for n, code in enumerate(TOWNS)
    ]  # fmt: skip
    return gpd.GeoDataFrame(
        {"code": [r[0] for r in rows], "name": [r[1] for r in rows], "level": [r[2] for r in rows],
         "in_wuhai": [r[4] for r in rows]},
        geometry=[MultiPolygon([r[3]]) for r in rows], crs="EPSG:4490",
    )  # fmt: skip


def _names() -> gpd.GeoDataFrame:
    """Forty labelled points on top of each other, a river, a lake and roads."""
    rows = [(f"甘德尔山{n}号峰", "131", HBW, Point(106.85 + n * 0.0005, 39.72)) for n in range(40)]
    rows += [
        ("黄河", "121", HN, LineString([(106.78, 39.41), (106.79, 39.84)])),
        ("乌海湖", "122", HBW, box(106.80, 39.65, 106.81, 39.75)),
        ("人民路", "253", TOWNS[0], LineString([(106.82, 39.70), (106.86, 39.72)])),
        ("滨河大街", "253", TOWNS[1], LineString([(106.82, 39.705), (106.86, 39.715)])),
    ]
    return gpd.GeoDataFrame(
        {"name": [r[0] for r in rows], "category_code": [r[1] for r in rows], "division_code": [r[2] for r in rows]},
        geometry=[r[3] for r in rows], crs="EPSG:4490",
    )  # fmt: skip


def _assert_clean(fig: Figure, ax) -> None:
    """No two texts of the map overlap, each lies inside the map, and the map inside the page."""
    renderer = mapdraw._renderer(fig)
    area = ax.get_window_extent(renderer)
    boxes = mapdraw.label_extents(ax, ax.texts)
    assert len(boxes) > 5
    for a, b in combinations(boxes, 2):
        assert not a.overlaps(b), (a, b)
    for b in boxes:
        assert area.x0 <= b.x0 and b.x1 <= area.x1 and area.y0 <= b.y0 and b.y1 <= area.y1
    page = fig.bbox
    for box_ in [area, ax.get_legend().get_window_extent(renderer)]:
        assert page.x0 <= box_.x0 and box_.x1 <= page.x1 and page.y0 <= box_.y0 and box_.y1 <= page.y1
    key = ax.get_legend().get_window_extent(renderer)
    assert not any(key.overlaps(b) for b in boxes)


def test_place_labels_skips_those_that_would_overlap():
    mapdraw.use_cjk_fonts()
    fig = Figure(figsize=(4, 4))
    ax = fig.add_axes((0.05, 0.05, 0.9, 0.9))
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    labels = [mapdraw.Label(50, 50, f"标签{n}", {"fontsize": 9}, mapdraw.AROUND) for n in range(30)]
    labels.append(mapdraw.Label(99, 99, "出界的长标签文字", {"fontsize": 9}))
    placed = mapdraw.place_labels(ax, labels)
    boxes = mapdraw.label_extents(ax, placed)
    assert 1 < len(placed) <= len(mapdraw.AROUND)
    assert all(not a.overlaps(b) for a, b in combinations(boxes, 2))
    assert "出界的长标签文字" not in [t.get_text() for t in placed]
    assert len(ax.texts) == len(placed)  # the refused ones are removed from the axes


@pytest.mark.parametrize("kind", ["names", "divisions"])
def test_city_maps_labels_do_not_overlap(kind):
    divisions = _divisions()
    fig, _count = (
        mapping.names_map(divisions, _names()) if kind == "names" else mapping.divisions_map(divisions)
    )
    ax = fig.axes[0]
    _assert_clean(fig, ax)
    shown = {t.get_text() for t in ax.texts}
    assert "海勃湾区" in shown and "海南区" in shown
    if kind == "names":
        assert "黄河" in shown and sum(s.startswith("甘德尔山") for s in shown) < 40


def test_district_overview_fits_its_page(tmp_path):
    path = mapping.overview_map(_divisions(), _names(), tmp_path / "o.png", district=HBW, dpi=72)
    from PIL import Image

    with Image.open(path) as im:
        w, h = im.size
    assert abs(w - mapping.OVERVIEW_SIZE[0] * 72) <= 1 and abs(h - mapping.OVERVIEW_SIZE[1] * 72) <= 1
    # In the gazetteer the map is 185 mm high: its width must fit A4's 178 mm text width.
    assert 185 * w / h < 178
    assert 'class="district"' in gazetteer._TEMPLATE and "height: 185mm" in gazetteer._TEMPLATE


def test_overview_labels_do_not_overlap(tmp_path, monkeypatch):
    figures = []
    real = Figure.savefig
    monkeypatch.setattr(Figure, "savefig", lambda self, *a, **k: figures.append(self) or real(self, *a, **k))
    mapping.overview_map(_divisions(), _names(), tmp_path / "o.png", district=HBW, dpi=72)
    (fig,) = figures
    _assert_clean(fig, fig.axes[0])


def test_steps_count_up_to_the_total():
    seen = []
    step = Steps(lambda done, total, text: seen.append((done, total, text)), 3)
    for text in ("a", "b", "c"):
        step(text)
    step.finish()
    assert seen == [(0, 3, "a"), (1, 3, "b"), (2, 3, "c"), (3, 3, "done")]
    Steps(None, 2)("nobody listens")  # no callback: nothing happens


def test_gazetteer_reports_increasing_steps(session, tmp_path):
    session.add_all(
        [
            Division(code=CITY, name="乌海市", level="city", geom=from_shape(MultiPolygon([box(106.7, 39.4, 106.95, 39.85)]), srid=4490)),
            Division(code=HBW, name="海勃湾区", level="district", parent_code=CITY, in_wuhai=True,
                     geom=from_shape(MultiPolygon([box(106.8, 39.6, 106.95, 39.85)]), srid=4490)),
        ]
    )  # fmt: skip
    session.flush()
    for name, geom in [
        ("甘德尔山", Point(106.90, 39.75)),
        ("黄河", LineString([(106.81, 39.61), (106.82, 39.84)])),
    ]:
        cat = "131" if name == "甘德尔山" else "121"
        pn = store.propose(session, actor="t", name=name, category_code=cat, division_code=HBW, geom=geom)
        store.review(session, pn.id, actor="t")
        store.approve(session, pn.id, actor="t", authority="乌海市人民政府", document="乌政字〔2020〕1号",
                      approval_date=date(2020, 1, 1), justification="ok")  # fmt: skip
    seen = []
    gazetteer.write_gazetteer(session, tmp_path, pdf=False, progress=lambda *a: seen.append(a))
    done = [d for d, _t, _x in seen]
    assert done == sorted(done) and done[0] == 0 and done[-1] == seen[-1][1]
    assert len(set(done)) == len(done) and len(seen) >= 5
    assert "drawing the district maps" in [text for _d, _t, text in seen]
