"""Validation of place-name sign fields: texts, GB 17733 layout, house-number patterns (pure)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from gis.contracts import check
from gis.contracts import text
from gis.errors import InvalidInput
from placenames.models import HAN_PATTERN
from placenames.models import HOUSE_NUMBER_PATTERN
from placenames.models import MONGOLIAN_PATTERN
from placenames.models import ROMAN_PATTERN
from placenames.models import SIGN_CONDITIONS
from placenames.models import SIGN_CONTRACTS
from placenames.models import SIGN_KINDS
from placenames.mongolian import clean_mongolian

#: Kinds whose face carries a house or building number.
NUMBERED_KINDS = ("house_number", "building", "unit")
#: Kinds that name a street and must stand near it.
STREET_KINDS = ("street", "house_number")
#: Default largest distance between a street or house-number sign and the street it names (metres).
MAX_STREET_DISTANCE_M = 60.0

SUB_SEPARATORS = {"dash": "-", "fu": "附"}

_NUMBER_RE = re.compile(HOUSE_NUMBER_PATTERN)
_HAN_RE = re.compile(HAN_PATTERN)
_ROMAN_RE = re.compile(ROMAN_PATTERN)
_MONGOLIAN_RE = re.compile(MONGOLIAN_PATTERN)
_TONE_RE = re.compile(r"[ĀāÁáǍǎÀàĒēÉéĚěÈèĪīÍíǏǐÌìŌōÓóǑǒÒòŪūÚúǓǔÙùǕǖǗǘǙǚǛǜ]")

#: The sign's free texts and its code, checked by their contracts alone.
_FREE_TEXTS = ("material", "size", "installer", "code")


class SignValidationError(InvalidInput):
    """A sign record that cannot be stored, with the row (when known) and every problem found."""

    def __init__(
        self, problems: list[str], *, row: int | str | None = None, field: str | None = None
    ) -> None:
        self.problems = list(problems)
        where = f"row {row}: " if row is not None else ""
        super().__init__(where + "; ".join(self.problems), field=field, row=row, details=self.problems)


@dataclass(frozen=True)
class HouseNumber:
    """A parsed house number: ``12``, ``12-1`` or ``12附1`` (base 12, sub 1)."""

    base: int
    sub: int | None = None

    def format(self, *, style: str = "dash") -> str:
        """The number as printed on a plate (``style`` 'dash' → 12-1, 'fu' → 12附1)."""
        if self.sub is None:
            return str(self.base)
        return f"{self.base}{SUB_SEPARATORS[style]}{self.sub}"

    @property
    def sort_key(self) -> tuple[int, int]:
        """Order along a street: 12 < 12-1 < 12-2 < 13."""
        return (self.base, self.sub or 0)


def parse_house_number(value: str | int) -> HouseNumber:
    """Parse a plate number such as ``12``, ``12号``, ``12-1`` or ``１２附１``.

    Raises
    ------
    gis.errors.InvalidInput
        When the text is not a house-number pattern (digits, optionally ``-`` or ``附`` and a sub-number).
    """
    text = unicodedata.normalize("NFKC", str(value)).strip()
    match = _NUMBER_RE.match(text)
    if match is None:
        raise InvalidInput(
            f"house number {str(value)[:40]!r} is not a number pattern (expected e.g. 12, 12-1 or 12附1)",
            field="house_number",
        )
    sub = match.group("sub")
    return HouseNumber(int(match.group("base")), int(sub) if sub else None)


def check_free_text(value: Any, *, field: str, max_len: int, multiline: bool = False) -> str | None:
    """Return ``value`` stripped (``None`` when empty), or raise :class:`~gis.errors.InvalidInput`.

    The rules every text contract shares (:mod:`gis.contracts`) with a length of ``max_len``.
    """
    return check(text(max_len, multiline=multiline), value, field=field)


def check_sign_text(value: Any, *, field: str) -> str | None:
    """Validate one text line of a sign face (``text_zh``, ``text_romanized`` or ``text_mongolian``)."""
    if field == "text_mongolian":
        value = clean_mongolian(value, field=field)
    return check(SIGN_CONTRACTS[field], value, field=field)


def layout_problems(
    *, kind: str, text_zh: str | None, text_romanized: str | None, text_mongolian: str | None
) -> list[str]:
    """Problems with a sign face against GB 17733 and the autonomous-region rule.

    The face reads, top to bottom: Mongolian (where present; Inner Mongolia puts the minority
    script above the Chinese), the Chinese name, then its Hanyu Pinyin romanization. Street,
    village, bridge and scenic signs need the romanization line; pinyin carries no tone marks.
    """
    problems = []
    if not text_zh:
        problems.append("the Chinese name line is missing")
    if kind in ("street", "village", "bridge", "scenic", "house_number") and not text_romanized:
        problems.append(f"a {kind} sign needs the romanization line below the Chinese name")
    if text_romanized and _TONE_RE.search(text_romanized):
        problems.append("romanization on signs is written without tone marks (GB 17733)")
    if text_mongolian and text_zh and _MONGOLIAN_RE.match(text_zh):
        problems.append("the Mongolian line belongs above the Chinese line, not in its place")
    return problems


def face_lines(
    *, text_zh: str | None, text_romanized: str | None, text_mongolian: str | None
) -> list[tuple[str, str]]:
    """The text lines of a sign face in GB 17733 order as ``(role, text)`` pairs."""
    lines = [("mongolian", text_mongolian), ("zh", text_zh), ("romanized", text_romanized)]
    return [(role, text) for role, text in lines if text]


def validate_sign_record(record: Mapping[str, Any], *, row: int | str | None = None) -> dict[str, Any]:
    """Validate and clean one sign record (web form, CLI or a field-import row).

    Parameters
    ----------
    record
        Field values: ``kind`` and ``lon``/``lat`` (or ``geom``) are required; the others
        (``text_zh``, ``text_romanized``, ``text_mongolian``, ``house_number``, ``side``,
        ``facing_deg``, ``material``, ``size``, ``installer``, ``install_date``, ``condition``,
        ``last_inspected``, ``code``, ``place_name_id``, ``division_code``) are optional.
    row
        Row number or key, named in the error message.

    Returns
    -------
    dict
        Cleaned values (house numbers canonical, dates as ``date``), geometry untouched.

    Raises
    ------
    SignValidationError
        Listing every problem of the record.
    """
    problems: list[str] = []
    fields: list[str] = []  # the fields a contract refused, first one named by the error
    out: dict[str, Any] = {}
    kind = record.get("kind")
    if kind not in SIGN_KINDS:
        problems.append(f"kind {str(kind)[:20]!r} is not one of {', '.join(SIGN_KINDS)}")
    out["kind"] = kind
    for field in ("text_zh", "text_romanized", "text_mongolian"):
        try:
            out[field] = check_sign_text(record.get(field), field=field)
        except InvalidInput as exc:
            problems.append(str(exc))
            fields.append(exc.field)
    for field in (*_FREE_TEXTS, "facing_deg", "place_name_id", "division_code"):
        try:
            out[field] = check(SIGN_CONTRACTS[field], record.get(field), field=field)
        except InvalidInput as exc:
            problems.append(str(exc))
            fields.append(exc.field)
    number = record.get("house_number")
    if number not in (None, ""):
        try:
            out["house_number"] = parse_house_number(number).format(
                style="fu" if "附" in str(number) else "dash"
            )
        except InvalidInput as exc:
            problems.append(str(exc))
            fields.append(exc.field)
    elif kind in NUMBERED_KINDS:
        problems.append(f"a {kind} plate needs a house number")
    else:
        out["house_number"] = None
    condition = record.get("condition") or "good"
    if condition not in SIGN_CONDITIONS:
        problems.append(f"condition {str(condition)[:20]!r} is not one of {', '.join(SIGN_CONDITIONS)}")
    out["condition"] = condition
    side = record.get("side") or None
    if side not in (None, "left", "right"):
        problems.append(f"side {str(side)[:10]!r} must be 'left' or 'right'")
    out["side"] = side
    for field in ("install_date", "last_inspected"):
        out[field] = _date(record.get(field), field, problems)
    if kind in SIGN_KINDS and not problems:
        problems.extend(
            layout_problems(
                kind=kind,
                text_zh=out["text_zh"],
                text_romanized=out["text_romanized"],
                text_mongolian=out["text_mongolian"],
            )
        )
    if problems:
        raise SignValidationError(problems, row=row, field=next(iter(fields), None))
    return out


def _date(value: Any, field: str, problems: list[str]) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        parsed = date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        problems.append(f"{field} {str(value)[:20]!r} is not a date (YYYY-MM-DD)")
        return None
    if parsed > date.today():
        problems.append(f"{field} {parsed.isoformat()} lies in the future")
        return None
    return parsed


# -- vectorised checks for field imports (data/importer.py wraps each as a RowCheck) -------------


def import_checks() -> tuple[tuple[str, Callable[[pd.DataFrame], pd.Series]], ...]:
    """``(message, bad)`` pairs: ``bad(frame)`` is a boolean Series of rows breaking a sign rule.

    For the validated import of field inventories: ``RowCheck(message, bad)`` for each pair.
    """
    return (
        ("house_number is not a number pattern (e.g. 12, 12-1, 12附1)", bad_house_number),
        ("a house-number, building or unit plate has no house_number", plate_without_number),
        ("text_zh must be Chinese characters", _bad_pattern("text_zh", _HAN_RE)),
        ("text_romanized must be Hanyu Pinyin in Latin letters without tone marks", bad_romanization),
        ("text_mongolian must be traditional Mongolian script, unmixed and well formed", bad_mongolian),
        (
            "a street, village, bridge or scenic sign needs text_romanized below the Chinese (GB 17733)",
            missing_romanization,
        ),
    )


def bad_house_number(frame: pd.DataFrame) -> pd.Series:
    """Rows whose ``house_number`` is present but not a number pattern."""
    if "house_number" not in frame:
        return pd.Series(False, index=frame.index)
    text = frame["house_number"].astype("string").str.normalize("NFKC").str.strip()
    return (text.notna() & (text != "") & ~text.str.match(_NUMBER_RE.pattern).fillna(False)).astype(bool)


def plate_without_number(frame: pd.DataFrame) -> pd.Series:
    """Numbered plates (house number, building, unit) lacking their number."""
    if "kind" not in frame:
        return pd.Series(False, index=frame.index)
    number = frame["house_number"] if "house_number" in frame else pd.Series(None, index=frame.index)
    empty = number.isna() | (number.astype("string").str.strip() == "")
    return (frame["kind"].isin(NUMBERED_KINDS) & empty).astype(bool)


def bad_romanization(frame: pd.DataFrame) -> pd.Series:
    """Rows whose romanization is not Latin pinyin or carries tone marks."""
    if "text_romanized" not in frame:
        return pd.Series(False, index=frame.index)
    text = frame["text_romanized"].astype("string")
    return (
        _bad_pattern("text_romanized", _ROMAN_RE)(frame) | text.str.contains(_TONE_RE.pattern).fillna(False)
    ).astype(bool)


def bad_mongolian(frame: pd.DataFrame) -> pd.Series:
    """Rows whose ``text_mongolian`` is present but mixed or broken Mongolian script."""
    if "text_mongolian" not in frame:
        return pd.Series(False, index=frame.index)
    return frame["text_mongolian"].map(_mongolian_refused).astype(bool)


def _mongolian_refused(value: Any) -> bool:
    if value is None or (isinstance(value, float) and value != value):
        return False
    try:
        clean_mongolian(str(value), field="text_mongolian")
    except InvalidInput:
        return True
    return False


def missing_romanization(frame: pd.DataFrame) -> pd.Series:
    """Named signs that lack the romanization line."""
    if "kind" not in frame:
        return pd.Series(False, index=frame.index)
    text = frame["text_romanized"] if "text_romanized" in frame else pd.Series(None, index=frame.index)
    empty = text.isna() | (text.astype("string").str.strip() == "")
    return (frame["kind"].isin(("street", "village", "bridge", "scenic")) & empty).astype(bool)


def _bad_pattern(column: str, pattern: re.Pattern[str]) -> Callable[[pd.DataFrame], pd.Series]:
    def bad(frame: pd.DataFrame) -> pd.Series:
        if column not in frame:
            return pd.Series(False, index=frame.index)
        text = frame[column].astype("string").str.strip()
        return (text.notna() & (text != "") & ~text.str.match(pattern.pattern).fillna(False)).astype(bool)

    return bad
