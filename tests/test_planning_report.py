"""The planning report: one language per report, every map with a scale bar, a north arrow and a legend."""

from __future__ import annotations

import facilities_fixtures as fx
import matplotlib
import pytest

from facilities import report
from gis import mapdraw
from gis.errors import InvalidInput

matplotlib.use("Agg")


@pytest.fixture
def built(session, tmp_path, monkeypatch):
    fx.seed_divisions(session)
    fx.seed_roads(session)
    fx.seed_facilities_and_entries(session, actor="t")
    furnished = []
    real = report._furnish
    monkeypatch.setattr(report, "_furnish", lambda ax, lang: furnished.append(lang) or real(ax, lang))
    pages = {}
    for lang in report.LANGUAGES:
        files = report.build_report(session, year=2020, out_dir=tmp_path / lang, pdf=False, lang=lang)
        pages[lang] = files[0].read_text(encoding="utf-8")
    return pages, furnished


def test_one_language_per_report(built):
    pages, _ = built
    zh, en = pages["zh"], pages["en"]
    assert "主要发展指标" in zh and "Indicator table" not in zh and "By district" not in zh
    assert "Indicator table" in en and "主要发展指标" not in en and "分区" not in en
    assert '<html lang="zh">' in zh and '<html lang="en">' in en
    assert "录入" in zh and "entered" in en  # hand-entered values are labelled with their source
    assert "养老机构" in zh and "Elderly-care institutions" in en  # beds both ways


def test_every_map_has_a_scale_bar_and_north_arrow(built):
    _, furnished = built
    # facilities, floor area, circles: one each; built-up areas: one per district panel with stations
    assert furnished.count("zh") >= 3 and furnished.count("en") >= 3


def test_an_unknown_language_is_refused(session, tmp_path):
    with pytest.raises(InvalidInput) as err:
        report.build_report(session, year=2020, out_dir=tmp_path, lang="fr")
    assert err.value.field == "lang"


@pytest.mark.parametrize(
    ("width_m", "lang", "expected"),
    [
        (30_000, "en", ["0", "2", "4", "km", "N"]),
        (60_000, "zh", ["0", "5", "10", "千米", "北"]),
        (3_000, "en", ["0", "200", "400", "m", "N"]),
        (6_000, "zh", ["0", "0.5", "1", "千米", "北"]),
    ],
)
def test_scale_bar_lengths_are_round_numbers(width_m, lang, expected):
    from matplotlib.figure import Figure

    ax = Figure().subplots()
    ax.set_xlim(0, width_m)
    ax.set_ylim(0, width_m)
    mapdraw.furnish(ax, lang=lang)
    assert [t.get_text() for t in ax.texts] == expected
    assert ax.get_xlim() == (0, width_m)  # the furniture does not move the extent
