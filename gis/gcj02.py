"""GCJ-02 ("Mars coordinates", used by AMap/Tencent) to and from WGS84, vectorised with NumPy.

GCJ-02 is WGS84 with a deliberate, non-linear offset of a few hundred metres inside China.
The forward transform is the published obfuscation formula; the inverse has no closed form
and is computed by fixed-point iteration until the round trip agrees to ``tol`` degrees.
Outside China's rough bounding box both transforms are the identity, as in the original.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from numpy.typing import NDArray

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by the formula
_EE = 0.00669342162296594323  # its first eccentricity squared


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Convert WGS84 lon/lat to GCJ-02.

    Parameters
    ----------
    lon, lat
        Longitudes and latitudes in degrees (scalars or arrays of one shape).

    Returns
    -------
    tuple of numpy.ndarray
        GCJ-02 longitudes and latitudes (float arrays; 0-d for scalar input).
    """
    x = np.asarray(lon, dtype=float)
    y = np.asarray(lat, dtype=float)
    dlon, dlat = _offset(x, y)
    inside = in_china(x, y)
    return np.where(inside, x + dlon, x), np.where(inside, y + dlat, y)


def gcj02_to_wgs84(
    lon: ArrayLike, lat: ArrayLike, *, tol: float = 1e-9, max_iter: int = 30
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Convert GCJ-02 lon/lat to WGS84 by iteration (accurate to ``tol`` degrees, ~0.1 mm).

    Parameters
    ----------
    lon, lat
        GCJ-02 longitudes and latitudes in degrees.
    tol
        Stop once every point's forward transform is within ``tol`` degrees of the input.
    max_iter
        Upper bound on iterations (a handful suffice in practice).

    Returns
    -------
    tuple of numpy.ndarray
        WGS84 longitudes and latitudes.
    """
    gx = np.asarray(lon, dtype=float)
    gy = np.asarray(lat, dtype=float)
    wx, wy = gx.copy(), gy.copy()
    for _ in range(max_iter):
        fx, fy = wgs84_to_gcj02(wx, wy)
        ex, ey = fx - gx, fy - gy
        wx = wx - ex
        wy = wy - ey
        if not (np.nanmax(np.abs(ex), initial=0.0) > tol or np.nanmax(np.abs(ey), initial=0.0) > tol):
            break
    return wx, wy


def in_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """Whether points lie in the rough box where GCJ-02 differs from WGS84."""
    x = np.asarray(lon, dtype=float)
    y = np.asarray(lat, dtype=float)
    return (x >= 72.004) & (x <= 137.8347) & (y >= 0.8293) & (y <= 55.8271)


def _offset(
    x: NDArray[np.float64], y: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    dlat = _transform_lat(x - 105.0, y - 35.0)
    dlon = _transform_lon(x - 105.0, y - 35.0)
    radlat = y / 180.0 * np.pi
    magic = 1 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    return dlon, dlat


def _transform_lat(x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * np.pi) + 320 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return ret
