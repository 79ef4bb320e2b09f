"""The contract every free-text field shares, whichever route writes it: forms, OGC API, imports."""

from __future__ import annotations

import re
import unicodedata

from gis.errors import InvalidInput

#: First characters that make a spreadsheet run a cell as a formula (OWASP CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[-+]?\d+(?:\.\d+)?$")
#: Formatting characters that belong in text: joiners, and the Mongolian vowel separator.
_JOINERS = {"\u200c", "\u200d", "\u180e"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def formula_problem(text: str) -> str | None:
    """Why ``text`` would run as a spreadsheet formula once exported (``None``: it would not)."""
    if text and text[0] in FORMULA_START and not _NUMBER.match(text):
        return (
            f"starts with {text[0]!r}, which a spreadsheet runs as a formula; "
            f"write it as '{text[:20]} to keep it as text"
        )
    return None


def clean_text(value: object, *, field: str, limit: int) -> str:
    """A free-text value stripped, or :class:`InvalidInput` naming the field.

    Refused: control characters, invisible formatting characters (bidirectional overrides,
    zero-width spaces, byte-order marks), a garbled encoding (U+FFFD), text longer than ``limit``
    and text that a spreadsheet would run as a formula.
    """
    if isinstance(value, bool | dict | list | tuple | set):
        raise InvalidInput(f"{field}: must be text", field=field)
    text = str(value).strip()
    if _CONTROL.search(text):
        raise InvalidInput(f"{field}: contains control characters", field=field)
    hidden = next((ch for ch in text if unicodedata.category(ch) == "Cf" and ch not in _JOINERS), None)
    if hidden is not None:
        raise InvalidInput(
            f"{field}: contains an invisible formatting character (U+{ord(hidden):04X})", field=field
        )
    if "\ufffd" in text:
        raise InvalidInput(f"{field}: garbled encoding (U+FFFD)", field=field)
    if len(text) > limit:
        raise InvalidInput(f"{field}: longer than {limit} characters", field=field)
    why = formula_problem(str(value).lstrip(" ")) or formula_problem(text)
    if why:
        raise InvalidInput(f"{field}: {why}", field=field)
    return text
