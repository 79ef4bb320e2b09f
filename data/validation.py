"""Row validation for imports: geometry, field types and rules, hostile text, duplicate keys.

Every check runs over whole columns (pandas / shapely 2 arrays) and returns the rows that fail,
so a 34,000-row file is checked in well under a second. Nothing here touches the database; the
checks against stored rows (duplicate keys, references) live in :mod:`data.importer`.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from dataclasses import replace
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import shapely

from data.layers import Field
from data.layers import Layer
from data.spreadsheet import formula_problem
from data.spreadsheet import unquote
from gis.contracts import Contract
from gis.contracts import mojibake_original  # noqa: F401 - the import reports name it
from gis.contracts import number_problem
from gis.contracts import text_problem as text_problem_of
from gis.contracts import tidy
from gis.io import extent_problems

#: Columns written by exports or other tools that an import ignores silently.
IGNORED_COLUMNS = {
    "id",
    "fid",
    "ogc_fid",
    "objectid",
    "created_at",
    "updated_at",
    "author",
    "version",
    "source",
    "crs",
    "坐标系",
    "记录id",
    "版本",
    "更新时间",
}
#: Anything that needs a closer look: control characters, line breaks, markup, SQL, U+FFFD, Latin-1 runs.
_SUSPECT = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufffd<>&;'\"]|--|/\*|javascript|\bon[a-z]+\s*=|union"
    r"|[\u00a0-\u00ff\u0152-\u0192\u02c6-\u02dc\u2013-\u203a\u20ac\u2122]{2,}",
    re.IGNORECASE,
)
#: The ASCII characters ``_SUSPECT`` matches on their own.
_SUSPECT_ASCII = re.compile(r"[\x00-\x1f\x7f<>&;'\"]")
_TRUE = {"1", "true", "t", "yes", "y", "是", "有", "√", "x"}
_FALSE = {"0", "false", "f", "no", "n", "否", "无", ""}


@dataclass(frozen=True)
class Problem:
    """One problem with one row (``row`` counts features from 1; 0 = the file as a whole)."""

    row: int
    field: str | None
    message: str

    def __str__(self) -> str:
        where = "file" if self.row == 0 else f"row {self.row}"
        return f"{where}{f' [{self.field}]' if self.field else ''}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        """``{row, field, message}``."""
        return {"row": self.row, "field": self.field, "message": self.message}


def map_columns(frame: pd.DataFrame, layer: Layer) -> tuple[pd.DataFrame, list[str], list[Problem]]:
    """Rename file columns to field names; return the frame, ignored columns and missing-column problems."""
    columns = (
        [c for c in frame.columns if c != frame.geometry.name] if hasattr(frame, "geometry") else list(frame)
    )
    mapping, unknown = layer.match_columns(columns)
    ignored = [c for c in unknown if c.strip().lower() not in IGNORED_COLUMNS]
    renamed = pd.DataFrame({target: frame[source] for source, target in mapping.items()}, index=frame.index)
    problems = [
        Problem(0, f.column, f"required column {f.column} ({f.label_zh}) is missing")
        for f in layer.fields
        if f.required and f.name not in renamed
    ]
    return renamed, ignored, problems


def check_fields(frame: pd.DataFrame, layer: Layer) -> tuple[pd.DataFrame, list[Problem]]:
    """Coerce every field to its type and check its rules; return the clean values and the problems."""
    problems: list[Problem] = []
    clean = pd.DataFrame(index=frame.index)
    for f in layer.fields:
        if f.name not in frame:
            continue
        values, found = _check_field(frame[f.name], f)
        clean[f.name] = values
        problems.extend(found)
    for check in layer.checks:
        bad = check.bad(clean)
        problems.extend(Problem(int(r), None, check.message) for r in bad.index[bad.to_numpy()])
    return clean, problems


def check_geometries(
    geoms: np.ndarray, layer: Layer, index: pd.Index, *, extent_exempt: np.ndarray | None = None
) -> tuple[np.ndarray, list[Problem]]:
    """Check geometries (missing, empty, NaN/inf, type, validity, extent) and convert them for storage.

    Returns the 2-D geometries in the layer's stored type (Polygon -> MultiPolygon...) and the problems.
    Rows flagged in ``extent_exempt`` (e.g. neighbouring units) may lie outside Wuhai's extent.
    """
    rows = np.asarray(index)
    problems: list[Problem] = []
    geoms = np.asarray(geoms, dtype=object)
    missing = shapely.is_missing(geoms)
    empty = ~missing & shapely.is_empty(geoms)
    coords, which = shapely.get_coordinates(geoms, include_z=True, return_index=True)
    nonfinite = np.zeros(len(geoms), dtype=bool)
    nonfinite[np.unique(which[~np.isfinite(coords[:, :2]).all(axis=1)])] = True
    names = _type_names(geoms)
    wrong = ~missing & ~empty & ~np.isin(names, layer.geometry_types)
    if layer.store_type == "LINESTRING":  # a one-part MultiLineString is a LineString
        single = (names == "MultiLineString") & (shapely.get_num_geometries(geoms) == 1)
        wrong &= ~single
    ok_so_far = ~(missing | empty | nonfinite | wrong)
    invalid = np.zeros(len(geoms), dtype=bool)
    invalid[ok_so_far] = ~shapely.is_valid(geoms[ok_so_far])
    outside, swapped = extent_problems(np.where(ok_so_far & ~invalid, geoms, None))
    if extent_exempt is not None:
        outside &= ~extent_exempt
    expected = "/".join(layer.geometry_types)
    for i in np.flatnonzero(missing):
        problems.append(Problem(int(rows[i]), "geometry", "missing or unreadable geometry"))
    for i in np.flatnonzero(empty):
        problems.append(Problem(int(rows[i]), "geometry", "empty geometry"))
    for i in np.flatnonzero(nonfinite):
        problems.append(Problem(int(rows[i]), "geometry", "coordinate is NaN or infinite"))
    for i in np.flatnonzero(wrong & ~nonfinite):
        problems.append(
            Problem(int(rows[i]), "geometry", f"{names[i]} where layer {layer.name} takes {expected}")
        )
    for i in np.flatnonzero(invalid):
        reason = shapely.is_valid_reason(geoms[i])
        problems.append(Problem(int(rows[i]), "geometry", f"invalid geometry: {reason}"))
    for i in np.flatnonzero(swapped):
        x, y = shapely.get_coordinates(geoms[i])[0]
        problems.append(
            Problem(int(rows[i]), "geometry", f"latitude and longitude look swapped ({x:.5f}, {y:.5f})")
        )
    for i in np.flatnonzero(outside):
        x0, y0, x1, y1 = shapely.bounds(geoms[i])
        problems.append(
            Problem(
                int(rows[i]),
                "geometry",
                f"outside Wuhai's extent (lon {x0:.4f}..{x1:.4f}, lat {y0:.4f}..{y1:.4f})",
            )
        )
    flat = shapely.force_2d(geoms) if shapely.has_z(geoms).any() else geoms  # no copies of 2-D files
    return _to_store_type(flat, names, layer.store_type), problems


def duplicate_keys(frame: pd.DataFrame, layer: Layer) -> list[Problem]:
    """Rows whose key repeats another row of the same file (each named with the other rows)."""
    if not layer.key or any(k not in frame for k in layer.key):
        return []
    keys = frame[list(layer.key)]
    dup = keys.duplicated(keep=False) & keys.notna().any(axis=1)
    problems = []
    if dup.any():
        groups = keys[dup].astype(str).agg("|".join, axis=1)
        by_key: dict[str, list[int]] = {}
        for row, key in groups.items():
            by_key.setdefault(key, []).append(int(row))
        for key, rows in by_key.items():
            for row in rows:
                others = ", ".join(str(r) for r in rows if r != row)
                problems.append(
                    Problem(
                        row, "/".join(layer.key), f"duplicate key {key!r} in the file (also row {others})"
                    )
                )
    return problems


def text_problem(value: str, f: Field) -> str | None:
    """Why ``value`` is not acceptable text for ``f`` (or ``None``): the field's contract, bar choices and pattern."""
    if not _SUSPECT.search(value) and value.isascii():  # the fast path for ordinary text
        return _ordinary_text_problem(value, f)
    return text_problem_of(_plain(f), value)


def _plain(f: Field) -> Contract:
    """The contract of ``f``'s text before value aliases, choices and patterns are applied."""
    contract = f.contract or Contract(max_length=f.max_length, multiline=f.max_length is None)
    if f.kind == "list":
        contract = contract.item or Contract(max_length=f.max_length, multiline=True)
    return replace(contract, choices=None, pattern=None)


def _ordinary_text_problem(value: str, f: Field) -> str | None:
    """:func:`text_problem` for ASCII text that ``_SUSPECT`` does not match: only the length can be wrong."""
    limit = _plain(f).max_length
    if limit is not None and len(value) > limit:
        return f"too long: {len(value)} characters, at most {limit}"
    return None


def _none_suspect(texts: list[str]) -> bool:
    """Whether ``_SUSPECT`` matches none of ``texts``, decided in one pass when they are all ASCII.

    On ASCII text ``_SUSPECT`` can only match one of ``_SUSPECT_ASCII``'s characters or contain
    ``--``, ``/*``, ``javascript``, ``union`` (any case) or ``=``; none of these in the texts
    joined by ``#`` means no match in any of them (``#`` neither starts nor completes a match).
    Anything else (non-ASCII text) answers ``False``: check each text.
    """
    blob = "#".join(texts)
    if not blob.isascii() or _SUSPECT_ASCII.search(blob):
        return False
    low = blob.lower()
    return not any(part in low for part in ("--", "/*", "javascript", "union", "="))


# --- per-field coercion ----------------------------------------------------------------------


def _check_field(series: pd.Series, f: Field) -> tuple[pd.Series, list[Problem]]:
    # Each distinct cell is coerced and checked once (a 34,000-row file has a few hundred
    # distinct values in most columns), then the results are spread back over the rows.
    distinct, codes = _distinct(series)
    values, reasons = _check_values(distinct, f)
    problems: list[Problem] = []
    if reasons:
        rows = np.asarray(series.index)
        for i in np.flatnonzero(np.isin(codes, list(reasons))):
            problems.extend(Problem(int(rows[i]), f.column, message) for message in reasons[codes[i]])
    out = np.fromiter(values, dtype=object, count=len(values))[codes]
    if f.kind == "list" and len(distinct) < len(codes):  # every row its own list
        out = np.fromiter((list(v) for v in out), dtype=object, count=len(out))
    return pd.Series(out, index=series.index, dtype=object), problems


def _distinct(series: pd.Series) -> tuple[list[Any], np.ndarray]:
    """The distinct cells (missing ones as ``None``) and each row's position among them.

    Typed columns (Arrow text, numbers, dates) are factorised by pandas. Object columns are
    told apart by equality, so one mixing numeric types (``1``, ``1.0``, ``True``) or holding
    unhashable values (lists) keeps one entry per row.
    """
    if series.dtype != object:
        codes, uniques = pd.factorize(series)
        distinct = list(uniques.tolist())
    else:
        cells = series.tolist()
        kinds = set(map(type, cells))
        if len(kinds - {str, type(None)}) > 1 or any(k.__hash__ is None for k in kinds):
            return cells, np.arange(len(cells))
        position = {v: i for i, v in enumerate(dict.fromkeys(cells))}
        codes = np.fromiter(map(position.__getitem__, cells), dtype=np.intp, count=len(cells))
        distinct = list(position)
    missing = codes < 0
    if missing.any():
        codes = np.where(missing, len(distinct), codes)
        distinct.append(None)
    return distinct, codes


def _check_values(distinct: list[Any], f: Field) -> tuple[list[Any], dict[int, list[str]]]:
    """Coerce ``distinct`` cells to ``f``'s type; return the values and the problems by cell."""
    cells = [v if type(v) is str else (None if _missing(v) else v) for v in distinct]
    texts = [v.strip() if type(v) is str else _as_text(v) for v in cells]
    blank = [t is None or t == "" for t in texts]
    reasons: dict[int, list[str]] = {}
    if f.required:
        for i in np.flatnonzero(blank):
            reasons[int(i)] = [f"required field {f.column} ({f.label_zh}) is empty"]
    if f.kind == "text":
        formulas = [
            (i, why)
            for i, (c, t) in enumerate(zip(cells, texts, strict=True))
            if t and (why := formula_problem(c.lstrip(" ") if type(c) is str else t) or formula_problem(t))
        ]
        plain = _plain(f)
        texts = [tidy(plain, unquote(t)) if t else t for t in texts]
        values, found = _check_texts(texts, f)
        found += formulas
    elif f.kind == "list":
        values, bad = _lists([None if b else t for t, b in zip(texts, blank, strict=True)])
        found = [(i, "not a JSON list") for i in bad]
        for i, items in enumerate(values):  # the list's texts get the same checks
            why = {text_problem(x, f) for x in items if isinstance(x, str)} - {None}
            found += [(i, reason) for reason in sorted(why)]
    elif f.kind in {"int", "float"}:
        values, found = _check_numbers(cells, texts, blank, f)
    elif f.kind == "bool":
        values, found = [], []
        for i, (t, b) in enumerate(zip(texts, blank, strict=True)):
            low = None if b else t.lower()
            if low is not None and low not in _TRUE | _FALSE:
                found.append((i, f"not yes/no: {t!r} (是/否, true/false, 1/0)"))
            values.append(None if low is None else low in _TRUE)
    else:  # date / datetime
        values = _dates(pd.Series(cells, dtype=object)).tolist()
        found = [
            (i, f"not a date: {t!r} (use YYYY-MM-DD)")
            for i, (t, b, d) in enumerate(zip(texts, blank, values, strict=True))
            if not b and d is None
        ]
    for i, message in found:
        reasons.setdefault(i, []).append(message)
    return values, reasons


def _check_texts(texts: list, f: Field) -> tuple[list, list[tuple[int, str]]]:
    candidates = list(set(texts) - {None, ""})
    if _none_suspect(candidates):  # plain ASCII: only the length can be wrong
        limit = f.max_length
        long = limit is not None and bool(candidates) and max(map(len, candidates)) > limit
        why = {v: reason for v in candidates if long and (reason := _ordinary_text_problem(v, f))}
    else:
        why = {v: reason for v in candidates if (reason := text_problem(v, f)) is not None}
    if f.value_aliases or f.choices is not None or f.pattern:
        pattern = re.compile(f.pattern) if f.pattern else None
        stored: dict[str | None, str | None] = {None: None, "": None}
        for value in candidates:
            target = (
                f.value_aliases.get(value, f.value_aliases.get(value.lower(), value))
                if f.value_aliases
                else value
            )
            if value not in why and f.choices is not None and target not in f.choices:
                why[value] = f"{target!r} is not one of {', '.join(f.choices)}"
            if value not in why and pattern is not None and not pattern.match(target):
                why[value] = f"{target!r} does not match {f.pattern}"
            stored[value] = target
        values = [stored[t] for t in texts]
    else:
        values = [None if t == "" else t for t in texts]
    problems = [(i, why[t]) for i, t in enumerate(texts) if t in why] if why else []
    return values, problems


def _check_numbers(
    cells: list, texts: list, blank: list[bool], f: Field
) -> tuple[list, list[tuple[int, str]]]:
    contract = f.contract or Contract(f.kind, minimum=f.minimum, maximum=f.maximum)
    values: list[int | float | None] = []
    problems: list[tuple[int, str]] = []
    for i, (cell, t, b) in enumerate(zip(cells, texts, blank, strict=True)):
        if b:
            values.append(None)
            continue
        if isinstance(cell, np.generic):
            cell = cell.item()
        typed = isinstance(cell, int | float) and not isinstance(cell, bool)
        why, x = number_problem(contract, cell if typed else t)
        if why:
            problems.append((i, why))
        values.append(x)
    return values, problems


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (type(value) is float and value != value)


def _omap(series: pd.Series, func: Any) -> pd.Series:
    """``series.map(func)`` kept as an object Series with ``None`` for missing (no str-dtype NaN)."""
    return pd.Series([func(v) for v in series], index=series.index, dtype=object)


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, np.generic):
        return _as_text(value.item())
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, pd.Timestamp | date):
        return value.isoformat()[:10]
    return str(value).strip()


def _dates(raw: pd.Series) -> pd.Series:
    """Dates from ISO text in one vectorised pass; other spellings (2021/6/30, 2021年6月30日) one by one."""
    iso = pd.to_datetime(raw.astype(object), format="%Y-%m-%d", errors="coerce")
    out = pd.Series(iso.dt.date.to_numpy(dtype=object), index=raw.index, dtype=object).where(
        iso.notna(), None
    )
    for i in np.flatnonzero((iso.isna() & raw.notna()).to_numpy()):
        out.iat[i] = _as_date(raw.iat[i])
    return out


def _as_date(value: Any) -> date | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, date):
        return value if type(value) is date else value.date()
    text = str(value).strip().replace("/", "-").replace(".", "-")
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?|(\d{4})年(\d{1,2})月(\d{1,2})日", text)
    if not m:
        return None
    y, mo, d = (int(g) for g in (m.groups()[:3] if m.group(1) else m.groups()[3:]))
    try:
        return date(y, mo, d)
    except ValueError:
        return None


def _lists(texts: list[str | None]) -> tuple[list[list], list[int]]:
    out, bad = [], []
    for i, v in enumerate(texts):
        if v is None:
            out.append([])
            continue
        try:
            parsed = json.loads(v)
        except ValueError:
            parsed = [p.strip() for p in re.split(r"[;；,，]", v) if p.strip()]
        if not isinstance(parsed, list):
            bad.append(i)
            parsed = []
        out.append(parsed)
    return out, bad


def _type_names(geoms: np.ndarray) -> np.ndarray:
    ids = shapely.get_type_id(geoms)
    table = np.array(
        [
            "Point",
            "LineString",
            "LinearRing",
            "Polygon",
            "MultiPoint",
            "MultiLineString",
            "MultiPolygon",
            "GeometryCollection",
            "",
        ],
        dtype=object,
    )
    return table[np.where(ids < 0, 8, ids)]


def _to_store_type(geoms: np.ndarray, names: np.ndarray, store_type: str) -> np.ndarray:
    out = geoms.copy()
    if store_type == "MULTIPOLYGON":
        for i in np.flatnonzero(names == "Polygon"):
            out[i] = shapely.MultiPolygon([geoms[i]])
    elif store_type == "MULTILINESTRING":
        for i in np.flatnonzero(names == "LineString"):
            out[i] = shapely.MultiLineString([geoms[i]])
    elif store_type == "LINESTRING":
        for i in np.flatnonzero(names == "MultiLineString"):
            out[i] = shapely.get_geometry(geoms[i], 0)
    return out
