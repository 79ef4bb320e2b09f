"""A compact OpenAPI 3.0 description of the OGC API endpoints (conformance class oas30)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import url_for

from webmap.ogcapi.collections import Collection


def document(colls: Iterable[Collection]) -> dict[str, Any]:
    """The OpenAPI document listing every collection's items paths and parameters."""
    params = {
        "bbox": {
            "name": "bbox",
            "in": "query",
            "schema": {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 6},
            "style": "form",
            "explode": False,
        },
        "bbox-crs": {"name": "bbox-crs", "in": "query", "schema": {"type": "string", "format": "uri"}},
        "crs": {"name": "crs", "in": "query", "schema": {"type": "string", "format": "uri"}},
        "limit": {
            "name": "limit",
            "in": "query",
            "schema": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 100},
        },
        "offset": {
            "name": "offset",
            "in": "query",
            "schema": {"type": "integer", "minimum": 0, "default": 0},
        },
        "datetime": {"name": "datetime", "in": "query", "schema": {"type": "string"}},
        "f": {"name": "f", "in": "query", "schema": {"type": "string", "enum": ["json", "html"]}},
    }
    paths: dict[str, Any] = {
        "/": {"get": {"summary": "Landing page", "responses": {"200": {"description": "landing page"}}}},
        "/conformance": {
            "get": {"summary": "Conformance classes", "responses": {"200": {"description": "conformance"}}}
        },
        "/collections": {
            "get": {"summary": "Collections", "responses": {"200": {"description": "collections"}}}
        },
    }
    for c in colls:
        props = [
            {"name": p, "in": "query", "required": False, "schema": {"type": c.column_type(p)}}
            for p in c.properties
            if p != c.id_column
        ]
        paths[f"/collections/{c.id}"] = {
            "get": {"summary": c.title, "responses": {"200": {"description": "collection"}}}
        }
        paths[f"/collections/{c.id}/items"] = {
            "get": {
                "summary": f"Features of {c.id}",
                "parameters": [{"$ref": f"#/components/parameters/{k}"} for k in params] + props,
                "responses": {"200": {"description": "GeoJSON FeatureCollection"}},
            },
            "post": {
                "summary": f"Create a feature in {c.id} (bearer token)",
                "responses": {"201": {"description": "created"}},
            },
        }
        paths[f"/collections/{c.id}/items/{{featureId}}"] = {
            "get": {
                "summary": "One feature",
                "parameters": [
                    {"name": "featureId", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {"200": {"description": "GeoJSON Feature"}},
            },
            "put": {"summary": "Replace (bearer token)", "responses": {"204": {"description": "replaced"}}},
            "patch": {"summary": "Update (bearer token)", "responses": {"204": {"description": "updated"}}},
            "delete": {"summary": "Delete (bearer token)", "responses": {"204": {"description": "deleted"}}},
        }
    return {
        "openapi": "3.0.3",
        "info": {"title": "Wuhai civil-affairs GIS - OGC API Features", "version": "1.0.0"},
        "servers": [{"url": url_for("ogcapi.landing", _external=True).rstrip("/")}],
        "paths": paths,
        "components": {
            "parameters": params,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
