"""The spreadsheet-formula rule of text (OWASP CSV injection); the rest of the text rules are in :mod:`gis.contracts`."""

from __future__ import annotations

import re

#: First characters that make a spreadsheet run a cell as a formula (OWASP CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[-+]?\d+(?:\.\d+)?$")


def formula_problem(text: str) -> str | None:
    """Why ``text`` would run as a spreadsheet formula once exported (``None``: it would not)."""
    if text and text[0] in FORMULA_START and not _NUMBER.match(text):
        return (
            f"starts with {text[0]!r}, which a spreadsheet runs as a formula; "
            f"write it as '{text[:20]} to keep it as text"
        )
    return None
