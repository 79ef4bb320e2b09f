"""Coordinate reference systems: storage CRS, metric CRS and transformations."""

from __future__ import annotations

from functools import lru_cache

import geopandas as gpd
from pyproj import CRS
from pyproj import Transformer

#: Storage CRS: CGCS2000 geographic.
STORAGE_SRID = 4490
#: Metric CRS: CGCS2000 / 3-degree Gauss-Kruger CM 108E.
METRIC_SRID = 4545
STORAGE_CRS = CRS.from_epsg(STORAGE_SRID)
METRIC_CRS = CRS.from_epsg(METRIC_SRID)

#: Generous extent of Wuhai and its neighbours, in lon/lat (min_lon, min_lat, max_lon, max_lat).
WUHAI_EXTENT = (106.2, 39.0, 107.4, 40.1)


@lru_cache(maxsize=32)
def transformer(src: int | str, dst: int | str) -> Transformer:
    """Return a cached always-xy transformer from ``src`` to ``dst``."""
    return Transformer.from_crs(CRS.from_user_input(src), CRS.from_user_input(dst), always_xy=True)


def require_crs(gdf: gpd.GeoDataFrame, *, name: str = "input") -> CRS:
    """Return the CRS of ``gdf`` or raise ``ValueError`` if it has none."""
    if gdf.crs is None:
        raise ValueError(f"{name} has no CRS; set one (e.g. EPSG:4490) before analysis")
    return gdf.crs


def to_metric(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return a copy of ``gdf`` projected to the metric CRS (EPSG:4545)."""
    require_crs(gdf)
    return gdf.to_crs(METRIC_CRS)


def to_storage(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return a copy of ``gdf`` in the storage CRS (EPSG:4490)."""
    require_crs(gdf)
    return gdf.to_crs(STORAGE_CRS)


def in_extent(lon: float, lat: float, extent: tuple[float, float, float, float] = WUHAI_EXTENT) -> bool:
    """Whether a lon/lat pair lies inside ``extent``."""
    return extent[0] <= lon <= extent[2] and extent[1] <= lat <= extent[3]
