"""Small GIS files for the import/export tests, generated at test time (nothing binary is committed)."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
from sqlalchemy import func
from sqlalchemy import select

#: Chinese sign texts (street names in Wuhai style) used by every fixture.
TEXTS = ("人民路", "海北大街", "滨河大道", "乌达区新华街", "海南区拉僧庙镇")
KINDS_ZH = ("街路巷牌", "门牌", "楼牌", "村牌", "桥牌")


def signs_gdf(n: int = 5, *, seed: int = 7, crs: int | str = 4490, prefix: str = "T") -> gpd.GeoDataFrame:
    """``n`` sign points in Wuhai with Chinese text and kinds, in ``crs``."""
    rng = np.random.default_rng(seed)
    lon = rng.uniform(106.78, 106.86, n)
    lat = rng.uniform(39.64, 39.72, n)
    gdf = gpd.GeoDataFrame(
        {
            "code": [f"{prefix}{i:05d}" for i in range(n)],
            "kind": [KINDS_ZH[i % len(KINDS_ZH)] for i in range(n)],
            "text_zh": [TEXTS[i % len(TEXTS)] for i in range(n)],
            "condition": ["完好"] * n,
        },
        geometry=shapely.points(lon, lat),
        crs=4490,
    )
    return gdf if crs == 4490 else gdf.to_crs(crs)


def write_shapefile(gdf: gpd.GeoDataFrame, path: Path, *, encoding: str, cpg: str | None) -> Path:
    """Write a Shapefile whose .dbf text is in ``encoding``; then write ``cpg`` as the .cpg or remove it."""
    pyogrio.write_dataframe(gdf, path, driver="ESRI Shapefile", encoding=encoding)
    cpg_path = path.with_suffix(".cpg")
    if cpg is None:
        cpg_path.unlink(missing_ok=True)
    else:
        cpg_path.write_text(cpg, encoding="ascii")
    return path


def write_csv(
    gdf: gpd.GeoDataFrame, path: Path, *, encoding: str = "utf-8-sig", lon: str = "经度", lat: str = "纬度"
) -> Path:
    """Write points as a CSV with lon/lat columns named ``lon``/``lat``."""
    table = gdf.drop(columns="geometry").copy()
    table.insert(0, lat, gdf.geometry.y)
    table.insert(0, lon, gdf.geometry.x)
    table.to_csv(path, index=False, encoding=encoding)
    return path


def write_xlsx(gdf: gpd.GeoDataFrame, path: Path) -> Path:
    """Write points to an Excel sheet: header row, then lon/lat and the attributes."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    columns = [c for c in gdf.columns if c != "geometry"]
    ws.append(["lon", "lat", *columns])
    for (_, row), geom in zip(gdf.iterrows(), gdf.geometry, strict=True):
        ws.append([geom.x, geom.y, *(row[c] for c in columns)])
    wb.save(path)
    return path


def write_geojson(features: list[dict], path: Path) -> Path:
    """Write raw GeoJSON features (for geometries GDAL would not write itself)."""
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False), encoding="utf-8"
    )
    return path


def feature(geometry: dict | None, **properties) -> dict:
    """One GeoJSON feature."""
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def count(session, model) -> int:
    """Rows in ``model``'s table."""
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def stored_points(session, model) -> dict[str, tuple[str | None, float, float]]:
    """``{code: (text, lon, lat)}`` of stored signs."""
    rows = session.execute(
        select(model.code, model.text_zh, func.ST_X(model.geom), func.ST_Y(model.geom)).order_by(model.code)
    ).all()
    return {r[0]: (r[1], float(r[2]), float(r[3])) for r in rows}
