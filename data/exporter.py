"""Exporting a layer to GPKG, GeoJSON, Shapefile, CSV or XLSX, optionally filtered by field values or district."""

from __future__ import annotations

import json
from datetime import date
from datetime import datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
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
from gis.crs import STORAGE_CRS
from gis.dialects import bbox_filter
from gis.errors import InvalidInput
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
    """Write ``layer`` to ``path``; return ``{'layer', 'rows', 'files'}``.

    ``labels='zh'`` writes Chinese column headers (CSV/XLSX/GeoJSON/GPKG; importable again).
    Shapefile field names are kept to 10 characters, unique, and accepted back by the import.
    """
    lyr = get_layer(layer) if isinstance(layer, str) else layer
    gdf = layer_frame(session, lyr, where=where, district=district)
    from gis.io import detect_format

    fmt = fmt or detect_format(path)
    out = _plain_columns(gdf, shapefile=fmt == "shp")
    if fmt == "shp":
        out = out.rename(columns=_short_names(lyr, list(out.columns)))
    elif labels == "zh":
        zh = {f.name: f.label_zh for f in lyr.fields if f.lookup is None}
        zh.update({f.column: f.label_zh for f in lyr.fields if f.lookup is not None})
        out = out.rename(columns={c: zh[c] for c in out.columns if c in zh})
    files = write_vector(out, path, fmt=fmt, layer=lyr.name)
    return {"layer": lyr.name, "rows": len(out), "format": fmt, "files": [str(p) for p in files]}


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
