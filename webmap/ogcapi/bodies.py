"""Request bodies of the OGC API writes: GeoJSON features, JSON merge patches, typed properties.

Malformed JSON answers 400; a property that is unknown, missing or of the wrong type is refused
with :class:`gis.errors.InvalidInput` naming it (422), so no value reaches the store as a Python
representation of an object or a list.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from datetime import datetime
from typing import Any

from flask import request
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from gis.contracts import check
from gis.contracts import contracts_of
from gis.errors import InvalidInput
from gis.rows import MAX_INT64
from webmap.ogcapi.collections import Collection
from webmap.ogcapi.query import EPSG4490
from webmap.ogcapi.query import BadRequest
from webmap.ogcapi.query import parse_crs

#: Pseudo-properties a write may carry besides the collection's own: why it was made.
EXTRA = ("reason",)
#: Geometry types accepted by each collection geometry type.
ACCEPTED = {
    "Point": ("Point",),
    "LineString": ("LineString",),
    "MultiLineString": ("LineString", "MultiLineString"),
    "MultiPolygon": ("Polygon", "MultiPolygon"),
}


def feature_body(coll: Collection) -> tuple[dict[str, Any], BaseGeometry | None]:
    """Properties and geometry (lon/lat) of the request's GeoJSON Feature (POST and PUT)."""
    doc = _json()
    if not isinstance(doc, dict) or doc.get("type") != "Feature":
        raise BadRequest("the body must be a GeoJSON Feature")
    return _properties_of(doc), _geometry(coll, doc.get("geometry"))


def patch_body(coll: Collection) -> tuple[dict[str, Any], BaseGeometry | None]:
    """A JSON merge patch (RFC 7396): ``{"properties": {...}}``, a partial Feature or bare properties.

    ``null`` removes a value; properties left out stay as they are.
    """
    doc = _json()
    if not isinstance(doc, dict):
        raise BadRequest("the body must be a JSON object")
    if doc.get("type") == "Feature" or "properties" in doc or "geometry" in doc:
        unknown = sorted(set(doc) - {"type", "id", "properties", "geometry", "links", "bbox"})
        if unknown:
            raise InvalidInput(f"unknown member {unknown[0]!r} of the feature", field=unknown[0])
        geom = _geometry(coll, doc["geometry"]) if doc.get("geometry") is not None else None
        return _properties_of(doc), geom
    return dict(doc), None


def typed_properties(coll: Collection, props: Mapping[str, Any]) -> dict[str, Any]:
    """``props`` checked against the collection's types (dates parsed) and the fields' contracts.

    Unknown names are refused; a value its field's contract refuses is refused naming the field
    (the value is passed on as sent: the use case cleans it by the same contract).
    """
    declared = contracts_of(coll.model)
    out: dict[str, Any] = {}
    for name, value in props.items():
        if name in EXTRA:
            if value is not None and not isinstance(value, str):
                raise InvalidInput(f"{name} must be text", field=name)
            out[name] = value
            continue
        if name not in coll.properties:
            raise InvalidInput(f"{coll.id} has no property {name!r}", field=name)
        out[name] = None if value is None else _typed(coll.column_type(name), name, value)
        contract = declared.get(name)
        if contract is not None and out[name] is not None and contract.kind in ("text", "int", "float"):
            check(contract, out[name], field=name)
    return out


def expected_version() -> int | None:
    """The version named by ``If-Match`` (``None`` without one or with ``*``)."""
    tag = request.headers.get("If-Match", "").strip()
    if tag.startswith("W/"):
        tag = tag[2:]
    tag = tag.strip('"')
    if not tag or tag == "*":
        return None
    if not tag.isdigit() or int(tag) > MAX_INT64:
        raise BadRequest("If-Match must carry the feature's version as given by its ETag")
    return int(tag)


def _json() -> Any:
    data = request.get_data(cache=True)
    if not data:
        raise BadRequest("the body is empty")
    import orjson

    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"the body is not JSON: {exc}") from None


def _properties_of(doc: dict[str, Any]) -> dict[str, Any]:
    props = doc.get("properties")
    if props is None:
        return {}
    if not isinstance(props, dict):
        raise InvalidInput("properties must be an object", field="properties")
    return dict(props)


def _geometry(coll: Collection, value: Any) -> BaseGeometry | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidInput("geometry must be a GeoJSON geometry object", field="geometry")
    try:
        geom = shape(value)
    except Exception as exc:  # noqa: BLE001 - shapely raises several kinds for bad GeoJSON
        raise InvalidInput(f"invalid geometry: {exc}", field="geometry") from None
    if geom.geom_type not in ACCEPTED.get(coll.geometry_type, (coll.geometry_type,)):
        raise InvalidInput(
            f"{coll.id} holds {coll.geometry_type} features, not {geom.geom_type}", field="geometry"
        )
    if geom.is_empty or not all(math.isfinite(v) for v in geom.bounds):
        raise InvalidInput("the geometry has no finite coordinates", field="geometry")
    if parse_crs(request.headers.get("Content-Crs", "").strip("<> ") or None) == EPSG4490:
        from shapely import transform

        geom = transform(geom, lambda xy: xy[:, ::-1])
    return geom


def _typed(kind: str, name: str, value: Any) -> Any:
    """``value`` as the column's kind, or :class:`InvalidInput` naming ``name``."""
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        raise InvalidInput(f"{name} must be true or false", field=name)
    if kind in ("integer", "number"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidInput(f"{name} must be a number", field=name)
        if isinstance(value, float) and not math.isfinite(value):
            raise InvalidInput(f"{name} must be a finite number", field=name)
        if kind == "integer":
            if isinstance(value, float) and not value.is_integer():
                raise InvalidInput(f"{name} must be a whole number", field=name)
            value = int(value)
            if abs(value) > MAX_INT64:
                raise InvalidInput(f"{name} is out of range", field=name)
        return value
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be text", field=name)
    if kind == "date":
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            raise InvalidInput(f"{name} must be a date (YYYY-MM-DD)", field=name) from None
    if kind == "date-time":
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise InvalidInput(f"{name} must be an RFC 3339 date-time", field=name) from None
    return value
