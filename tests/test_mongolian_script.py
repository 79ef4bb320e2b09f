"""Traditional Mongolian forms: checked as script, shown vertically on sign faces, audited on signs."""

from __future__ import annotations

import re
import zlib

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from gis.errors import InvalidInput
from placenames.models import PlaceName
from placenames.mongolian import clean_mongolian
from placenames.mongolian import columns
from placenames.mongolian import same_form
from placenames.mongolian import vertical_html
from placenames.mongolian import vertical_svg
from placenames.signs.audit import text_findings
from placenames.signs.render import sign_face_svg
from placenames.signs.validation import bad_mongolian
from placenames.signs.validation import check_sign_text

# Test strings of Mongolian letters (not forms of any real name).
WORD = "\u1820\u1837\u1820\u1833"  # a-r-a-d
TWO_WORDS = f"{WORD} \u1824\u1828"  # a word and a particle


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (WORD, WORD),
        (f"  {WORD}   \u1824\u1828 ", TWO_WORDS),
        (f"{WORD}\u202f\u1824\u1828", f"{WORD}\u202f\u1824\u1828"),  # suffix joined by NNBSP
        ("\u1828\u180b\u1820", "\u1828\u180b\u1820"),  # FVS1 after a letter
        ("\u1828\u1822\u1834\u180e\u1820", "\u1828\u1822\u1834\u180e\u1820"),  # MVS before a final a
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_clean_mongolian_accepts_and_tidies(raw, clean):
    assert clean_mongolian(raw) == clean


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("人民路", "mixes scripts"),
        (f"{WORD} Lu", "mixes scripts"),
        ("Улаан", "CYRILLIC"),
        (f"{WORD}人", "U+4EBA"),
        ("\u180b\u1820", "free variation selector"),
        (f"{WORD}\u180e\u1833", "vowel separator"),
        (f"\u202f{WORD}", "narrow no-break space"),
        (f"{WORD}\u202f", "narrow no-break space"),
        ("\u1803\u1802", "no Mongolian letter"),
        ("\u181a", "mixes scripts"),  # unassigned code point inside the block
    ],
)
def test_clean_mongolian_refuses_mixed_or_broken_script(raw, message):
    with pytest.raises(InvalidInput) as err:
        clean_mongolian(raw, field="mongolian")
    assert err.value.field == "mongolian"
    assert message in str(err.value)
    assert "mongolian" in str(err.value)


def test_sign_text_uses_the_same_rule_and_names_the_field():
    assert check_sign_text(f" {WORD} ", field="text_mongolian") == WORD
    with pytest.raises(InvalidInput) as err:
        check_sign_text("Arad", field="text_mongolian")
    assert err.value.field == "text_mongolian"
    frame = pd.DataFrame({"text_mongolian": [WORD, "Arad", None, "\u180b\u1820"]})
    assert bad_mongolian(frame).tolist() == [False, True, False, True]


def test_place_name_form_is_checked(monkeypatch):
    from placenames import fields

    pn = PlaceName(name="人民路")
    fields.set_text(pn, mongolian=f" {WORD} ")
    assert pn.mongolian == WORD
    with pytest.raises(InvalidInput) as err:
        fields.set_text(pn, mongolian="Renmin")
    assert err.value.field == "mongolian"
    fields.set_text(pn, mongolian="")
    assert pn.mongolian is None


def test_same_form_and_columns():
    assert same_form(WORD, f" {WORD} ")
    assert not same_form(WORD, TWO_WORDS)
    assert same_form(None, None) and not same_form(WORD, None)
    assert columns(f"{WORD} {WORD} {WORD} {WORD}", max_chars=9) == [f"{WORD} {WORD}", f"{WORD} {WORD}"]


def _rotations(svg: str) -> list[float]:
    return [float(x) for x in re.findall(r"translate\(([\d.]+),[\d.]+\) rotate\(90\)", svg)]


def test_sign_face_draws_mongolian_vertically_before_the_chinese():
    svg = sign_face_svg(
        kind="street",
        text_zh="人民路",
        text_romanized="Renmin Lu",
        text_mongolian=f"{WORD} {WORD} {WORD} {WORD}",
    )
    xs = _rotations(svg)
    assert len(xs) == 2 and xs[0] < xs[1]  # two columns, left to right, each turned a quarter clockwise
    assert "Noto Sans Mongolian" in svg
    zh_x = float(re.search(r'<text x="([\d.]+)"[^>]*class="sign-zh"', svg).group(1))
    roman_y = float(re.search(r'y="([\d.]+)"[^>]*class="sign-romanized"', svg).group(1))
    zh_y = float(re.search(r'y="([\d.]+)"[^>]*class="sign-zh"', svg).group(1))
    assert zh_x > xs[-1] and roman_y > zh_y  # Mongolian first, Chinese next, romanization below
    plain = sign_face_svg(kind="street", text_zh="人民路", text_romanized="Renmin Lu")
    assert "rotate(90)" not in plain


def test_vertical_svg_escapes_and_labels():
    svg = vertical_svg(WORD)
    assert svg.startswith("<svg") and 'lang="mn-Mong"' in svg and "rotate(90)" in svg
    assert "&lt;" in vertical_svg(WORD + "<b>")  # escaped even when unchecked


def test_vertical_html_turns_each_column_a_quarter_clockwise_left_to_right():
    html = vertical_html(f"{WORD} {WORD} {WORD} {WORD}", size=20)
    lefts = [float(x) for x in re.findall(r"left:([\d.]+)px;[^\"]*rotate\(90deg\)", html)]
    assert len(lefts) == 2 and lefts[0] < lefts[1]
    assert 'lang="mn-Mong"' in html and "Noto Sans Mongolian" in html
    assert "&lt;b&gt;" in vertical_html(WORD + "<b>")


def _pdf_glyphs(markup: str) -> list[str]:
    """Glyph ids of the text WeasyPrint draws for ``markup``, in drawing order."""
    from weasyprint import HTML

    pdf = HTML(string=f"<html><body>{markup}</body></html>").write_pdf()
    ids: list[str] = []
    for stream in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            data = zlib.decompress(stream.group(1))
        except zlib.error:
            continue
        for array in re.findall(rb"\[([^\]]*)\]\s*TJ", data):
            ids += [g.decode() for g in re.findall(rb"<([0-9a-fA-F]{4})>", array)]
    return ids


def test_the_pdf_draws_mongolian_in_joined_letter_forms():
    # ᠠᠷᠠᠳ: the first a is an initial form, the second a medial one when the text is shaped.
    glyphs = _pdf_glyphs(vertical_html(WORD, size=20))
    assert len(glyphs) == 4 and glyphs[0] != glyphs[2]
    # SVG text comes out unshaped in WeasyPrint (one form for both), which is why PDFs use HTML.
    unshaped = _pdf_glyphs(vertical_svg(WORD, size=20))
    assert len(unshaped) == 4 and unshaped[0] == unshaped[2]


def test_the_gazetteer_entry_draws_its_mongolian_as_html_text():
    from types import SimpleNamespace

    from placenames import gazetteer

    row = SimpleNamespace(
        id=1, name="人民路", romanized="Renmin Lu", category_code="253", location_desc=None,
        geometry=None, meaning=None, history=None, approving_authority=None, approval_doc_no=None,
        approval_date=None, announcement_date=None, aliases=[], mongolian=WORD,
    )  # fmt: skip
    entry = gazetteer._entry(row, {})
    assert "mongolian-vertical" in entry["mongolian"] and "<svg" not in entry["mongolian"]


def _signs(mongolian: list[str | None]) -> gpd.GeoDataFrame:
    n = len(mongolian)
    return gpd.GeoDataFrame(
        {
            "id": list(range(1, n + 1)),
            "place_name_id": [1] * n,
            "text_zh": ["人民路"] * n,
            "text_romanized": ["RENMIN LU"] * n,
            "text_mongolian": mongolian,
        },
        geometry=[Point(106.8, 39.6)] * n,
        crs=4490,
    )


def test_audit_finds_signs_lacking_or_differing_from_the_names_form():
    names = pd.DataFrame({"id": [1], "name": ["人民路"], "romanized": ["Renmin Lu"], "mongolian": [WORD]})
    found = text_findings(_signs([WORD, None, "", TWO_WORDS, f" {WORD}"]), names)
    assert sorted(zip(found["kind"], found["sign_id"], strict=True)) == [
        ("missing_mongolian", 2),
        ("missing_mongolian", 3),
        ("wrong_mongolian", 4),
    ]
    without = pd.DataFrame({"id": [1], "name": ["人民路"], "romanized": ["Renmin Lu"], "mongolian": [None]})
    assert text_findings(_signs([None, WORD]), without).empty  # no form on the name: nothing to ask of signs
