"""Viewport loading for the web map: features in a bbox at a zoom, simplified or grid-aggregated.

The page never holds one marker per feature: at low zoom (or when a viewport holds more than
``MAX_FEATURES`` points) points are aggregated server-side into grid cells of about
``CELL_PX`` screen pixels, and polygons and lines are simplified to about one pixel with
``ST_SimplifyPreserveTopology``. Every feature stays reachable by zooming in.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from typing import Any

import numpy as np
import shapely
from shapely.geometry import mapping
from shapely.geometry import shape
from sqlalchemy import Integer
from sqlalchemy import cast
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from boundaries.models import BoundaryLine
from boundaries.models import BoundaryMarker
from boundaries.models import Division
from facilities.models import Facility
from gis.dialects import bbox_filter
from gis.gcj02 import wgs84_to_gcj02
from gis.models import RoadSegment
from placenames.models import PlaceName
from placenames.models import Sign

BBox = tuple[float, float, float, float]

#: Above this many points in a viewport, points are aggregated even at high zoom.
MAX_FEATURES = 1500
#: Size of an aggregation cell, in screen pixels.
CELL_PX = 64
PUBLIC_NAME_STATUSES = ("approved", "announced")


@dataclass(frozen=True)
class MapLayer:
    """One layer of the web map: its table, its properties and how it is drawn at each zoom."""

    name: str
    model: type
    kind: str  # point, line, polygon, centroid (any geometry shown as a point)
    props: tuple[str, ...]
    cluster_below: int = 0  # aggregate points below this zoom
    where: Callable[[int, dict[str, str]], list[Any]] = field(default=lambda z, a: [])
    label_point: bool = False  # polygons: add ``label`` (a point on the surface) for map labels


def _division_where(zoom: int, args: dict[str, str]) -> list[Any]:
    level = args.get("level")
    if level not in ("city", "district", "town", "community"):
        level = "district" if zoom < 11 else "town" if zoom < 13 else "community"
    levels = ("community", "village") if level == "community" else (level,)
    return [Division.in_wuhai.is_(True), Division.level.in_(levels)]


def _road_where(zoom: int, args: dict[str, str]) -> list[Any]:
    if zoom < 12:
        return [RoadSegment.road_class.in_(("trunk", "primary", "secondary"))]
    if zoom < 14:
        return [RoadSegment.road_class.in_(("trunk", "primary", "secondary", "street", "rural"))]
    return []


def _water_where(zoom: int, args: dict[str, str]) -> list[Any]:
    """Public names of the land water system (rivers, lakes, wetlands: categories 12x)."""
    return [
        PlaceName.status.in_(PUBLIC_NAME_STATUSES),
        PlaceName.category_code.like("12%"),
        PlaceName.geom.is_not(None),
    ]


def _line_where(zoom: int, args: dict[str, str]) -> list[Any]:
    codes = [c for c in (args.get("code") or "").split(",") if c][:50]
    return [BoundaryLine.code.in_(codes)] if codes else []


def _marker_where(zoom: int, args: dict[str, str]) -> list[Any]:
    """Public markers; every marker for boundary inspectors (``private`` set by the API, never by the client)."""
    return [] if args.get("private") == "1" else [BoundaryMarker.public.is_(True)]


def _facility_where(zoom: int, args: dict[str, str]) -> list[Any]:
    kinds = [k for k in (args.get("kind") or "").split(",") if k]
    return [Facility.kind.in_(kinds)] if kinds else []


LAYERS: dict[str, MapLayer] = {
    layer.name: layer
    for layer in (
        MapLayer(
            "divisions",
            Division,
            "polygon",
            ("code", "name", "level", "kind", "population"),
            where=_division_where,
            label_point=True,
        ),
        MapLayer("water", PlaceName, "polygon", ("id", "name", "category_code"), where=_water_where),
        MapLayer("roads", RoadSegment, "line", ("id", "name", "road_class"), where=_road_where),
        MapLayer(
            "names",
            PlaceName,
            "centroid",
            ("id", "name", "romanized", "category_code", "status", "division_code"),
            cluster_below=14,
            where=lambda z, a: [PlaceName.status.in_(PUBLIC_NAME_STATUSES), PlaceName.geom.is_not(None)],
        ),
        MapLayer(
            "signs",
            Sign,
            "point",
            ("id", "code", "kind", "text_zh", "text_romanized", "house_number", "condition"),
            cluster_below=16,
        ),
        MapLayer(
            "boundary_lines",
            BoundaryLine,
            "line",
            ("id", "code", "name", "level", "left_name", "right_name", "length_km"),
            where=_line_where,
        ),
        MapLayer(
            "markers",
            BoundaryMarker,
            "point",
            ("id", "number", "marker_type", "status", "material"),
            cluster_below=12,
            where=_marker_where,
        ),
        MapLayer(
            "facilities",
            Facility,
            "point",
            ("id", "name", "kind", "status", "beds", "address", "opening_hours"),
            cluster_below=12,
            where=_facility_where,
        ),
    )
}


def pixel_degrees(zoom: int) -> float:
    """Approximate size of one screen pixel in degrees at ``zoom`` (Web Mercator, 256-px tiles)."""
    return 360.0 / (256 * 2**zoom)


def parse_bbox(text: str | None) -> BBox:
    """Parse ``minx,miny,maxx,maxy``; raise ``ValueError`` for anything else."""
    if not text:
        raise ValueError("bbox is required: minx,miny,maxx,maxy")
    parts = text.split(",")
    if len(parts) != 4:
        raise ValueError("bbox must have four numbers: minx,miny,maxx,maxy")
    try:
        minx, miny, maxx, maxy = (float(p) for p in parts)
    except ValueError as exc:
        raise ValueError("bbox must have four numbers: minx,miny,maxx,maxy") from exc
    if not all(np.isfinite([minx, miny, maxx, maxy])) or minx > maxx or miny > maxy:
        raise ValueError("bbox must be finite with minx <= maxx and miny <= maxy")
    return (max(minx, -180.0), max(miny, -90.0), min(maxx, 180.0), min(maxy, 90.0))


def viewport_features(
    session: Session,
    layer_name: str,
    *,
    bbox: BBox,
    zoom: int,
    args: dict[str, str] | None = None,
    gcj02: bool = False,
) -> dict[str, Any]:
    """The GeoJSON FeatureCollection of ``layer_name`` for a viewport.

    Parameters
    ----------
    session
        Database session.
    layer_name
        A key of :data:`LAYERS`.
    bbox
        Viewport in lon/lat of the storage CRS.
    zoom
        Map zoom (0-20); decides aggregation and simplification.
    args
        Extra layer options (``level`` for divisions, ``kind`` for facilities).
    gcj02
        Convert output coordinates to GCJ-02 for display on the Gaode basemap.

    Returns
    -------
    dict
        FeatureCollection; aggregated cells are point features with ``cluster: true`` and ``count``.
    """
    layer = LAYERS.get(layer_name)
    if layer is None:
        raise KeyError(layer_name)
    zoom = int(min(max(zoom, 0), 22))
    args = args or {}
    table = layer.model.__table__
    where = [bbox_filter(session, table, bbox), *layer.where(zoom, args)]
    if layer.kind in ("polygon", "line"):
        feats = _shapes(session, layer, where, zoom)
    else:
        feats = None
        if zoom >= layer.cluster_below:
            feats = _points(session, layer, where)
        if feats is None:
            feats = _cells(session, layer, where, zoom)
    if gcj02:
        feats = [_to_gcj02(f) for f in feats]
    return {"type": "FeatureCollection", "features": feats, "layer": layer_name, "zoom": zoom}


def _geom_point(layer: MapLayer):
    geom = layer.model.__table__.c.geom
    return func.ST_Centroid(geom) if layer.kind == "centroid" else geom


def _points(session: Session, layer: MapLayer, where: list[Any]) -> list[dict[str, Any]] | None:
    table = layer.model.__table__
    g = _geom_point(layer)
    cols = [table.c[p] for p in layer.props]
    stmt = select(*cols, func.ST_X(g), func.ST_Y(g)).where(*where).limit(MAX_FEATURES + 1)
    rows = session.execute(stmt).all()
    if len(rows) > MAX_FEATURES:
        return None
    n = len(layer.props)
    return [
        {
            "type": "Feature",
            "id": row[0],
            "geometry": {"type": "Point", "coordinates": [round(row[n], 7), round(row[n + 1], 7)]},
            "properties": dict(zip(layer.props, row[:n], strict=True)),
        }
        for row in rows
    ]


def _cells(session: Session, layer: MapLayer, where: list[Any], zoom: int) -> list[dict[str, Any]]:
    """Aggregate points into grid cells; a cell holding one point is that point itself."""
    size = pixel_degrees(zoom) * CELL_PX
    table = layer.model.__table__
    pk = table.c[layer.props[0]]
    g = _geom_point(layer)
    x, y = func.ST_X(g), func.ST_Y(g)
    gx = cast((x + 180.0) / size, Integer).label("gx")
    gy = cast((y + 90.0) / size, Integer).label("gy")
    stmt = (
        select(gx, gy, func.count().label("n"), func.avg(x), func.avg(y), func.min(pk))
        .where(*where)
        .group_by(gx, gy)
    )
    feats = []
    singles = []
    for cx, cy, n, ax, ay, first in session.execute(stmt):
        if n == 1:
            singles.append(first)
            continue
        x0 = cx * size - 180.0
        y0 = cy * size - 90.0
        feats.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [round(float(ax), 6), round(float(ay), 6)]},
                "properties": {"cluster": True, "count": int(n), "bbox": [x0, y0, x0 + size, y0 + size]},
            }
        )
    for start in range(0, len(singles), 500):
        chunk = singles[start : start + 500]
        feats.extend(_points(session, layer, [pk.in_(chunk)]) or [])
    return feats


def _shapes(session: Session, layer: MapLayer, where: list[Any], zoom: int) -> list[dict[str, Any]]:
    table = layer.model.__table__
    tolerance = pixel_degrees(zoom)
    geom = func.ST_AsGeoJSON(func.ST_SimplifyPreserveTopology(table.c.geom, tolerance), 6)
    cols = [table.c[p] for p in layer.props]
    extra = []
    if layer.label_point:
        spot = func.ST_PointOnSurface(table.c.geom)
        extra = [func.ST_X(spot), func.ST_Y(spot)]
    n = len(cols)
    feats = []
    for row in session.execute(select(*cols, *extra, geom).where(*where)):
        if row[-1] is None:
            continue
        props = dict(zip(layer.props, row[:n], strict=True))
        if extra and row[n] is not None:
            props["label"] = [round(float(row[n]), 6), round(float(row[n + 1]), 6)]
        feats.append({"type": "Feature", "id": row[0], "geometry": json.loads(row[-1]), "properties": props})
    return feats


def _to_gcj02(feature: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``feature`` with GCJ-02 coordinates (display only; never stored)."""
    geom = shape(feature["geometry"])

    def conv(xy: np.ndarray) -> np.ndarray:
        lon, lat = wgs84_to_gcj02(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    out = dict(feature)
    out["geometry"] = mapping(shapely.transform(geom, conv))
    props = dict(feature.get("properties") or {})
    if "label" in props:
        lx, ly = wgs84_to_gcj02([props["label"][0]], [props["label"][1]])
        props["label"] = [float(lx[0]), float(ly[0])]
    if "bbox" in props:
        b = props["bbox"]
        (x0, x1), (y0, y1) = wgs84_to_gcj02([b[0], b[2]], [b[1], b[3]])
        props["bbox"] = [float(x0), float(y0), float(x1), float(y1)]
    out["properties"] = props
    return out
