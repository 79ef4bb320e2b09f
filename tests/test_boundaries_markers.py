"""GB/T 17796-2009 marker numbers and twin/triple grouping (pure)."""

from __future__ import annotations

import pytest

from boundaries.markers import check_groups
from boundaries.markers import format_number
from boundaries.markers import parse_number
from boundaries.markers import twin_letter
from boundaries.markers import validate_number


@pytest.mark.parametrize(
    ("number", "line", "seq", "kind"),
    [
        ("1564001Q", "1564", 1, "Q"),
        ("15031506123A", "15031506", 123, "A"),
        ("150302150303999E", "150302150303", 999, "E"),
        (" 1564012b ", "1564", 12, "B"),
    ],
)
def test_parse_valid(number, line, seq, kind):
    parsed = parse_number(number)
    assert (parsed.line_code, parsed.seq, parsed.marker_type) == (line, seq, kind)
    assert str(parsed) == number.strip().upper()


@pytest.mark.parametrize(
    "number",
    [
        "1564000Q",
        "156401Q",
        "1564001",
        "1564001X",
        "15640012Q",
        "15031001Q",
        "abc",
        "",
        "1564001Q<script>",
        "1564001Q; DROP TABLE x",
    ],
)
def test_parse_invalid(number):
    with pytest.raises(ValueError):
        parse_number(number)


def test_parse_refuses_non_text():
    with pytest.raises(ValueError, match="text"):
        parse_number(1564001)


def test_format_number():
    assert format_number("1564", 7, "Q") == "1564007Q"
    for bad in [
        ("156", 1, "Q"),
        ("1564", 0, "Q"),
        ("1564", 1000, "Q"),
        ("1564", 1, "Z"),
        ("1564", True, "Q"),
    ]:
        with pytest.raises(ValueError):
            format_number(*bad)


def test_validate_number_against_line_and_type():
    validate_number("1564001Q", line_code="1564", marker_type="Q")
    with pytest.raises(ValueError, match="does not match the line"):
        validate_number("1564001Q", line_code="15031506")
    with pytest.raises(ValueError, match="does not match type"):
        validate_number("1564001Q", line_code="1564", marker_type="A")


def test_groups():
    ok = [
        {"number": "1564001Q"},
        {"number": "1564002A", "side_code": "150303000000"},
        {"number": "1564002B", "side_code": "640205000000"},
        {"number": "1564003C"},
        {"number": "1564003D"},
        {"number": "1564003E"},
    ]
    assert check_groups(ok) == []
    bad = [
        {"number": "1564002A", "side_code": "640205000000"},
        {"number": "1564002B", "side_code": "150303000000"},
        {"number": "1564003C"},
        {"number": "1564003D"},
        {"number": "1564004Q"},
        {"number": "1564004A", "side_code": "1"},
        {"number": "nonsense"},
    ]
    problems = check_groups(bad)
    assert len(problems) == 4
    assert any("A stands in 640205000000" in p for p in problems)
    assert any("1564003 has letters CD" in p for p in problems)
    assert any("1564004 has letters AQ" in p for p in problems)


def test_twin_letter():
    assert twin_letter("150303000000", "640205000000") == "A"
    assert twin_letter("640205000000", "150303000000") == "B"
    with pytest.raises(ValueError):
        twin_letter("1", "1")
