"""JSON schemas of a collection: its features (Part 5), its GeoJSON items and its queryables (Part 3).

Clients type their fields from these, not from the first page of items (where a field that
happens to be empty would be typed as text): GDAL's OAPIF driver reads the GeoJSON schema behind
the ``describedby`` link, the Part 5 schema and the queryables follow the OGC drafts.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from gis.contracts import contracts_of
from gis.contracts import json_schema
from webmap.ogcapi.collections import READ_ONLY
from webmap.ogcapi.collections import Collection

JSON_SCHEMA = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_MEDIA_TYPE = "application/schema+json"
#: Part 5's link relation of the schema of a collection's features.
REL_SCHEMA = "http://www.opengis.net/def/rel/ogc/1.0/schema"
#: Part 3's link relation of the queryables.
REL_QUERYABLES = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
_NUMERIC = ("enum", "minimum", "maximum")
_FORMATS = {
    "Point": "geometry-point",
    "LineString": "geometry-linestring",
    "MultiLineString": "geometry-multilinestring",
    "Polygon": "geometry-polygon",
    "MultiPolygon": "geometry-multipolygon",
}


def property_schema(coll: Collection, name: str) -> dict[str, Any]:
    """The JSON schema of one property: type, format and title; limits and choices from its contract."""
    kind = coll.column_type(name)
    out: dict[str, Any] = {"title": name}
    if kind in ("date", "date-time"):
        out.update(type="string", format=kind)
    else:
        out["type"] = kind
    field = _fields(coll.layer).get(name)
    if field is not None:
        out["title"] = f"{field.label_zh} / {field.label_en}"
    contract = contracts_of(coll.model).get(name) or (field.contract if field is not None else None)
    if contract is not None:
        limits = json_schema(contract)
        keep = {"string": ("enum", "maxLength", "pattern"), "integer": _NUMERIC, "number": _NUMERIC}
        out.update({k: limits[k] for k in keep.get(kind, ()) if k in limits})
    if name == coll.id_column:
        out["x-ogc-role"] = "id"
    if name == coll.datetime_property:
        out["x-ogc-role"] = "primary-instant"
    if name in READ_ONLY or name == coll.id_column:
        out["readOnly"] = True
    return out


def required(coll: Collection) -> list[str]:
    """Properties a new feature must carry."""
    return [f.name for f in _fields(coll.layer).values() if f.required and f.name in coll.properties]


def feature_schema(coll: Collection, url: str) -> dict[str, Any]:
    """The Part 5 schema: the properties of a feature with their types and roles, geometry included."""
    props = {p: property_schema(coll, p) for p in coll.properties}
    props["geometry"] = {
        "title": "geometry",
        "format": _FORMATS[coll.geometry_type],
        "x-ogc-role": "primary-geometry",
    }
    return {
        "$schema": JSON_SCHEMA,
        "$id": url,
        "title": coll.title,
        "description": coll.description,
        "type": "object",
        "required": required(coll),
        "properties": props,
    }


def geojson_schema(coll: Collection, url: str) -> dict[str, Any]:
    """The schema of one item as GeoJSON (``describedby``): ``properties`` holds the typed fields."""
    props = {p: property_schema(coll, p) for p in coll.properties if p != coll.id_column}
    return {
        "$schema": JSON_SCHEMA,
        "$id": url,
        "title": f"{coll.title} (GeoJSON feature)",
        "type": "object",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": coll.column_type(coll.id_column)},
            "geometry": {
                "type": "object",
                "required": ["type", "coordinates"],
                "properties": {
                    "type": {"type": "string", "enum": [coll.geometry_type]},
                    "coordinates": {"type": "array"},
                },
            },
            "properties": {"type": "object", "properties": props},
        },
    }


def queryables(coll: Collection, url: str) -> dict[str, Any]:
    """The properties the items may be filtered by (``?name=value``) with their types (Part 3)."""
    props = {
        p: {k: v for k, v in property_schema(coll, p).items() if k not in ("readOnly", "x-ogc-role")}
        for p in coll.properties
        if p != coll.id_column
    }
    return {
        "$schema": JSON_SCHEMA,
        "$id": url,
        "title": coll.title,
        "type": "object",
        "properties": props,
        "additionalProperties": False,
    }


@cache
def _fields(layer: str) -> dict[str, Any]:
    from data.layers import LAYERS

    return {f.name: f for f in LAYERS[layer].fields}
