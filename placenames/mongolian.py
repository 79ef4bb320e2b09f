"""Traditional Mongolian script: checking an entered form and drawing it vertically (pure).

A form is stored as the officer typed it (nominal letters, the phonetic spelling), NFC-normalised
with its spaces tidied; it is never rewritten into glyph-shape codes. Refusals are
:class:`gis.errors.InvalidInput` naming the field.
"""

from __future__ import annotations

import re
import unicodedata
from html import escape

from gis.errors import InvalidInput

#: Font stack for traditional Mongolian (Debian ``fonts-noto-core`` ships Noto Sans Mongolian).
FONT_FAMILY = "'Noto Sans Mongolian','Mongolian Baiti',sans-serif"
#: Free variation selectors: FVS1-3 and FVS4.
FVS = frozenset("\u180b\u180c\u180d\u180f")
#: Mongolian vowel separator (before a final a or e).
MVS = "\u180e"
#: Narrow no-break space: joins a suffix to its stem.
NNBSP = "\u202f"
_JOINERS = frozenset("\u200c\u200d")
_SPACES = frozenset(" \u1800\u1801\u1802\u1803\u1804\u1805\u1806\u1807\u1808\u1809\u180a-")


def is_letter(ch: str) -> bool:
    """Whether ``ch`` is a Mongolian-block letter (Hudum, Todo, Sibe, Manchu or Ali Gali)."""
    return "\u1820" <= ch <= "\u18aa" and unicodedata.category(ch) != "Cn"


def clean_mongolian(value: object, *, field: str = "mongolian") -> str | None:
    """An entered traditional Mongolian form checked and NFC-normalised, or ``None`` when empty.

    Raises
    ------
    gis.errors.InvalidInput
        For text in another script (Chinese, Latin, Cyrillic...), unassigned code points, or
        broken sequences: a variation selector not after a letter, a vowel separator not between
        a letter and a final a/e, a narrow no-break space not between two words, no letter at all.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be text in traditional Mongolian script", field=field)
    text = re.sub(r"[ \t]+", " ", unicodedata.normalize("NFC", value)).strip(" \t\r\n")
    if not text:
        return None
    for ch in text:
        if not _allowed(ch):
            raise InvalidInput(
                f"{field} {text[:40]!r} mixes scripts: {ch!r} ({_char_name(ch)}) is not traditional "
                "Mongolian script (Unicode Mongolian block); write the Chinese form in the name and the "
                "Latin one in the romanization",
                field=field,
            )
    problem = _sequence_problem(text)
    if problem:
        raise InvalidInput(f"{field} {text[:40]!r} is broken Mongolian script: {problem}", field=field)
    return text


def same_form(a: str | None, b: str | None) -> bool:
    """Whether two stored forms are the same text once normalised (``None`` equals only ``None``)."""
    if a is None or b is None:
        return a is b
    return _tidy(a) == _tidy(b)


def columns(text: str, *, max_chars: int = 14) -> list[str]:
    """Split a form into vertical columns (read left to right) at spaces, about ``max_chars`` long."""
    out: list[str] = []
    for word in text.split(" "):
        if out and len(out[-1]) + 1 + len(word) <= max_chars:
            out[-1] += " " + word
        else:
            out.append(word)
    return out


def column_length(text: str, size: float) -> float:
    """Estimated drawn length of one column of ``text`` at font ``size`` (about half an em a letter)."""
    return sum(0.0 if ch in FVS or ch in _JOINERS or ch == MVS else 0.5 * size for ch in text)


def svg_columns(
    text: str, *, x: float, y: float, size: float, max_chars: int = 14
) -> tuple[str, float, float]:
    """SVG ``<text>`` elements drawing ``text`` vertically from ``(x, y)``.

    Each column runs top to bottom (the run rotated a quarter turn clockwise, as traditional
    Mongolian is written) and columns follow left to right.

    Returns
    -------
    tuple
        The markup, the width and the height it takes.
    """
    parts = []
    step = 1.35 * size
    cols = columns(text, max_chars=max_chars)
    for i, col in enumerate(cols):
        cx = x + i * step + 0.3 * size
        parts.append(
            f'<text transform="translate({cx:.1f},{y:.1f}) rotate(90)" x="0" y="0" font-size="{size:g}" '
            f'font-family="{escape(FONT_FAMILY)}" class="mongolian">{escape(col)}</text>'
        )
    height = max((column_length(c, size) for c in cols), default=0.0)
    return "".join(parts), len(cols) * step, height


def vertical_svg(text: str, *, size: float = 16, color: str = "currentColor", max_chars: int = 14) -> str:
    """An inline SVG element showing ``text`` vertically, for web pages (browsers shape SVG text).

    WeasyPrint draws SVG text without OpenType shaping (each letter in its isolated form, the
    letters not joined): PDFs take :func:`vertical_html`.
    """
    body, width, height = svg_columns(text, x=0, y=2, size=size, max_chars=max_chars)
    height += 0.3 * size  # the tail of a final letter reaches past the estimate
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="mongolian-vertical" width="{width:.0f}" '
        f'height="{height + 4:.0f}" viewBox="0 0 {width:.0f} {height + 4:.0f}" role="img" lang="mn-Mong" '
        f'aria-label="{escape(text, quote=True)}" style="vertical-align:top"><g fill="{escape(color)}">'
        f"{body}</g></svg>"
    )


def vertical_html(text: str, *, size: float = 16, max_chars: int = 14) -> str:
    """``text`` as vertical HTML text: each column a line of text turned a quarter clockwise.

    For WeasyPrint PDFs, which shape HTML text (joined letter forms) but neither SVG text nor
    ``writing-mode``. The outer box takes the columns' width and estimated height; the turned
    lines are drawn from its top, left to right, whatever their exact length.
    """
    step = 1.35 * size
    cols = columns(text, max_chars=max_chars)
    height = max((column_length(c, size) for c in cols), default=0.0) + 0.5 * size
    lines = "".join(
        f'<span style="position:absolute;top:0;left:{(i + 1) * step:.1f}px;white-space:nowrap;'
        f"transform-origin:0 0;transform:rotate(90deg);line-height:{step:.1f}px;font-size:{size:g}px;"
        f'font-family:{escape(FONT_FAMILY)}">{escape(col)}</span>'
        for i, col in enumerate(cols)
    )
    return (
        f'<span class="mongolian-vertical" lang="mn-Mong" style="display:inline-block;position:relative;'
        f'vertical-align:top;width:{len(cols) * step:.1f}px;height:{height:.1f}px">{lines}</span>'
    )


def _allowed(ch: str) -> bool:
    if ch in _SPACES or ch in _JOINERS or ch == NNBSP:
        return True
    return "\u1800" <= ch <= "\u18af" and unicodedata.category(ch) != "Cn"


def _sequence_problem(text: str) -> str | None:
    if not any(is_letter(ch) for ch in text):
        return "it has no Mongolian letter"
    for i, ch in enumerate(text):
        before = text[i - 1] if i else ""
        after = text[i + 1] if i + 1 < len(text) else ""
        where = f"at character {i + 1}"
        if ch in FVS and not is_letter(before):
            return f"a free variation selector (U+{ord(ch):04X}) {where} does not follow a letter"
        if ch == MVS and not (is_letter(before) and after in ("\u1820", "\u1821")):
            return f"the vowel separator (U+180E) {where} must stand between a letter and a final a or e"
        if ch == MVS and i + 2 < len(text) and is_letter(text[i + 2]):
            return f"the vowel separator (U+180E) {where} must come before a word-final a or e"
        joined = (is_letter(before) or before in FVS) and is_letter(after)
        if ch == NNBSP and not joined:
            return f"the narrow no-break space (U+202F) {where} must join a suffix to its word"
    return None


def _tidy(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


def _char_name(ch: str) -> str:
    return f"U+{ord(ch):04X} {unicodedata.name(ch, 'unnamed character')}"
