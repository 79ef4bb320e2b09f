"""Sign field validation, GB 17733 layout and sign-face rendering (pure)."""

from __future__ import annotations

import pandas as pd
import pytest

from placenames.signs.render import sign_face_svg
from placenames.signs.validation import HouseNumber
from placenames.signs.validation import SignValidationError
from placenames.signs.validation import check_sign_text
from placenames.signs.validation import face_lines
from placenames.signs.validation import import_checks
from placenames.signs.validation import layout_problems
from placenames.signs.validation import parse_house_number
from placenames.signs.validation import validate_sign_record

MONGOLIAN = "\u182a\u1820\u1837\u1822\u1828"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", HouseNumber(12)),
        ("12号", HouseNumber(12)),
        ("12-1", HouseNumber(12, 1)),
        ("12附3", HouseNumber(12, 3)),
        ("１２－１", HouseNumber(12, 1)),
        (7, HouseNumber(7)),
    ],
)
def test_parse_house_number(text, expected):
    assert parse_house_number(text) == expected


@pytest.mark.parametrize(
    "text", ["", "0", "12a", "A12", "12--1", "一二", "12-", "-1", "1; DROP TABLE sign", "123456"]
)
def test_parse_house_number_refuses_non_numbers(text):
    with pytest.raises(ValueError, match="not a number pattern"):
        parse_house_number(text)


def test_house_number_formats_and_orders():
    assert HouseNumber(12, 1).format(style="fu") == "12附1"
    assert HouseNumber(12, 1).format(style="dash") == "12-1"
    assert sorted([HouseNumber(13), HouseNumber(12, 2), HouseNumber(12)], key=lambda n: n.sort_key) == [
        HouseNumber(12),
        HouseNumber(12, 2),
        HouseNumber(13),
    ]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("text_zh", "人民路\x07", "control character"),
        ("text_zh", "<script>alert(1)</script>", "markup"),
        ("text_zh", "Renmin Lu", "Chinese characters"),
        ("text_romanized", "人民路", "Latin letters"),
        ("text_romanized", "RENMIN&#76;U", "markup"),
        ("text_mongolian", "Renmin", "Mongolian script"),
        ("text_zh", "人" * 201, "at most 200"),
        ("text_zh", "人民\u202e路", "invisible format character"),
    ],
)
def test_sign_text_refused(field, value, message):
    with pytest.raises(ValueError, match=message):
        check_sign_text(value, field=field)


def test_layout_order_and_problems():
    assert [
        role for role, _ in face_lines(text_zh="人民路", text_romanized="RENMIN LU", text_mongolian=MONGOLIAN)
    ] == ["mongolian", "zh", "romanized"]
    assert (
        layout_problems(kind="street", text_zh="人民路", text_romanized="RENMIN LU", text_mongolian=MONGOLIAN)
        == []
    )
    assert (
        "romanization line"
        in layout_problems(kind="street", text_zh="人民路", text_romanized=None, text_mongolian=None)[0]
    )
    assert (
        "tone marks"
        in layout_problems(kind="street", text_zh="人民路", text_romanized="Rénmín Lù", text_mongolian=None)[
            0
        ]
    )


def test_validate_record_lists_every_problem_with_row():
    with pytest.raises(SignValidationError) as info:
        validate_sign_record(
            {
                "kind": "house_number",
                "house_number": "x1",
                "text_zh": "<b>人民路</b>",
                "condition": "broken",
                "install_date": "2999-01-01",
            },
            row=7,
        )
    message = str(info.value)
    assert message.startswith("row 7: ")
    for part in ("markup", "not a number pattern", "condition 'broken'", "in the future"):
        assert part in message


def test_validate_record_cleans_values():
    clean = validate_sign_record(
        {
            "kind": "house_number",
            "house_number": "１２附１",
            "text_zh": "人民路",
            "text_romanized": "RENMIN LU",
            "install_date": "2018-05-02",
            "facing_deg": "90",
        }
    )
    assert clean["house_number"] == "12附1"
    assert str(clean["install_date"]) == "2018-05-02"
    assert clean["facing_deg"] == 90.0
    assert clean["condition"] == "good"


def test_plate_needs_number():
    with pytest.raises(SignValidationError, match="needs a house number"):
        validate_sign_record({"kind": "unit", "text_zh": "滨河社区"})


def test_import_checks_flag_rows():
    frame = pd.DataFrame(
        {
            "kind": ["house_number", "house_number", "street", "street", "unit"],
            "house_number": ["12", "abc", None, None, None],
            "text_zh": ["人民路", "人民路", "人民路", "Main St", "滨河社区"],
            "text_romanized": ["RENMIN LU", "RENMIN LU", None, "MAIN", None],
        }
    )
    flagged = {message: list(frame.index[bad(frame)]) for message, bad in import_checks()}
    assert flagged["house_number is not a number pattern (e.g. 12, 12-1, 12附1)"] == [1]
    assert flagged["a house-number, building or unit plate has no house_number"] == [4]
    assert flagged["text_zh must be Chinese characters"] == [3]
    assert [i for m, rows in flagged.items() if "GB 17733" in m for i in rows] == [2]


def test_sign_face_svg_escapes_and_orders_lines():
    svg = sign_face_svg(kind="street", text_zh="人民路", text_romanized="Renmin Lu", text_mongolian=MONGOLIAN)
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.index(MONGOLIAN) < svg.index("人民路") < svg.index("RENMIN LU")
    hostile = sign_face_svg(kind="house_number", text_zh='<script>"x"</script>', house_number="12&1")
    assert "<script>" not in hostile
    assert "&lt;script&gt;" in hostile and "12&amp;1号" in hostile
