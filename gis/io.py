"""Reading and writing GIS files: GeoJSON, GeoPackage, Shapefile, CSV and Excel, always in EPSG:4490.

Reading detects the format from the file name, the text encoding of Shapefile ``.dbf`` and CSV
files (UTF-8, UTF-8 with BOM, GBK/CP936), the coordinate columns of CSV/Excel tables and the CRS;
it refuses a file without a CRS unless one is given, converts GCJ-02 (``crs='gcj02'``) through
:mod:`gis.gcj02` and reprojects everything else with pyproj. Row-level checks (extent, swapped
axes, geometry validity) are left to the caller, which reports them per row
(:func:`extent_problems` helps).
"""

from __future__ import annotations

import codecs
import csv
import importlib.util
import io
import struct
import warnings
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from gis import gcj02
from gis.crs import STORAGE_CRS
from gis.crs import STORAGE_SRID
from gis.crs import WUHAI_EXTENT
from gis.errors import InvalidInput

#: File formats by name, with their suffixes and GDAL drivers.
FORMATS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "geojson": ((".geojson", ".json"), "GeoJSON"),
    "gpkg": ((".gpkg",), "GPKG"),
    "shp": ((".shp",), "ESRI Shapefile"),
    "csv": ((".csv", ".txt"), None),
    "xlsx": ((".xlsx",), None),
}
#: Pseudo-CRS accepted wherever a CRS is given: AMap/Tencent "Mars" coordinates.
GCJ02 = "gcj02"

LON_NAMES = ("lon", "lng", "long", "longitude", "x", "经度", "东经", "x坐标", "横坐标")
LAT_NAMES = ("lat", "latitude", "y", "纬度", "北纬", "y坐标", "纵坐标")
WKT_NAMES = ("wkt", "geometry", "geom", "the_geom", "shape", "几何", "坐标串")


_STORAGE_CODE = f"EPSG:{STORAGE_SRID}"
#: pyogrio reads several times faster through Arrow when pyarrow is installed (optional).
_HAS_ARROW = importlib.util.find_spec("pyarrow") is not None


class FileError(InvalidInput):
    """A problem with the file as a whole (format, encoding, CRS), not with one row."""


@dataclass
class ReadResult:
    """A file read into the storage CRS, with what was detected on the way."""

    gdf: gpd.GeoDataFrame
    format: str
    source_crs: str
    encoding: str | None = None
    notes: list[str] = field(default_factory=list)


def detect_format(path: str | Path) -> str:
    """The format name of ``path`` from its suffix (``'geojson'``, ``'gpkg'``, ``'shp'``, ``'csv'``, ``'xlsx'``)."""
    suffix = Path(path).suffix.lower()
    for name, (suffixes, _driver) in FORMATS.items():
        if suffix in suffixes:
            return name
    raise FileError(
        f"{Path(path).name}: unsupported file type {suffix or '(none)'}; use one of {', '.join(FORMATS)}"
    )


def parse_crs(value: str | int | CRS | None) -> CRS | str | None:
    """A pyproj CRS from ``'EPSG:4545'``, ``4545``, WKT..., or ``'gcj02'``; ``None`` stays ``None``."""
    if value is None or isinstance(value, CRS):
        return value
    text = str(value).strip()
    if text.lower().replace("-", "") in {GCJ02, "gcj", "mars", "amap"}:
        return GCJ02
    if text.isdigit():
        text = f"EPSG:{text}"
    try:
        return CRS.from_user_input(text)
    except CRSError as exc:
        raise FileError(f"unknown CRS {value!r}: {exc}") from exc


def read_vector(
    path: str | Path,
    *,
    crs: str | int | CRS | None = None,
    encoding: str | None = None,
    layer: str | None = None,
) -> ReadResult:
    """Read a GIS file and return its features in the storage CRS (EPSG:4490).

    Parameters
    ----------
    path
        A ``.geojson``, ``.gpkg``, ``.shp``, ``.csv`` or ``.xlsx`` file.
    crs
        The CRS of the data when the file has none (required then), or to override a wrong one;
        ``'gcj02'`` for AMap/Tencent coordinates.
    encoding
        Text encoding of a ``.dbf`` or CSV; detected when omitted.
    layer
        Layer of a multi-layer GeoPackage (default: the only or first layer).

    Returns
    -------
    ReadResult
        The GeoDataFrame (geometry column ``geometry``, original columns, index = row number
        counted from 1 as a person sees it), the detected format, source CRS and encoding.

    Raises
    ------
    FileError
        Unreadable, truncated or empty file, undecodable text, no CRS.
    """
    path = Path(path)
    if not path.exists():
        raise FileError(f"{path}: no such file")
    fmt = detect_format(path)
    given = parse_crs(crs)
    notes: list[str] = []
    if fmt in {"csv", "xlsx"}:
        frame, used_encoding = _read_csv(path, encoding) if fmt == "csv" else (_read_xlsx(path), None)
        gdf = _table_to_gdf(frame, path.name)
        file_crs = None
    else:
        used_encoding = None
        if fmt == "shp":
            used_encoding = encoding or detect_dbf_encoding(path)
            if not path.with_suffix(".cpg").exists() and encoding is None:
                notes.append(f"no .cpg: .dbf encoding detected as {used_encoding}")
        elif encoding:
            used_encoding = encoding
        gdf = _read_ogr(path, layer=layer, encoding=used_encoding, messages=notes)
        file_crs = gdf.crs
    if given is None and file_crs is None:
        raise FileError(
            f"{path.name}: the data has no coordinate reference system; give one with --crs "
            "(e.g. EPSG:4490 for CGCS2000, EPSG:4326 for GPS/WGS84, gcj02 for AMap/Tencent)"
        )
    if given is not None and file_crs is not None and not isinstance(given, str) and file_crs != given:
        notes.append(f"file CRS {file_crs.to_string()} overridden by {given.to_string()}")
    source = given if given is not None else file_crs
    gdf = _to_storage(gdf, source)
    gdf.index = pd.RangeIndex(1, len(gdf) + 1, name="row")
    return ReadResult(
        gdf=gdf,
        format=fmt,
        source_crs=source if isinstance(source, str) else source.to_string(),
        encoding=used_encoding,
        notes=notes,
    )


def detect_dbf_encoding(path: str | Path) -> str:
    """The encoding of a Shapefile's ``.dbf`` text: the ``.cpg`` if present and right, else UTF-8 or GBK.

    Every character field of every record is decoded strictly; GBK is tried as ``gb18030``
    (its superset) and reported as ``'GBK'``.

    Raises
    ------
    FileError
        If the bytes fit neither UTF-8 nor GBK, or contradict the ``.cpg``; names the row and field.
    """
    path = Path(path)
    dbf = path.with_suffix(".dbf")
    if not dbf.exists():
        dbf = path.with_suffix(".DBF")
    if not dbf.exists():
        raise FileError(f"{path.name}: the .dbf file is missing")
    cells = list(_dbf_text_cells(dbf))
    cpg = path.with_suffix(".cpg")
    declared = _cpg_encoding(cpg) if cpg.exists() else None
    candidates = [declared] if declared else ["utf-8", "gb18030"]
    for candidate in candidates:
        bad = _first_undecodable(cells, candidate)
        if bad is None:
            return "GBK" if candidate == "gb18030" else ("UTF-8" if candidate == "utf-8" else candidate)
    row, name, _raw = bad
    if declared:
        hint = (
            " (the bytes look like GBK: pass --encoding gbk)"
            if _first_undecodable(cells, "gb18030") is None
            else ""
        )
        raise FileError(
            f"{path.name}: row {row} field {name}: bytes are not valid {declared} as declared by the .cpg{hint}"
        )
    raise FileError(f"{path.name}: row {row} field {name}: text is neither UTF-8 nor GBK (undecodable bytes)")


def extent_problems(
    geoms: np.ndarray | gpd.GeoSeries, *, extent: tuple[float, float, float, float] = WUHAI_EXTENT
) -> tuple[np.ndarray, np.ndarray]:
    """Per-geometry flags ``(outside, swapped)`` against ``extent`` (lon/lat in EPSG:4490).

    ``outside`` is true where the geometry's box is not inside ``extent``; ``swapped`` is true where
    it is outside but would be inside with x and y exchanged (latitude given as longitude).
    Missing or empty geometries are flagged neither way.
    """
    arr = np.asarray(geoms, dtype=object)
    bounds = shapely.bounds(arr)
    minx, miny, maxx, maxy = extent
    with np.errstate(invalid="ignore"):
        inside = (
            (bounds[:, 0] >= minx) & (bounds[:, 2] <= maxx) & (bounds[:, 1] >= miny) & (bounds[:, 3] <= maxy)
        )
        swapped_inside = (
            (bounds[:, 1] >= minx) & (bounds[:, 3] <= maxx) & (bounds[:, 0] >= miny) & (bounds[:, 2] <= maxy)
        )
    known = ~np.isnan(bounds).any(axis=1)
    outside = known & ~inside
    return outside & ~swapped_inside, outside & swapped_inside


def write_vector(
    gdf: gpd.GeoDataFrame,
    path: str | Path,
    *,
    fmt: str | None = None,
    layer: str | None = None,
    csv_geometry: str = "auto",
) -> list[Path]:
    """Write ``gdf`` (any CRS; written as EPSG:4490) to ``path``; return the files written.

    Parameters
    ----------
    gdf
        Features with a CRS; text columns may hold Chinese.
    path
        Output file; its suffix gives the format unless ``fmt`` is set.
    fmt
        ``'gpkg'``, ``'geojson'``, ``'shp'`` (with a UTF-8 ``.cpg``), ``'csv'`` (UTF-8 with BOM so
        Excel shows Chinese) or ``'xlsx'`` (header row, then one row per feature).
    layer
        Layer name inside a GeoPackage (default: the file stem).
    csv_geometry
        For CSV/XLSX: ``'lonlat'`` (points only), ``'wkt'`` or ``'auto'`` (lon/lat when every
        geometry is a point, else WKT).
    """
    if gdf.crs is None:
        raise ValueError("cannot write features without a CRS")
    path = Path(path)
    fmt = fmt or detect_format(path)
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    out = gdf if gdf.crs.to_string() == _STORAGE_CODE else gdf.to_crs(STORAGE_CRS)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt in {"csv", "xlsx"}:
        table = _with_text_geometry(out, csv_geometry)
        if fmt == "csv":
            table.to_csv(path, index=False, encoding="utf-8-sig", quoting=csv.QUOTE_MINIMAL)
        else:
            _write_xlsx(table, path, sheet=layer or path.stem)
        return [path]
    _suffixes, driver = FORMATS[fmt]
    if fmt == "shp":
        for suffix in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
            path.with_suffix(suffix).unlink(missing_ok=True)
        pyogrio.write_dataframe(out, path, driver=driver, encoding="UTF-8")
        # GDAL writes a .cpg for UTF-8 already; make sure of it for every GDAL version.
        path.with_suffix(".cpg").write_text("UTF-8", encoding="ascii")
        return [path.with_suffix(s) for s in (".shp", ".shx", ".dbf", ".prj", ".cpg")]
    path.unlink(missing_ok=True)
    pyogrio.write_dataframe(out, path, driver=driver, layer=layer or (path.stem if fmt == "gpkg" else None))
    return [path]


# --- reading helpers -------------------------------------------------------------------------


def _read_ogr(
    path: Path, *, layer: str | None, encoding: str | None, messages: list[str]
) -> gpd.GeoDataFrame:
    """Read through GDAL; GDAL's warnings (e.g. an unreadable geometry) are appended to ``messages``."""
    try:
        if layer is None and path.suffix.lower() == ".gpkg":
            layers = pyogrio.list_layers(path)
            if len(layers) == 0:
                raise FileError(f"{path.name}: the GeoPackage holds no layer")
            layer = str(layers[0][0])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            gdf = pyogrio.read_dataframe(
                path, layer=layer, encoding=encoding, on_invalid="ignore", use_arrow=_HAS_ARROW
            )
        messages.extend(f"GDAL: {_first_line(w.message)}" for w in caught)
    except FileError:
        raise
    except Exception as exc:  # GDAL's errors: truncated, garbage, missing sidecar files
        raise FileError(
            f"{path.name}: cannot read the file ({_first_line(exc)}); is it truncated or not a GIS file?"
        ) from exc
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name is None:
        raise FileError(f"{path.name}: no geometry column")
    if len(gdf) == 0:
        raise FileError(f"{path.name}: the file holds no features")
    return gdf.rename_geometry("geometry") if gdf.geometry.name != "geometry" else gdf


def _read_csv(path: Path, encoding: str | None) -> tuple[pd.DataFrame, str]:
    raw = path.read_bytes()
    if not raw.strip():
        raise FileError(f"{path.name}: the file is empty")
    if b"\x00" in raw[:4096]:
        raise FileError(f"{path.name}: binary data, not a CSV text file")
    if encoding:
        used = encoding
    elif raw.startswith(codecs.BOM_UTF8):
        used = "utf-8-sig"
    else:
        used = "utf-8" if _decodes(raw, "utf-8") else ("gb18030" if _decodes(raw, "gb18030") else "")
        if not used:
            line = _first_bad_line(raw)
            raise FileError(f"{path.name}: line {line}: text is neither UTF-8 nor GBK (undecodable bytes)")
    try:
        text = raw.decode(used)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise FileError(f"{path.name}: line {line}: bytes are not valid {used}") from exc
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise FileError(f"{path.name}: malformed CSV ({_first_line(exc)})") from exc
    label = {"gb18030": "GBK", "utf-8-sig": "UTF-8-BOM", "utf-8": "UTF-8"}.get(used, used)
    return frame.replace({"": None}), label


def _read_xlsx(path: Path) -> pd.DataFrame:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zipfile/openpyxl errors on truncated or foreign files
        raise FileError(f"{path.name}: cannot read the Excel workbook ({_first_line(exc)})") from exc
    try:
        rows = [
            r for r in wb.worksheets[0].iter_rows(values_only=True) if any(v not in (None, "") for v in r)
        ]
    finally:
        wb.close()
    if len(rows) < 2:
        raise FileError(f"{path.name}: the first sheet needs a header row and at least one data row")
    header = [("" if h is None else str(h).strip()) for h in rows[0]]
    body = [list(r) + [None] * (len(header) - len(r)) for r in rows[1:]]
    frame = pd.DataFrame([r[: len(header)] for r in body], columns=header, dtype=object)
    return frame.drop(columns=[c for c in frame.columns if c == ""])


def _table_to_gdf(frame: pd.DataFrame, name: str) -> gpd.GeoDataFrame:
    lower = {str(c).strip().lower(): c for c in frame.columns}
    lon = next((lower[n] for n in LON_NAMES if n in lower), None)
    lat = next((lower[n] for n in LAT_NAMES if n in lower), None)
    wkt = next((lower[n] for n in WKT_NAMES if n in lower), None)
    if lon is not None and lat is not None:
        xs = _numbers(frame[lon])
        ys = _numbers(frame[lat])
        missing = xs.isna() & frame[lon].isna() | ys.isna() & frame[lat].isna()
        geoms = shapely.points(xs.to_numpy(float), ys.to_numpy(float))
        geoms = np.where(missing.to_numpy(), None, geoms)
        rest = frame.drop(columns=[lon, lat])
    elif wkt is not None:
        texts = frame[wkt].astype(object).where(frame[wkt].notna(), None)
        geoms = shapely.from_wkt(texts.to_numpy(), on_invalid="ignore")
        rest = frame.drop(columns=[wkt])
    else:
        raise FileError(
            f"{name}: no coordinate columns; expected lon/lat (经度/纬度, x/y, lng/lat...) or a WKT column "
            f"(found: {', '.join(map(str, frame.columns))})"
        )
    return gpd.GeoDataFrame(rest, geometry=gpd.GeoSeries(geoms, index=frame.index), crs=None)


def _numbers(series: pd.Series) -> pd.Series:
    """Numbers from text or cells; unparseable text becomes NaN (reported as NaN coordinates)."""
    return pd.to_numeric(
        series.astype(object).map(lambda v: str(v).strip() if v is not None else None), errors="coerce"
    )


def _to_storage(gdf: gpd.GeoDataFrame, source: CRS | str) -> gpd.GeoDataFrame:
    if isinstance(source, str):  # GCJ02 (a CRS object is never compared with a string: slow in pyproj)
        geoms = gdf.geometry.to_numpy()
        converted = shapely.transform(
            geoms, lambda xy: np.column_stack(gcj02.gcj02_to_wgs84(xy[:, 0], xy[:, 1]))
        )
        out = gdf.set_geometry(gpd.GeoSeries(converted, index=gdf.index, crs="EPSG:4326"), crs="EPSG:4326")
        return out.to_crs(STORAGE_CRS)
    out = gdf.set_crs(source, allow_override=True)
    if isinstance(source, CRS) and source.to_string() == _STORAGE_CODE:
        return out  # already in the storage CRS: skip pyproj's (slow) equality test and transform
    return out.to_crs(STORAGE_CRS)


def _dbf_text_cells(dbf: Path):
    """Yield ``(row, field, raw bytes)`` for every character field of a .dbf (row counted from 1)."""
    data = dbf.read_bytes()
    if len(data) < 32:
        raise FileError(f"{dbf.name}: truncated .dbf header")
    n_records, header_len, record_len = struct.unpack("<IHH", data[4:12])
    fields = []
    offset = 1  # deletion flag
    pos = 32
    while pos + 32 <= header_len and data[pos] != 0x0D:
        name = data[pos : pos + 11].split(b"\x00")[0].decode("ascii", "replace")
        ftype = chr(data[pos + 11])
        flen = data[pos + 16]
        fields.append((name, ftype, offset, flen))
        offset += flen
        pos += 32
    if header_len + n_records * record_len > len(data) + 1:
        raise FileError(f"{dbf.name}: truncated .dbf ({n_records} records announced, file too short)")
    for i in range(n_records):
        start = header_len + i * record_len
        record = data[start : start + record_len]
        for name, ftype, off, flen in fields:
            if ftype == "C":
                cell = record[off : off + flen].rstrip(b" \x00")
                if cell:
                    yield i + 1, name, cell


def _cpg_encoding(cpg: Path) -> str | None:
    text = cpg.read_text(encoding="ascii", errors="replace").strip().lower()
    if not text:
        return None
    aliases = {
        "utf8": "utf-8",
        "utf-8": "utf-8",
        "gbk": "gb18030",
        "cp936": "gb18030",
        "936": "gb18030",
        "gb2312": "gb18030",
        "gb18030": "gb18030",
        "65001": "utf-8",
    }
    return aliases.get(text, text)


def _first_undecodable(cells: list[tuple[int, str, bytes]], encoding: str) -> tuple[int, str, bytes] | None:
    for cell in cells:
        try:
            cell[2].decode(encoding)
        except (UnicodeDecodeError, LookupError):
            return cell
    return None


def _decodes(raw: bytes, encoding: str) -> bool:
    try:
        raw.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _first_bad_line(raw: bytes) -> int:
    for number, line in enumerate(raw.split(b"\n"), start=1):
        if not (_decodes(line, "utf-8") or _decodes(line, "gb18030")):
            return number
    return 1


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


# --- writing helpers -------------------------------------------------------------------------


def _with_text_geometry(gdf: gpd.GeoDataFrame, mode: str) -> pd.DataFrame:
    geoms = gdf.geometry.to_numpy()
    points = bool(len(geoms)) and bool(np.all(shapely.get_type_id(geoms) == 0))
    if mode == "lonlat" and not points:
        raise ValueError("lon/lat columns need point geometries; use WKT")
    table = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    if mode == "lonlat" or (mode == "auto" and points):
        table.insert(0, "lat", np.round(shapely.get_y(geoms), 8))
        table.insert(0, "lon", np.round(shapely.get_x(geoms), 8))
    else:
        table["wkt"] = shapely.to_wkt(geoms, rounding_precision=8, trim=True)
    return table


def _write_xlsx(table: pd.DataFrame, path: Path, *, sheet: str) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=sheet[:31] or "data")
    ws.append([str(c) for c in table.columns])
    for row in table.itertuples(index=False):
        ws.append([_cell(v) for v in row])
    wb.save(path)


def _cell(value):
    if value is None or (not isinstance(value, list | dict | str) and pd.isna(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, list | dict):
        import json

        return json.dumps(value, ensure_ascii=False)
    return value
