"""The OpenAPI 3.0 definition of the OGC API (conformance class oas30).

Clients read the page size from it: QGIS and GDAL take ``components/parameters/limit``'s
``maximum`` and ``default`` as the largest and the usual page.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import url_for

from webmap.ogcapi.collections import Collection
from webmap.ogcapi.schema import property_schema
from webmap.ogcapi.schema import required

GEOJSON = "application/geo+json"
JSON = "application/json"
MERGE_PATCH = "application/merge-patch+json"
SCHEMA = "application/schema+json"
_F = {"name": "f", "in": "query", "schema": {"type": "string", "enum": ["json", "html"]}}


def document(colls: Iterable[Collection], *, default_limit: int, max_limit: int) -> dict[str, Any]:
    """The OpenAPI document: every collection's paths, parameters, request bodies and security."""
    paths: dict[str, Any] = {
        "/": _get("Landing page", "landing page", JSON),
        "/conformance": _get("Conformance classes", "the conformance classes", JSON),
        "/api": _get(
            "This API definition", "the API definition", "application/vnd.oai.openapi+json;version=3.0"
        ),
        "/collections": _get("Collections", "the collections", JSON),
    }
    schemas: dict[str, Any] = {
        "link": {
            "type": "object",
            "required": ["href"],
            "properties": {n: {"type": "string"} for n in ("href", "rel", "type", "title")},
        },
    }
    for c in colls:
        schemas[f"{c.id}.properties"] = _properties(c)
        schemas[f"{c.id}.feature"] = _feature(c)
        base = f"/collections/{c.id}"
        paths[base] = _get(c.title, "the collection's description", JSON)
        paths[f"{base}/schema"] = _get(f"Schema of {c.id} (Part 5)", "JSON schema", SCHEMA)
        paths[f"{base}/schema/geojson"] = _get(f"Schema of a {c.id} item", "JSON schema", SCHEMA)
        paths[f"{base}/queryables"] = _get(f"Queryables of {c.id}", "JSON schema", SCHEMA)
        paths[f"{base}/items"] = _items(c)
        paths[f"{base}/items/{{featureId}}"] = _item(c)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Wuhai civil-affairs GIS - OGC API Features",
            "version": "1.0.0",
            "description": "Standard place names, signs, divisions, boundaries and civil-affairs facilities.",
        },
        "servers": [{"url": url_for("ogcapi.landing", _external=True).rstrip("/")}],
        "paths": paths,
        "components": {
            "parameters": _parameters(default_limit, max_limit),
            "schemas": schemas,
            "responses": _responses(),
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "an API token (`wuhai-gis user token`)",
                }
            },
        },
    }


def _get(summary: str, what: str, mtype: str) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "parameters": [{"$ref": "#/components/parameters/f"}],
            "responses": {
                "200": {"description": what, "content": {mtype: {"schema": {"type": "object"}}}},
                "400": {"$ref": "#/components/responses/invalid"},
            },
        }
    }


def _items(c: Collection) -> dict[str, Any]:
    props = [
        {"name": p, "in": "query", "required": False, "schema": _queryable(c, p)}
        for p in c.properties
        if p != c.id_column
    ]
    common = (
        "bbox",
        "bbox-crs",
        "crs",
        "limit",
        "offset",
        "datetime",
        "filter",
        "filter-lang",
        "filter-crs",
        "f",
    )
    return {
        "get": {
            "summary": f"Features of {c.id}",
            "operationId": f"get_{c.id}_items",
            "parameters": [{"$ref": f"#/components/parameters/{k}"} for k in common] + props,
            "responses": {
                "200": {
                    "description": "a GeoJSON FeatureCollection",
                    "content": {
                        GEOJSON: {"schema": {"type": "object"}},
                        "text/html": {"schema": {"type": "string"}},
                    },
                },
                "400": {"$ref": "#/components/responses/invalid"},
                "404": {"$ref": "#/components/responses/notFound"},
            },
        },
        "post": {
            "summary": f"Add a feature to {c.id}",
            "operationId": f"create_{c.id}_item",
            "security": [{"bearer": []}],
            "parameters": [{"$ref": "#/components/parameters/contentCrs"}],
            "requestBody": _body(c, GEOJSON),
            "responses": {
                "201": {
                    "description": "created",
                    "headers": {
                        "Location": {"schema": {"type": "string"}, "description": "the new feature"},
                        "ETag": {"schema": {"type": "string"}, "description": "its version"},
                    },
                },
                **_write_errors(),
            },
        },
    }


def _item(c: Collection) -> dict[str, Any]:
    done = {
        "description": "done",
        "headers": {"ETag": {"schema": {"type": "string"}, "description": "the new version"}},
    }
    return {
        "parameters": [{"$ref": "#/components/parameters/featureId"}],
        "get": {
            "summary": f"One feature of {c.id}",
            "operationId": f"get_{c.id}_item",
            "parameters": [{"$ref": "#/components/parameters/crs"}, {"$ref": "#/components/parameters/f"}],
            "responses": {
                "200": {
                    "description": "a GeoJSON Feature",
                    "content": {GEOJSON: {"schema": {"$ref": f"#/components/schemas/{c.id}.feature"}}},
                },
                "404": {"$ref": "#/components/responses/notFound"},
            },
        },
        "put": {
            "summary": f"Replace a feature of {c.id}",
            "operationId": f"replace_{c.id}_item",
            "security": [{"bearer": []}],
            "parameters": [
                {"$ref": "#/components/parameters/ifMatch"},
                {"$ref": "#/components/parameters/contentCrs"},
            ],
            "requestBody": _body(c, GEOJSON),
            "responses": {"204": done, **_write_errors()},
        },
        "patch": {
            "summary": f"Update properties of a feature of {c.id} (JSON merge patch, RFC 7396)",
            "operationId": f"update_{c.id}_item",
            "security": [{"bearer": []}],
            "parameters": [{"$ref": "#/components/parameters/ifMatch"}],
            "requestBody": {
                "required": True,
                "content": {
                    mtype: {
                        "schema": {
                            "oneOf": [
                                {
                                    "type": "object",
                                    "properties": {
                                        "properties": {"$ref": f"#/components/schemas/{c.id}.properties"}
                                    },
                                },
                                {"$ref": f"#/components/schemas/{c.id}.properties"},
                            ]
                        }
                    }
                    for mtype in (MERGE_PATCH, JSON)
                },
            },
            "responses": {"204": done, **_write_errors()},
        },
        "delete": {
            "summary": f"Remove a feature of {c.id}",
            "operationId": f"delete_{c.id}_item",
            "security": [{"bearer": []}],
            "parameters": [
                {"$ref": "#/components/parameters/ifMatch"},
                {"name": "X-Reason", "in": "header", "required": False, "schema": {"type": "string"}},
            ],
            "responses": {"204": {"description": "removed"}, **_write_errors()},
        },
    }


def _body(c: Collection, mtype: str) -> dict[str, Any]:
    return {
        "required": True,
        "content": {mtype: {"schema": {"$ref": f"#/components/schemas/{c.id}.feature"}}},
    }


def _properties(c: Collection) -> dict[str, Any]:
    props = {}
    must = set(required(c))
    for p in c.properties:
        if p == c.id_column:
            continue
        s = {k: v for k, v in property_schema(c, p).items() if k != "x-ogc-role"}
        if p not in must:
            s["nullable"] = True
        props[p] = s
    return {"type": "object", "properties": props}


def _feature(c: Collection) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": c.column_type(c.id_column), "readOnly": True},
            "geometry": {
                "type": "object",
                "nullable": True,
                "required": ["type", "coordinates"],
                "properties": {
                    "type": {"type": "string", "enum": [c.geometry_type]},
                    "coordinates": {"type": "array", "items": {}},
                },
            },
            "properties": {"$ref": f"#/components/schemas/{c.id}.properties"},
            "links": {"type": "array", "items": {"$ref": "#/components/schemas/link"}, "readOnly": True},
        },
    }


def _queryable(c: Collection, p: str) -> dict[str, Any]:
    s = property_schema(c, p)
    return {k: v for k, v in s.items() if k in ("type", "format", "enum")}


def _parameters(default_limit: int, max_limit: int) -> dict[str, Any]:
    uri = {"type": "string", "format": "uri"}
    return {
        "bbox": {
            "name": "bbox",
            "in": "query",
            "schema": {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 6},
            "style": "form",
            "explode": False,
        },
        "bbox-crs": {"name": "bbox-crs", "in": "query", "schema": uri},
        "crs": {"name": "crs", "in": "query", "schema": uri},
        "limit": {
            "name": "limit",
            "in": "query",
            "description": "features per page (the largest page is the maximum)",
            "schema": {"type": "integer", "minimum": 1, "maximum": max_limit, "default": default_limit},
            "style": "form",
            "explode": False,
        },
        "offset": {
            "name": "offset",
            "in": "query",
            "schema": {"type": "integer", "minimum": 0, "default": 0},
        },
        "datetime": {"name": "datetime", "in": "query", "schema": {"type": "string"}},
        "filter": {
            "name": "filter",
            "in": "query",
            "description": (
                "a CQL2 filter on the collection's queryables: comparisons, AND, OR, NOT, LIKE, IN, "
                "BETWEEN, IS NULL, S_INTERSECTS(geometry, BBOX(...) or a WKT geometry); "
                "e.g. `category_code = '2511' AND name LIKE '%路'`"
            ),
            "schema": {"type": "string"},
        },
        "filter-lang": {
            "name": "filter-lang",
            "in": "query",
            "description": "the filter's encoding",
            "schema": {"type": "string", "enum": ["cql2-text", "cql2-json"], "default": "cql2-text"},
        },
        "filter-crs": {
            "name": "filter-crs",
            "in": "query",
            "description": "the CRS of the filter's geometries (CRS84 unless given)",
            "schema": uri,
        },
        "f": _F,
        "featureId": {
            "name": "featureId",
            "in": "path",
            "required": True,
            "description": "the feature's id",
            "schema": {"type": "string"},
        },
        "ifMatch": {
            "name": "If-Match",
            "in": "header",
            "required": False,
            "description": 'the version the change is based on, as given by ETag (`"3"`); a stale one answers 412',
            "schema": {"type": "string"},
        },
        "contentCrs": {
            "name": "Content-Crs",
            "in": "header",
            "required": False,
            "description": "the CRS of the body's geometry (CRS84 unless given)",
            "schema": {"type": "string"},
        },
    }


def _responses() -> dict[str, Any]:
    problem = {"application/problem+json": {"schema": {"type": "object"}}}
    texts = {
        "invalid": "a parameter or the body is not valid",
        "unauthorized": "no valid bearer token",
        "forbidden": "the token's account lacks the role",
        "notFound": "no such collection or feature",
        "conflict": "the write clashes with the data (a stale version without If-Match, a duplicate)",
        "preconditionFailed": "If-Match names a version that is no longer current",
        "unprocessable": "a property is unknown, missing or of the wrong type",
    }
    return {k: {"description": v, "content": problem} for k, v in texts.items()}


def _write_errors() -> dict[str, Any]:
    codes = {
        "400": "invalid",
        "401": "unauthorized",
        "403": "forbidden",
        "404": "notFound",
        "409": "conflict",
        "412": "preconditionFailed",
        "422": "unprocessable",
    }
    return {code: {"$ref": f"#/components/responses/{name}"} for code, name in codes.items()}
