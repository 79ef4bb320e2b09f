"""Input contracts: what one field accepts, declared once beside its model and checked by every path.

A :class:`Contract` says what a field takes: its kind, range, length, pattern, choices, whether
line breaks are allowed and whether it may start with a spreadsheet formula character. Each
domain declares the contracts of its models' writable columns with :func:`declare` (next to the
model), and the import layers, the domain validators, the web forms and the OGC API schema read
them from there (:func:`contracts_of`, :func:`check`, :func:`json_schema`). Text accepted by a
contract survives export and import unchanged; text it refuses is refused on every path with the
same message naming the field.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import replace
from datetime import date
from types import MappingProxyType
from typing import Any

from sqlalchemy import JSON
from sqlalchemy import BigInteger
from sqlalchemy import Boolean
from sqlalchemy import Date
from sqlalchemy import Float
from sqlalchemy import Integer
from sqlalchemy import SmallInteger
from sqlalchemy import String
from sqlalchemy import Text

from gis.errors import InvalidInput
from gis.text import FORMULA_START
from gis.text import formula_problem

#: The range of an ``integer`` column (ids, versions, counts): PostgreSQL's 32-bit ``integer``.
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
#: No measured quantity of the system (degrees, metres, beds, kilometres) comes near this.
FLOAT_LIMIT = 1e12
#: A 12-digit statistical division code.
CODE12 = r"^\d{12}$"
#: Formatting characters that belong in text: the joiners and the Mongolian vowel separator.
_JOINERS = frozenset("\u200c\u200d\u180e")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_BREAK = re.compile(r"[\t\n\r]")
MARKUP = re.compile(r"<\s*/?\s*[a-zA-Z!?]|javascript\s*:|\bon[a-z]+\s*=|&#?\w+;", re.IGNORECASE)
SQL = re.compile(
    r"(?:'|\"|;)\s*(?:or|and)\s+['\"\d]|;\s*(?:drop|delete|insert|update|alter|truncate|create)\s|--\s*$"
    r"|/\*.*\*/|\bunion\s+(?:all\s+)?select\b",
    re.IGNORECASE,
)
_CJK = re.compile(r"[\u3400-\u9fff]")
#: Two or more characters in a row that CP1252/Latin-1 make of bytes >= 0x80 (a CJK character read wrongly).
_HIGH_RUN = re.compile(
    "[\u0080-\u00ff\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]{2,}"
)
_BOUNDS = (
    (BigInteger, -(2**63) + 1, 2**63 - 1),
    (SmallInteger, -(2**15), 2**15 - 1),
    (Integer, INT_MIN, INT_MAX),
)
_REGISTRY: dict[type, Mapping[str, Contract]] = {}
#: Columns every business row carries, written by the system and never by a user.
SYSTEM_COLUMNS = frozenset({"id", "created_at", "updated_at", "author", "version", "source", "geom"})


@dataclass(frozen=True)
class Contract:
    """What one field accepts.

    ``kind`` is ``text``, ``int``, ``float``, ``bool``, ``date`` or ``list`` (a JSON list whose
    texts follow ``item``); ``minimum``/``maximum`` bound numbers, ``max_length`` text;
    ``pattern`` must match the whole stripped text (``says`` is that form in words, for messages
    and the documentation);
    ``multiline`` allows tab and line breaks; ``formula`` allows a first character a spreadsheet
    runs as a formula unquoted. Markup, SQL fragments, control and invisible characters and
    garbled encodings are refused in every text.
    """

    kind: str = "text"
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None
    pattern: str | None = None
    says: str | None = None
    multiline: bool = False
    formula: bool = False
    choices: tuple[str, ...] | None = None
    item: Contract | None = None
    note: str = ""


def text(max_length: int | None = None, **kw: Any) -> Contract:
    """A text contract (its length is narrowed to the column's by :func:`declare`)."""
    return Contract("text", max_length=max_length, **kw)


def integer(minimum: float | None = None, maximum: float | None = None, **kw: Any) -> Contract:
    """A whole number within ``minimum``..``maximum`` (and the column's range)."""
    return Contract("int", minimum=minimum, maximum=maximum, **kw)


def number(minimum: float | None = None, maximum: float | None = None, **kw: Any) -> Contract:
    """A finite number within ``minimum``..``maximum`` (±:data:`FLOAT_LIMIT` at most)."""
    return Contract("float", minimum=minimum, maximum=maximum, **kw)


def division_code(**kw: Any) -> Contract:
    """A 12-digit statistical division code."""
    return Contract("text", max_length=12, pattern=CODE12, says="12 digits", **kw)


def choice(values: tuple[str, ...], **kw: Any) -> Contract:
    """One of ``values``."""
    return Contract("text", choices=tuple(values), **kw)


def declare(
    model: type, contracts: Mapping[str, Contract], *, managed: tuple[str, ...] = ()
) -> Mapping[str, Contract]:
    """Register the contracts of ``model``'s writable columns, completed from the column types.

    Kinds come from the column (a contract given as text for an integer column becomes ``int``),
    lengths are narrowed to the column's, integer bounds to the column's range, floats to
    ±:data:`FLOAT_LIMIT`. ``managed`` names columns the system derives or fills itself (no user
    writes them). Every other column must have a contract.
    """
    table = model.__table__
    missing = sorted(set(writable_columns(model, managed=managed)) - set(contracts))
    if missing:
        raise TypeError(f"{model.__name__}: no contract for {', '.join(missing)}")
    out = {name: _completed(table.c[name], c) for name, c in contracts.items()}
    frozen = MappingProxyType(out)
    _REGISTRY[model] = frozen
    return frozen


def writable_columns(model: type, *, managed: tuple[str, ...] = ()) -> list[str]:
    """The columns of ``model`` a user writes (not the system columns, not ``managed`` ones)."""
    return [c.name for c in model.__table__.columns if c.name not in SYSTEM_COLUMNS and c.name not in managed]


def contracts_of(model: type) -> Mapping[str, Contract]:
    """The declared contracts of ``model`` (empty when it declares none)."""
    return _REGISTRY.get(model, MappingProxyType({}))


def of(model: type, name: str) -> Contract:
    """The contract of ``model``'s column ``name``: its declaration, else what the column itself bounds.

    Columns of models without a declaration (free texts of history rows, work-order notes) take
    their kind, length and range from the column (a ``Text`` column takes line breaks), so a form or a message never restates them.
    """
    declared = contracts_of(model).get(name)
    if declared is not None:
        return declared
    column = model.__table__.c[name]
    return _completed(column, text(multiline=isinstance(column.type, Text)))


def column_bounds(column_type: Any) -> tuple[float, float] | None:
    """The range of values an integer or float column takes (``None`` for other columns)."""
    for kind, lo, hi in _BOUNDS:
        if isinstance(column_type, kind):
            return lo, hi
    if isinstance(column_type, Float):
        return -FLOAT_LIMIT, FLOAT_LIMIT
    return None


def check(contract: Contract, value: Any, *, field: str, row: int | str | None = None) -> Any:
    """``value`` cleaned under ``contract`` (``None`` when empty), or :class:`InvalidInput` naming the field."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if contract.required:
            raise InvalidInput(f"{field}: required", field=field, row=row)
        return None
    if contract.kind in ("int", "float"):
        why, out = number_problem(contract, value)
    elif contract.kind == "list":
        why, out = _list_problem(contract, value)
    elif contract.kind in ("bool", "date"):
        why, out = _typed_problem(contract, value)
    else:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise InvalidInput(f"{field}: must be text", field=field, row=row)
        why, out = _text(contract, str(value))
    if why:
        raise InvalidInput(f"{field}: {why}", field=field, row=row)
    return out


def text_problem(contract: Contract, value: str) -> str | None:
    """Why the stripped (and unquoted) text ``value`` breaks ``contract`` (``None``: it does not).

    The formula rule is not checked here: it applies to the text as typed (:func:`check`).
    """
    if "\ufffd" in value:
        return "replacement character U+FFFD: the text was decoded with the wrong encoding"
    bad = _CONTROL.search(value) or (None if contract.multiline else _BREAK.search(value))
    if bad:
        if bad.group() in "\t\n\r":
            return "line break or tab in a one-line field"
        return f"control character U+{ord(bad.group()):04X} (control characters are not allowed)"
    if not value.isascii():
        hidden = next((ch for ch in value if _hidden(ch)), None)
        if hidden is not None:
            return f"invisible format character U+{ord(hidden):04X}"
    if contract.max_length is not None and len(value) > contract.max_length:
        return f"too long: {len(value)} characters, at most {contract.max_length}"
    if MARKUP.search(value):
        return "markup or script (e.g. <script>) is not allowed"
    if SQL.search(value):
        return "looks like an SQL fragment"
    original = None if value.isascii() else mojibake_original(value)
    if original is not None:
        return f"garbled text (mojibake); the original was probably {original!r}"
    if contract.choices is not None and value not in contract.choices:
        return f"{value[:40]!r} is not one of {', '.join(contract.choices)}"
    if contract.pattern and not re.search(contract.pattern, value):
        return f"{value[:40]!r} does not have the required form: {contract.says or contract.pattern}"
    return None


def tidy(contract: Contract, text: str) -> str:
    """``text`` as stored: line breaks of multi-line text as ``\\n`` (spreadsheets keep no ``\\r``)."""
    if contract.multiline and "\r" in text:
        return text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def mojibake_original(value: str) -> str | None:
    """The Chinese text ``value`` was garbled from, if it looks like UTF-8/GBK decoded the wrong way."""
    if _HIGH_RUN.search(value):  # UTF-8 or GBK bytes read as Latin-1/CP1252
        for single in ("cp1252", "latin-1"):
            for codec in ("utf-8", "gb18030"):
                try:
                    original = value.encode(single).decode(codec)
                except (UnicodeEncodeError, UnicodeDecodeError):
                    continue
                if _CJK.search(original) and not _HIGH_RUN.search(original):
                    return original
    return utf8_read_as_gbk(value)


def utf8_read_as_gbk(value: str) -> str | None:
    """The Chinese text ``value`` was garbled from when UTF-8 bytes were read as GBK, or ``None``."""
    try:
        original = value.encode("gb18030").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return None
    if original != value and len(original) < len(value) and len(_CJK.findall(original)) >= 2:
        return original
    return None


def json_schema(contract: Contract) -> dict[str, Any]:
    """The JSON-schema fragment of a contract (type, limits, pattern, choices)."""
    kinds = {"text": "string", "int": "integer", "float": "number", "bool": "boolean", "list": "array"}
    out: dict[str, Any] = {"type": kinds.get(contract.kind, "string")}
    if contract.kind == "date":
        out["format"] = "date"
    if contract.choices:
        out["enum"] = list(contract.choices)
    if contract.max_length is not None and contract.kind == "text":
        out["maxLength"] = contract.max_length
    if contract.pattern:
        out["pattern"] = contract.pattern
    if contract.kind in ("int", "float"):
        if contract.minimum is not None:
            out["minimum"] = contract.minimum
        if contract.maximum is not None:
            out["maximum"] = contract.maximum
    if contract.item is not None:
        out["items"] = json_schema(contract.item)
    return out


def describe(contract: Contract) -> str:
    """The rule of a contract in a few words (the field tables of ``docs/security.md``)."""
    parts: list[str] = []
    if contract.required:
        parts.append("required")
    if contract.choices:
        parts.append("one of " + ", ".join(f"`{c}`" for c in contract.choices))
    elif contract.kind in ("int", "float"):
        word = "whole number" if contract.kind == "int" else "number"
        parts.append(f"{word} {_num(contract.minimum)} … {_num(contract.maximum)}")
    elif contract.kind == "list":
        parts.append(
            "list"
            + (
                f" of texts ≤ {contract.item.max_length}"
                if contract.item and contract.item.max_length
                else ""
            )
        )
    elif contract.kind in ("bool", "date"):
        parts.append({"bool": "yes/no", "date": "date YYYY-MM-DD"}[contract.kind])
    else:
        parts.append(f"text ≤ {contract.max_length}" if contract.max_length else "text")
        parts.append("line breaks allowed" if contract.multiline else "one line")
    if contract.pattern and not contract.choices:
        parts.append(contract.says or f"matching `{contract.pattern}`")
    if contract.note:
        parts.append(contract.note)
    return "; ".join(parts)


def _num(x: float | None) -> str:
    if x is None:
        return "…"
    if abs(x) == FLOAT_LIMIT:
        return "−10¹²" if x < 0 else "10¹²"
    if not float(x).is_integer():
        return f"{x:g}"
    return f"{int(x):,}".replace("-", "−") if abs(x) >= 10_000 else str(int(x)).replace("-", "−")


def _hidden(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cf", "Cs", "Co") and ch not in _JOINERS


def _completed(column: Any, contract: Contract) -> Contract:
    ctype = column.type
    changes: dict[str, Any] = {}
    bounds = column_bounds(ctype)
    if isinstance(ctype, Boolean):
        changes["kind"] = "bool"
    elif isinstance(ctype, Date):
        changes["kind"] = "date"
    elif isinstance(ctype, JSON):
        changes["kind"] = "list"
    elif bounds is not None:
        changes["kind"] = "float" if isinstance(ctype, Float) else "int"
        lo, hi = bounds
        changes["minimum"] = lo if contract.minimum is None else max(lo, contract.minimum)
        changes["maximum"] = hi if contract.maximum is None else min(hi, contract.maximum)
    elif isinstance(ctype, String) and not isinstance(ctype, Text) and ctype.length:
        length = contract.max_length
        changes["max_length"] = ctype.length if length is None else min(length, ctype.length)
    return replace(contract, **changes)


def number_problem(contract: Contract, value: Any) -> tuple[str | None, Any]:
    """``(why, number)``: why ``value`` (a number or its text) breaks ``contract`` and the number read.

    The number is ``None`` when the value is not one; a value out of range is read all the same.
    """
    if isinstance(value, bool):
        return "not a number", None
    if isinstance(value, int | float):
        x: float = value
    else:
        text = str(value).strip()
        try:
            x = int(text) if contract.kind == "int" and re.fullmatch(r"[-+]?\d{1,40}", text) else float(text)
        except (TypeError, ValueError, OverflowError):
            return f"not a number: {text[:20]!r}", None
    if isinstance(x, float) and not math.isfinite(x):
        return f"not a finite number: {str(value)[:20]}", None
    if contract.kind == "int":
        if isinstance(x, float) and not x.is_integer():
            return f"not a whole number: {str(value)[:20]}", None
        x = int(x)
    if contract.minimum is not None and x < contract.minimum:
        return f"{_short(x)} is out of range: below {_num(contract.minimum)}", x
    if contract.maximum is not None and x > contract.maximum:
        return f"{_short(x)} is out of range: above {_num(contract.maximum)}", x
    return None, x


def _short(x: float) -> str:
    text = f"{x:g}" if isinstance(x, float) else str(x)
    return text if len(text) <= 24 else text[:20] + "…"


def _text(contract: Contract, raw: str) -> tuple[str | None, str]:
    """The formula rule on the text as typed and stripped, then the rest on the text unquoted too.

    Text starting with a formula character (a tab or carriage return before the text too) is
    refused unless written quoted (``'=A1``): the quote is dropped and the text kept, as
    spreadsheets read it and as imports do.
    """
    text = raw.strip()
    if not contract.formula:
        why = formula_problem(raw.lstrip(" ")) or formula_problem(text)
        if why:
            return why, text
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_START:
        text = text[1:]
    text = tidy(contract, text)
    return text_problem(contract, text), text


def _list_problem(contract: Contract, value: Any) -> tuple[str | None, Any]:
    if not isinstance(value, list | tuple):
        return "must be a list", None
    out = []
    for item in value:
        if contract.item is None:
            out.append(item)
            continue
        if not isinstance(item, str):
            return "the list may hold only texts", None
        why, text = _text(contract.item, item)
        if why:
            return why, None
        out.append(text)
    return None, out


def _typed_problem(contract: Contract, value: Any) -> tuple[str | None, Any]:
    if contract.kind == "bool":
        return (None, value) if isinstance(value, bool) else ("must be true or false", None)
    if isinstance(value, date):
        return None, value
    try:
        return None, date.fromisoformat(str(value).strip())
    except ValueError:
        return f"not a date: {str(value)[:20]!r} (use YYYY-MM-DD)", None
