"""Exporting a layer to GPKG, GeoJSON, Shapefile, CSV or XLSX, optionally filtered by field values or district."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from datetime import date
from datetime import datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from sqlalchemy import Boolean
from sqlalchemy import Integer
from sqlalchemy import and_
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from boundaries.divisions import find_division
from boundaries.models import Division
from data.layers import Layer
from data.layers import get_layer
from data.spreadsheet import companion_path
from data.spreadsheet import spreadsheet_table
from data.spreadsheet import write_csv
from data.spreadsheet import write_xlsx
from data.styles import add_styles
from gis.crs import STORAGE_CRS
from gis.dialects import bbox_filter
from gis.errors import InvalidInput
from gis.io import FORMATS
from gis.io import FileError
from gis.io import detect_format
from gis.io import write_vector
from gis.rows import geometry_of

#: Digits of a statistical code that identify each level (province, city, district, town, community).
_CODE_LEVELS = (2, 4, 6, 9, 12)


def parse_where(layer: Layer, expressions: list[str] | tuple[str, ...]) -> dict[str, list[Any]]:
    """Parse ``field=value[,value...]`` filters into ``{field name: [stored values]}``.

    Field names may be any alias the layer accepts (e.g. ``类型=门牌``); values go through the
    field's value aliases. Raises :class:`~gis.errors.InvalidInput` on unknown fields and values
    that are not of the field's kind.
    """
    filters: dict[str, list[Any]] = {}
    for expression in expressions:
        name, sep, raw = expression.partition("=")
        if not sep:
            raise InvalidInput(f"filter {expression!r}: use field=value", field="where")
        mapping, unknown = layer.match_columns([name.strip()])
        if unknown:
            raise InvalidInput(
                f"filter {expression!r}: layer {layer.name} has no field {name.strip()!r}", field="where"
            )
        f = layer.field(mapping[name.strip()])
        filters[f.name] = [_filter_value(f, part.strip(), expression) for part in raw.split(",")]
    return filters


def _filter_value(f: Any, text: str, expression: str) -> Any:
    """One value of a filter, in the field's stored spelling and kind."""
    value: Any = f.value_aliases.get(text, text)
    if f.kind == "bool":
        return value.lower() in {"1", "true", "yes", "是"}
    if f.kind not in ("int", "float"):
        return value
    try:
        return int(value) if f.kind == "int" else float(value)
    except ValueError:
        raise InvalidInput(f"filter {expression!r}: {f.name} takes a number", field="where") from None


def layer_frame(
    session: Session,
    layer: str | Layer,
    *,
    where: dict[str, list[Any]] | None = None,
    district: str | None = None,
) -> gpd.GeoDataFrame:
    """The rows of ``layer`` as a GeoDataFrame in EPSG:4490 (columns: the table's, geometry last).

    Parameters
    ----------
    session
        Open session.
    layer
        Layer name or :class:`~data.layers.Layer`.
    where
        ``{field: [values]}`` (AND across fields, OR within one field).
    district
        Code or name of a division: rows whose ``division_code`` lies under it, or, for layers
        without one, rows whose geometry meets the division's area.
    """
    lyr = get_layer(layer) if isinstance(layer, str) else layer
    table = lyr.table
    geom = table.c[lyr.geometry_column]
    columns = [c for c in table.c if c.name != lyr.geometry_column]
    stmt = select(*columns, func.ST_AsBinary(geom).label("__wkb")).where(geom.is_not(None))
    conditions = [table.c[name].in_(values) for name, values in (where or {}).items()]
    area = None
    if district:
        division = find_division(session, district)
        prefix = _code_prefix(division.code)
        if "division_code" in table.c:
            conditions.append(table.c.division_code.like(f"{prefix}%"))
        elif lyr.model is Division:
            conditions.append(table.c.code.like(f"{prefix}%"))
        else:
            area = geometry_of(division)
            if area is None:
                raise InvalidInput(f"division {division.code} has no geometry to filter by", field="district")
            conditions.append(bbox_filter(session, table, area.bounds, column=lyr.geometry_column))
    if conditions:
        stmt = stmt.where(and_(*conditions))
    order = table.primary_key.columns.values()
    frame = pd.DataFrame(
        session.execute(stmt.order_by(*order)).mappings().all(), columns=[c.name for c in columns] + ["__wkb"]
    )
    geoms = shapely.from_wkb(frame.pop("__wkb").to_numpy(dtype=object))
    for column in columns:  # integer columns with NULLs stay integers (not 147.0)
        if isinstance(column.type, Integer) and not isinstance(column.type, Boolean):
            frame[column.name] = frame[column.name].astype("Int64")
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, index=frame.index), crs=STORAGE_CRS)
    if area is not None:
        gdf = gdf[shapely.intersects(gdf.geometry.to_numpy(), area)].reset_index(drop=True)
    for f in lyr.fields:
        if f.lookup is not None and f.name in gdf:
            model, column = f.lookup
            pk = model.__table__.primary_key.columns.values()[0]
            ids = sorted({int(v) for v in gdf[f.name].dropna()})
            names = dict(session.execute(select(pk, model.__table__.c[column]).where(pk.in_(ids))).all())
            gdf.insert(gdf.columns.get_loc(f.name) + 1, f.column, gdf[f.name].map(names))
    return gdf


def export_layer(
    session: Session,
    layer: str | Layer,
    path: str | Path,
    *,
    fmt: str | None = None,
    where: dict[str, list[Any]] | None = None,
    district: str | None = None,
    labels: str = "en",
) -> dict[str, Any]:
    """Write ``layer`` to ``path``; return ``{'layer', 'rows', 'format', 'files'}``.

    ``labels='zh'`` writes Chinese column headers (CSV/XLSX/GeoJSON/GPKG; importable again) and,
    in spreadsheets, Chinese values. Spreadsheets follow :mod:`data.spreadsheet`. A layer holding
    several geometry types (place names) becomes one Shapefile per type (``<stem>_point.shp``...)
    and, in a GeoPackage, one table per type. GeoPackages carry the web map's QGIS styles. Files
    are written aside and moved into place at the end: a failed export leaves nothing behind.
    """
    lyr = get_layer(layer) if isinstance(layer, str) else layer
    path = Path(path)
    fmt = fmt or detect_format(path)
    suffixes = FORMATS[fmt][0] if fmt in FORMATS else ()
    if suffixes and path.suffix.lower() not in suffixes:
        raise FileError(
            f"{path.name}: a {fmt} export is written to a file ending in {' or '.join(suffixes)}",
            field="output",
        )
    gdf = layer_frame(session, lyr, where=where, district=district)
    path.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".partial"))
    try:
        written = _write(lyr, gdf, stage / path.name, fmt=fmt, labels=labels)
        files = []
        for staged in written:
            final = path.parent / staged.name
            os.replace(staged, final)
            files.append(final)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return {"layer": lyr.name, "rows": len(gdf), "format": fmt, "files": [str(p) for p in files]}


def _write(lyr: Layer, gdf: gpd.GeoDataFrame, path: Path, *, fmt: str, labels: str) -> list[Path]:
    """Write the export into ``path`` (a staging directory); return every file written."""
    if fmt in ("csv", "xlsx"):
        table, kinds, overflow = spreadsheet_table(lyr, gdf, path, labels=labels)
        if fmt == "csv":
            write_csv(table, kinds, path)
        else:
            write_xlsx(table, kinds, path, sheet=lyr.name)
        if overflow is None:
            return [path]
        companion = companion_path(path)
        write_vector(overflow, companion, fmt="gpkg", layer=lyr.name)
        return [path, companion]
    groups = _geometry_groups(gdf)
    # A looked-up link travels by the other row's code (a marker's line_code), not its row id.
    gdf = gdf.drop(columns=[f.name for f in lyr.fields if f.lookup is not None and f.column in gdf])
    if fmt == "shp":
        out = _plain_columns(gdf, shapefile=True)
        out = out.rename(columns=_short_names(lyr, list(out.columns)))
        if len(groups) <= 1:
            return write_vector(out, path, fmt="shp")
        files: list[Path] = []
        for group, mask in groups.items():
            part = path.with_name(f"{path.stem}_{group}.shp")
            files += write_vector(out[mask], part, fmt="shp")
        return files
    out = _plain_columns(gdf, shapefile=False)
    if labels == "zh":
        zh = {f.name: f.label_zh for f in lyr.fields if f.lookup is None}
        zh.update({f.column: f.label_zh for f in lyr.fields if f.lookup is not None})
        out = out.rename(columns={c: zh[c] for c in out.columns if c in zh})
    if fmt != "gpkg" or len(groups) <= 1:
        files = write_vector(out, path, fmt=fmt, layer=lyr.name)
    else:
        for group, mask in groups.items():
            pyogrio.write_dataframe(
                out[mask], path, driver="GPKG", layer=f"{lyr.name}_{group}", append=path.exists()
            )
        files = [path]
    if fmt == "gpkg":
        add_styles(path, lyr.name)
    return files


def _geometry_groups(gdf: gpd.GeoDataFrame) -> dict[str, np.ndarray]:
    """Rows by geometry dimension (``point``, ``line``, ``polygon``), only the groups present."""
    dims = shapely.get_dimensions(gdf.geometry.to_numpy())
    groups = {name: dims == d for d, name in enumerate(("point", "line", "polygon"))}
    return {name: mask for name, mask in groups.items() if mask.any()}


def _plain_columns(gdf: gpd.GeoDataFrame, *, shapefile: bool) -> gpd.GeoDataFrame:
    out = gdf.copy()
    for column in out.columns:
        if column == out.geometry.name:
            continue
        series = out[column]
        sample = next(
            (v for v in series if v is not None and not (isinstance(v, float) and np.isnan(v))), None
        )
        if isinstance(sample, list | dict):
            out[column] = series.map(lambda v: None if v is None else json.dumps(v, ensure_ascii=False))
        elif isinstance(sample, datetime | date):
            out[column] = series.map(lambda v: None if v is None or pd.isna(v) else v.isoformat())
        elif isinstance(sample, bool | np.bool_) and shapefile:
            out[column] = series.map(lambda v: None if v is None else int(v))
        elif series.dtype == object and sample is None:
            out[column] = series.astype("string")
    return out


def _short_names(lyr: Layer, columns: list[str]) -> dict[str, str]:
    taken: set[str] = set()
    renames: dict[str, str] = {}
    for column in columns:
        if column == "geometry":
            continue
        name = column if len(column) <= 10 else column[:10]
        if name in taken:
            try:
                f = lyr.field(column)
            except KeyError:
                f = None
            options = [a for a in (f.aliases if f else ()) if a.isascii() and len(a) <= 10 and a not in taken]
            name = options[0] if options else f"{column[:8]}{len(taken):02d}"
        taken.add(name)
        if name != column:
            renames[column] = name
    return renames


def _code_prefix(code: str) -> str:
    for digits in _CODE_LEVELS:
        if set(code[digits:]) <= {"0"}:
            return code[:digits]
    return code
