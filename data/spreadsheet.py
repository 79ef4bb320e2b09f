"""Layers as spreadsheets an officer opens in Excel, WPS or LibreOffice, and back.

Writing: codes stay text, values and headers are translated under ``labels='zh'``, lists are
joined with ``；``, dates are real dates, text that a spreadsheet would run as a formula is
prefixed with a quote (OWASP's advice against CSV injection), points get ``lon``/``lat``
columns and other geometries a ``wkt`` column. A WKT too long for a cell is written to a
companion GeoPackage beside the file, its cell naming that file. Every row carries its ``id``
and ``version`` (so an edited copy can be applied with ``import --update``) and a ``crs``
column, so the file is read back without ``--crs``.

Reading: :func:`scan` refuses what the generic reader would misread (a repeated column, merged
cells, formulas without a value, a file with no rows) before the rows are validated.
"""

from __future__ import annotations

import csv
import math
import re
from datetime import date
from datetime import datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from data.layers import Field
from data.layers import Layer
from gis.crs import STORAGE_SRID
from gis.errors import InvalidInput
from gis.text import FORMULA_START
from gis.text import formula_problem as text_formula_problem

#: Characters that make a spreadsheet treat a cell as a formula (OWASP CSV injection).
#: The most characters an Excel cell holds.
MAX_CELL = 32767
#: Header of the column naming the coordinates' CRS, and its value.
CRS_COLUMN = "crs"
CRS_VALUE = f"EPSG:{STORAGE_SRID}"
#: Marker at the start of a geometry cell whose WKT is in the companion GeoPackage.
COMPANION_MARK = "geometry in "
#: Headers of the bookkeeping columns, in English and Chinese.
EXTRA_LABELS = {
    "id": "记录ID",
    "version": "版本",
    "updated_at": "更新时间",
    CRS_COLUMN: "坐标系",
    "lon": "经度",
    "lat": "纬度",
    "wkt": "几何",
}
_BOOL_TEXT = {"zh": ("是", "否"), "en": ("true", "false")}
_LONG_DIGITS = re.compile(r"^\d{11,}$|^0\d+$")
_QUOTED_DIGITS = re.compile(r'^="(\d+)"$')
_NUMBER = re.compile(r"^[-+]?\d+(?:\.\d+)?$")


def companion_path(path: str | Path) -> Path:
    """The GeoPackage holding the geometries too long for the cells of ``path``."""
    path = Path(path)
    return path.with_name(f"{path.stem}.geometry.gpkg")


def spreadsheet_table(
    lyr: Layer, gdf: gpd.GeoDataFrame, path: str | Path, *, labels: str = "en"
) -> tuple[pd.DataFrame, dict[str, str], gpd.GeoDataFrame | None]:
    """The rows of ``gdf`` (from :func:`data.exporter.layer_frame`) as a sheet written to ``path``.

    Returns the table (headers in ``labels``), the kind of each column (``text``, ``code``,
    ``date``, ``datetime``, ``number``, ``bool``) and the rows whose WKT does not fit a cell
    (``id`` and geometry, for :func:`companion_path`), or ``None``.
    """
    geoms = gdf.geometry.to_numpy()
    points = bool(len(geoms)) and bool(np.all(shapely.get_type_id(geoms) == 0))
    table = pd.DataFrame(index=gdf.index)
    kinds: dict[str, str] = {}
    overflow = None
    if points:
        table["lon"] = np.round(shapely.get_x(geoms), 8)
        table["lat"] = np.round(shapely.get_y(geoms), 8)
        kinds["lon"] = kinds["lat"] = "number"
    if "id" in gdf:
        table["id"] = gdf["id"]
        kinds["id"] = "number"
    for f in lyr.fields:
        if f.column not in gdf:
            continue
        table[f.column] = [_value(f, v, labels) for v in gdf[f.column]]
        kinds[f.column] = _kind(f, lyr)
    for column, kind in (("version", "number"), ("updated_at", "datetime")):
        if column in gdf:
            table[column] = gdf[column].astype(object).where(gdf[column].notna(), None)
            kinds[column] = kind
    if not points:
        wkt = shapely.to_wkt(geoms, rounding_precision=8, trim=True)
        too_long = np.fromiter((w is not None and len(w) > MAX_CELL for w in wkt), bool, len(wkt))
        if too_long.any():
            if "id" not in gdf:
                rows = ", ".join(str(i + 1) for i in np.flatnonzero(too_long)[:10])
                raise InvalidInput(
                    f"rows {rows}: geometry too long for a spreadsheet cell; export to gpkg", field="geometry"
                )
            overflow = gpd.GeoDataFrame(
                {"id": gdf["id"].to_numpy()[too_long]}, geometry=geoms[too_long], crs=gdf.crs
            )
        table["wkt"] = list(wkt)
        kinds["wkt"] = "text"
    table[CRS_COLUMN] = CRS_VALUE
    kinds[CRS_COLUMN] = "text"
    table = table.reset_index(drop=True)
    if overflow is not None:
        table.loc[np.flatnonzero(too_long), "wkt"] = COMPANION_MARK + companion_path(path).name
    if labels == "zh":
        names = {f.column: f.label_zh for f in lyr.fields} | EXTRA_LABELS
        table = table.rename(columns=names)
        kinds = {names.get(c, c): k for c, k in kinds.items()}
    return table, kinds, overflow


def write_csv(table: pd.DataFrame, kinds: dict[str, str], path: Path) -> None:
    """UTF-8 with BOM; long digit codes as ``="..."`` so Excel keeps them as text; formulas quoted."""
    out = table.copy()
    for column, kind in kinds.items():
        if kind in ("text", "code"):
            out[column] = [_csv_text(v, kind) for v in out[column]]
        elif kind in ("date", "datetime"):
            out[column] = [None if _blank(v) else _iso(v) for v in out[column]]
    out.to_csv(path, index=False, encoding="utf-8-sig", quoting=csv.QUOTE_MINIMAL)


def write_xlsx(table: pd.DataFrame, kinds: dict[str, str], path: Path, *, sheet: str) -> None:
    """An XLSX sheet with column widths, a frozen header, an autofilter and real dates."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=sheet[:31] or "data")
    columns = list(table.columns)
    for i, column in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = _width(column, table[column])
    ws.freeze_panes = "A2"
    last = get_column_letter(max(len(columns), 1))
    ws.auto_filter.ref = f"A1:{last}{len(table) + 1}"
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(ws, value=str(column))
        cell.font = bold
        header.append(cell)
    ws.append(header)
    formats = {"code": "@", "date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm:ss"}
    styled = [formats.get(kinds.get(c, "text")) for c in columns]
    column_kinds = [kinds.get(c, "text") for c in columns]
    for row in table.itertuples(index=False):
        cells: list[Any] = []
        for value, kind, fmt in zip(row, column_kinds, styled, strict=True):
            value = _xlsx_value(value, kind)
            if fmt is not None and value is not None:
                cell = WriteOnlyCell(ws, value=value)
                cell.number_format = fmt
                value = cell
            cells.append(value)
        ws.append(cells)
    wb.save(path)


def scan(path: Path, *, max_bytes: int | None = None) -> tuple[list[str], str | None]:
    """Check a CSV/XLSX before it is read; return its header and the value of its ``crs`` column.

    Raises :class:`~gis.errors.InvalidInput` naming the row and reason for a file over
    ``max_bytes``, a repeated column, merged cells, a formula without a cached value, no rows.
    """
    size = path.stat().st_size
    if max_bytes is not None and size > max_bytes:
        raise InvalidInput(
            f"{path.name}: {size} bytes, more than the limit of {max_bytes} (IMPORT_MAX_BYTES)",
            field="file",
            row=0,
        )
    if path.suffix.lower() == ".xlsx":
        header, first = _scan_xlsx(path)
    else:
        header, first = _scan_csv(path)
    if header is None:
        return [], None
    seen: dict[str, int] = {}
    for i, name in enumerate(header, start=1):
        key = str(name).strip().lower()
        if key and key in seen:
            raise InvalidInput(
                f"{path.name}: column {name!r} appears twice (columns {seen[key]} and {i})",
                field=str(name),
                row=1,
            )
        seen[key] = i
    if first is None:
        raise InvalidInput(f"{path.name}: the file has a header but no rows", field="file", row=1)
    crs = None
    for label in (CRS_COLUMN, EXTRA_LABELS[CRS_COLUMN]):
        if label in seen and seen[label] - 1 < len(first):
            value = first[seen[label] - 1]
            crs = str(value).strip() if value not in (None, "") else None
    return [str(h) for h in header], crs


def unquote(text: str) -> str:
    """A cell written by :func:`write_csv`/:func:`write_xlsx` back to its stored text."""
    m = _QUOTED_DIGITS.match(text)
    if m:
        return m.group(1)
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_START:
        return text[1:]
    return text


def formula_problem(text: str) -> str | None:
    """Why a cell's text would run as a spreadsheet formula (``None`` too for our own quoted codes)."""
    if text and _QUOTED_DIGITS.match(text):
        return None
    return text_formula_problem(text)


# --- helpers ---------------------------------------------------------------------------------


def _kind(f: Field, lyr: Layer) -> str:
    if f.kind == "text" and (f.pattern or f.name in lyr.key or f.name.endswith("code")):
        return "code"
    return {"int": "number", "float": "number", "date": "date", "datetime": "datetime", "bool": "bool"}.get(
        f.kind, "text"
    )


def _value(f: Field, value: Any, labels: str) -> Any:
    if _blank(value):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if f.kind == "bool":
        yes, no = _BOOL_TEXT[labels]
        return yes if value else no
    if f.kind == "list":
        items = value if isinstance(value, list) else [value]
        return "；".join(str(v) for v in items) or None
    if isinstance(value, dict):
        return None
    if labels == "zh" and f.value_aliases and isinstance(value, str):
        return _label_of(f).get(value, value)
    return value


def _label_of(f: Field) -> dict[str, str]:
    """Stored value -> its first Chinese spelling among the field's value aliases."""
    out: dict[str, str] = {}
    for spelling, stored in f.value_aliases.items():
        if not spelling.isascii():
            out.setdefault(stored, spelling)
    return out


def _blank(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    return value.isoformat() if isinstance(value, date) else str(value)


def _csv_text(value: Any, kind: str) -> Any:
    if _blank(value):
        return None
    text = str(value)
    if kind == "code" and _LONG_DIGITS.match(text):
        return f'="{text}"'
    return _quote_formula(text)


def _quote_formula(text: str) -> str:
    if text and text[0] in FORMULA_START and not _NUMBER.match(text):
        return "'" + text
    return text


def _xlsx_value(value: Any, kind: str) -> Any:
    if _blank(value):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if kind in ("text", "code"):
        return _quote_formula(str(value))
    if kind == "datetime" and isinstance(value, datetime):
        return (
            pd.Timestamp(value).tz_convert("UTC").tz_localize(None).to_pydatetime() if value.tzinfo else value
        )
    if kind == "bool" and isinstance(value, str):
        return value
    return value


def _width(column: str, values: pd.Series) -> float:
    sample = [str(column), *(str(v) for v in values.head(200) if not _blank(v))]
    longest = max(sum(2 if ord(ch) > 0x2E7F else 1 for ch in s[:80]) for s in sample)
    return float(min(max(longest + 2, 8), 60))


def _scan_xlsx(path: Path) -> tuple[list | None, list | None]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, data_only=False)
        values = load_workbook(path, data_only=True, read_only=True)
    except Exception:  # the reader names what is wrong with an unreadable workbook
        return None, None
    try:
        ws = wb.worksheets[0]
        cached = values.worksheets[0]
        for merged in ws.merged_cells.ranges:
            raise InvalidInput(
                f"{path.name}: merged cells {merged.coord} (row {merged.min_row}); unmerge them and fill every cell",
                field=str(ws.cell(1, merged.min_col).value or merged.coord),
                row=max(merged.min_row - 1, 1),
            )
        rows = [r for r in ws.iter_rows() if any(c.value not in (None, "") for c in r)]
        if not rows:
            return None, None
        header = [c.value for c in rows[0]]
        formulas = [c for r in rows[1:] for c in r if c.data_type == "f"]
        if formulas:
            lookup = {(r[0].row, c.column): c.value for r in cached.iter_rows() for c in r if r}
            for c in formulas:
                if lookup.get((c.row, c.column)) in (None, ""):
                    raise InvalidInput(
                        f"{path.name}: row {c.row - 1} column {header[c.column - 1]!r}: a formula "
                        f"({str(c.value)[:40]}) without a saved value; save the file in Excel or paste values",
                        field=str(header[c.column - 1]),
                        row=c.row - 1,
                    )
        first = [c.value for c in rows[1]] if len(rows) > 1 else None
        return header, first
    finally:
        wb.close()
        values.close()


def _scan_csv(path: Path) -> tuple[list | None, list | None]:
    raw = path.read_bytes()[:65536]
    for codec in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(codec)
            break
        except UnicodeDecodeError as exc:  # a multi-byte character cut at the sample's end
            if exc.start >= len(raw) - 4:
                text = raw[: exc.start].decode(codec)
                break
    else:
        return None, None
    rows = [r for r in csv.reader(text.splitlines()[:3]) if any(v.strip() for v in r)]
    if not rows:
        return None, None
    return rows[0], rows[1] if len(rows) > 1 else None
