"""Reading measured marker positions from GNSS receiver exports (CSV or GPX), refusing unsafe input."""

from __future__ import annotations

import csv
import io
import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from xml.parsers import expat

from gis.crs import METRIC_SRID
from gis.crs import STORAGE_SRID
from gis.crs import in_extent
from gis.crs import transformer
from gis.errors import InvalidInput

MAX_BYTES = 10 * 1024 * 1024
MAX_POINTS = 5000
_NUMBER_COLS = ("number", "marker", "name", "point", "id", "界桩编号", "桩号", "点号", "点名")
_LON_COLS = ("lon", "longitude", "lng", "经度", "b_lon")
_LAT_COLS = ("lat", "latitude", "纬度")
_E_COLS = ("e", "easting", "x", "东坐标")
_N_COLS = ("n", "northing", "y", "北坐标")
_ELE_COLS = ("ele", "elevation", "height", "h", "高程")
_COND_COLS = ("condition", "状况")
_DMS = re.compile(r"^\s*(\d{1,3})[°度:\s]\s*(\d{1,2})['′分:\s]\s*(\d{1,2}(?:\.\d+)?)\s*[\"″秒]?\s*$")


@dataclass(frozen=True)
class Fix:
    """One measured point: marker number, CGCS2000 lon/lat, elevation (m), optional condition."""

    number: str
    lon: float
    lat: float
    elevation_m: float | None = None
    condition: str | None = None


def read_fixes(content: bytes, *, filename: str) -> list[Fix]:
    """Parse a GNSS export by its extension (``.csv`` or ``.gpx``); raise :class:`~gis.errors.InvalidInput` naming the row."""
    if len(content) > MAX_BYTES:
        raise InvalidInput(f"{filename}: larger than {MAX_BYTES} bytes")
    lower = filename.lower()
    if lower.endswith(".gpx"):
        return read_gpx(content, filename=filename)
    if lower.endswith((".csv", ".txt")):
        return read_csv(content, filename=filename)
    raise InvalidInput(f"{filename}: expected a .csv or .gpx file")


def read_csv(content: bytes, *, filename: str = "upload.csv") -> list[Fix]:
    """Read a CSV with a header: marker number, lon/lat (decimal or D°M′S″) or E/N in EPSG:4545, elevation."""
    text = _decode(content, filename)
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise InvalidInput(f"{filename}: empty file")
    header = [h.strip().lower() for h in rows[0]]
    col = {
        key: _find(header, names)
        for key, names in (
            ("number", _NUMBER_COLS),
            ("lon", _LON_COLS),
            ("lat", _LAT_COLS),
            ("e", _E_COLS),
            ("n", _N_COLS),
            ("ele", _ELE_COLS),
            ("cond", _COND_COLS),
        )
    }
    if col["number"] is None:
        raise InvalidInput(f"{filename}: no marker number column (one of {', '.join(_NUMBER_COLS)})")
    geographic = col["lon"] is not None and col["lat"] is not None
    if not geographic and (col["e"] is None or col["n"] is None):
        raise InvalidInput(f"{filename}: need lon/lat or E/N (EPSG:4545) columns")
    fixes = []
    for i, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        if len(row) < len(header):
            raise InvalidInput(f"{filename} row {i}: {len(row)} fields, header has {len(header)}")
        number = _clean_number(row[col["number"]], f"{filename} row {i}")
        if geographic:
            lon = _angle(row[col["lon"]], f"{filename} row {i} lon")
            lat = _angle(row[col["lat"]], f"{filename} row {i} lat")
        else:
            lon, lat = _from_metric(row[col["e"]], row[col["n"]], f"{filename} row {i}")
        ele = (
            _float(row[col["ele"]], f"{filename} row {i} elevation")
            if col["ele"] is not None and row[col["ele"]].strip()
            else None
        )
        cond = row[col["cond"]].strip() or None if col["cond"] is not None else None
        fixes.append(Fix(number, *_check_position(lon, lat, f"{filename} row {i}"), ele, cond))
        if len(fixes) > MAX_POINTS:
            raise InvalidInput(f"{filename}: more than {MAX_POINTS} points")
    if not fixes:
        raise InvalidInput(f"{filename}: no data rows")
    return fixes


def read_gpx(content: bytes, *, filename: str = "upload.gpx") -> list[Fix]:
    """Read GPX waypoints (``<wpt lat lon><name>NUMBER</name><ele>``); DTDs and entities are refused."""
    _refuse_dtd(content, filename)
    try:
        root = ET.fromstring(content)
    except ET.ParseError as exc:
        raise InvalidInput(f"{filename}: not well-formed XML ({exc})") from exc
    fixes = []
    for i, wpt in enumerate(el for el in root.iter() if _local(el.tag) == "wpt"):
        where = f"{filename} waypoint {i + 1}"
        name = next((c.text or "" for c in wpt if _local(c.tag) == "name"), "")
        ele_text = next((c.text for c in wpt if _local(c.tag) == "ele"), None)
        lat = _float(wpt.get("lat", ""), f"{where} lat")
        lon = _float(wpt.get("lon", ""), f"{where} lon")
        ele = _float(ele_text, f"{where} ele") if ele_text and ele_text.strip() else None
        fixes.append(Fix(_clean_number(name, where), *_check_position(lon, lat, where), ele))
        if len(fixes) > MAX_POINTS:
            raise InvalidInput(f"{filename}: more than {MAX_POINTS} waypoints")
    if not fixes:
        raise InvalidInput(f"{filename}: no <wpt> waypoints")
    return fixes


def _refuse_dtd(content: bytes, filename: str) -> None:
    """Run expat over the document and refuse any DOCTYPE, entity declaration or external reference."""
    parser = expat.ParserCreate()

    def refuse(*_args):
        raise InvalidInput(f"{filename}: DTDs and entity declarations are not accepted in GPX uploads")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    try:
        parser.Parse(content, True)
    except expat.ExpatError as exc:
        raise InvalidInput(f"{filename}: not well-formed XML ({exc})") from exc


def _decode(content: bytes, filename: str) -> str:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(enc)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            raise InvalidInput(f"{filename}: binary content (NUL bytes)")
        return text
    raise InvalidInput(f"{filename}: neither UTF-8 nor GB18030 text")


def _find(header: list[str], names: tuple[str, ...]) -> int | None:
    for name in names:
        if name in header:
            return header.index(name)
    return None


def _clean_number(value: str, where: str) -> str:
    v = (value or "").strip().upper()
    if not v or len(v) > 24 or not re.fullmatch(r"[0-9A-Z-]+", v):
        raise InvalidInput(f"{where}: marker number {value[:30]!r} is not a marker number")
    return v


def _float(value, where: str) -> float:
    try:
        f = float(str(value).strip())
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"{where}: {str(value)[:30]!r} is not a number") from exc
    if not math.isfinite(f):
        raise InvalidInput(f"{where}: not a finite number")
    return f


def _angle(value: str, where: str) -> float:
    m = _DMS.match(value or "")
    if m:
        d, mi, s = int(m[1]), int(m[2]), float(m[3])
        if mi >= 60 or s >= 60:
            raise InvalidInput(f"{where}: {value!r} has minutes or seconds over 60")
        return d + mi / 60 + s / 3600
    return _float(value, where)


def _from_metric(e: str, n: str, where: str) -> tuple[float, float]:
    x, y = _float(e, f"{where} E"), _float(n, f"{where} N")
    if 3_000_000 < x < 6_000_000 and 100_000 < y < 900_000:
        raise InvalidInput(f"{where}: E and N look swapped ({x}, {y})")
    lon, lat = transformer(METRIC_SRID, STORAGE_SRID).transform(x, y)
    return lon, lat


def _check_position(lon: float, lat: float, where: str) -> tuple[float, float]:
    if in_extent(lon, lat):
        return lon, lat
    if in_extent(lat, lon):
        raise InvalidInput(f"{where}: longitude and latitude look swapped ({lon}, {lat})")
    raise InvalidInput(f"{where}: ({lon}, {lat}) is outside the Wuhai area")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""
