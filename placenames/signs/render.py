"""Sign faces as SVG: vertical Mongolian first, then the Chinese, romanization below (pure)."""

from __future__ import annotations

from html import escape

from placenames.mongolian import FONT_FAMILY
from placenames.mongolian import svg_columns
from placenames.signs.validation import face_lines

#: Background colour by sign kind (white text on all of them).
BACKGROUNDS = {
    "street": "#1d4f9a",
    "house_number": "#1d4f9a",
    "building": "#1d4f9a",
    "unit": "#1d4f9a",
    "village": "#1d4f9a",
    "bridge": "#1f6b3a",
    "scenic": "#7a4a1d",
    "other": "#444444",
}

_FONT_ZH = "'Noto Sans CJK SC','Noto Sans SC','Source Han Sans SC',sans-serif"
_FONT_MN = FONT_FAMILY
_MN_SIZE = 24
_FONT_LATIN = "'Noto Sans','DejaVu Sans',Arial,sans-serif"


def sign_face_svg(
    *,
    kind: str,
    text_zh: str | None,
    text_romanized: str | None = None,
    text_mongolian: str | None = None,
    house_number: str | None = None,
    width: int = 480,
) -> str:
    """Render a sign face as a standalone SVG document (every text escaped).

    Parameters
    ----------
    kind
        Sign kind; selects the background colour and, for numbered plates, the number block.
    text_zh, text_romanized, text_mongolian
        The text lines as they appear on the sign.
    house_number
        The plate number (``12``, ``12-1``, ``12附1``) for house-number, building and unit plates.
    width
        Width of the face in pixels; the height follows the number of lines.

    Returns
    -------
    str
        SVG markup, safe to embed in HTML.
    """
    lines = face_lines(text_zh=text_zh, text_romanized=text_romanized, text_mongolian=text_mongolian)
    sizes = {"zh": 44, "romanized": 20}
    fonts = {"zh": _FONT_ZH, "romanized": _FONT_LATIN}
    number_text = _number_caption(kind, house_number)
    pad = 18
    parts: list[str] = []
    left = pad
    mongolian_height = 0.0
    if text_mongolian:
        # Traditional Mongolian is written in vertical columns, read left to right; it comes
        # first on the face, before the Chinese and the romanization.
        body, used, mongolian_height = svg_columns(text_mongolian, x=left, y=pad + 4, size=_MN_SIZE)
        parts.append(f'<g class="sign-mongolian" lang="mn-Mong">{body}</g>')
        left += used + 12
    text_width = width - left - pad - (150 if number_text else 0)
    block = sum(sizes[role] + 8 for role, _ in lines if role != "mongolian")
    y = pad + max(0.0, (mongolian_height - block) / 2)
    for role, text in lines:
        if role == "mongolian":
            continue
        size = sizes[role]
        shown = text.upper() if role == "romanized" else text
        y += size + 8
        parts.append(
            f'<text x="{left + text_width / 2:.0f}" y="{y:.0f}" font-size="{size}" font-family="{escape(fonts[role])}" '
            f'text-anchor="middle" textLength="{_fit(shown, size, text_width):.0f}" '
            f'lengthAdjust="spacingAndGlyphs" class="sign-{role}">{escape(shown)}</text>'
        )
    height = round(max(y + pad + 6, pad + mongolian_height + pad + 8, 120))
    if text_mongolian:
        parts.append(
            f'<line x1="{left - 6:.0f}" y1="{pad}" x2="{left - 6:.0f}" y2="{height - pad}" '
            'stroke="#ffffff" stroke-width="1" opacity="0.6"/>'
        )
    if number_text:
        x0 = width - pad - 140
        parts.append(
            f'<rect x="{x0}" y="{pad}" width="140" height="{height - 2 * pad}" rx="6" fill="#ffffff"/>'
            f'<text x="{x0 + 70}" y="{height / 2 + 16:.0f}" font-size="40" font-family="{escape(_FONT_ZH)}" '
            f'text-anchor="middle" fill="#1d4f9a" textLength="{_fit(number_text, 40, 128):.0f}" '
            f'lengthAdjust="spacingAndGlyphs" class="sign-number">{escape(number_text)}</text>'
        )
    background = BACKGROUNDS.get(kind, BACKGROUNDS["other"])
    label = escape(" / ".join(text for _, text in lines) or kind, quote=True)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{label}">'
        f'<rect x="1" y="1" width="{width - 2}" height="{height - 2}" rx="10" fill="{background}" '
        f'stroke="#ffffff" stroke-width="3"/><g fill="#ffffff">{"".join(parts)}</g></svg>'
    )


def _number_caption(kind: str, house_number: str | None) -> str | None:
    if not house_number:
        return None
    if kind == "house_number":
        return f"{house_number}号"
    if kind == "building":
        return f"{house_number}号楼"
    if kind == "unit":
        building, _, unit = house_number.partition("-")
        return f"{building}-{unit}单元" if unit else f"{building}单元"
    return house_number


def _fit(text: str, size: int, available: float) -> float:
    """The text length to draw: natural width (CJK full, Latin ~0.6 em) capped at ``available``."""
    natural = sum(size if ord(ch) > 0x2E80 else 0.6 * size for ch in text)
    return min(natural, available)
