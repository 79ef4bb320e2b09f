"""Read endpoints describing the OGC API: landing page, conformance, API definition, collections, schemas."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask import render_template

from webmap.db import get_session
from webmap.ogcapi import bp
from webmap.ogcapi import cql2
from webmap.ogcapi import query
from webmap.ogcapi import schema
from webmap.ogcapi.collections import collections
from webmap.ogcapi.collections import get_collection
from webmap.ogcapi.responses import GEOJSON
from webmap.ogcapi.responses import HTML
from webmap.ogcapi.responses import JSON
from webmap.ogcapi.responses import NotAcceptable
from webmap.ogcapi.responses import json_response
from webmap.ogcapi.responses import link
from webmap.ogcapi.responses import negotiate
from webmap.ogcapi.responses import problem

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    *cql2.CONFORMANCE,  # Part 3: queryables, filter, features-filter and the CQL2 classes
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/features",
    "http://www.opengis.net/spec/ogcapi-features-5/1.0/conf/schemas",
]
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
TRS = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"
TITLE = "乌海市地名与民政地理信息 OGC API - Features"


@bp.record_once
def _shared_page_cache(state) -> None:
    """With ``REDIS_URL`` set, the items pages are cached in Redis, shared by every host.

    Registered after the items module's own set-up (this module is imported after it), so the
    in-memory cache it made is replaced.
    """
    from gis.shared_state import client_for
    from webmap.ogcapi.cache import RedisPageCache

    redis = client_for(state.app.config)
    if redis is not None:
        cfg = state.app.config
        state.app.extensions["ogcapi_pages"] = RedisPageCache(
            redis,
            max_bytes=int(float(cfg["OGCAPI_CACHE_MB"]) * 1024 * 1024),
            max_age=float(cfg["OGCAPI_CACHE_SECONDS"]),
        )


@bp.errorhandler(query.BadRequest)
def _bad_request(exc: query.BadRequest):
    return problem(400, "InvalidParameterValue", str(exc))


@bp.errorhandler(NotAcceptable)
def _not_acceptable(exc: NotAcceptable):
    return problem(406, "NotAcceptable", str(exc))


@bp.get("/")
def landing():
    fmt = negotiate()
    doc = {
        "title": TITLE,
        "description": "Wuhai civil-affairs GIS: standard place names, signs, divisions, boundaries, facilities",
        "links": [
            link("ogcapi.landing", "self", JSON, "this document", f="json"),
            link("ogcapi.landing", "alternate", HTML, "this document as HTML", f="html"),
            link("ogcapi.openapi", "service-desc", OPENAPI, "API definition"),
            link("ogcapi.openapi", "service-doc", HTML, "API documentation", f="html"),
            link("ogcapi.conformance", "conformance", JSON, "conformance classes"),
            link("ogcapi.collections_list", "data", JSON, "collections"),
        ],
    }
    if fmt == "html":
        return render_template("ogcapi/landing.html", doc=doc, collections=collections().values())
    return json_response(doc)


@bp.get("/conformance")
def conformance():
    doc = {"conformsTo": CONFORMANCE}
    if negotiate() == "html":
        return render_template("ogcapi/conformance.html", doc=doc)
    return json_response(doc)


@bp.get("/api")
def openapi():
    from webmap.ogcapi.openapi import document

    cfg = current_app.config
    doc = document(
        collections().values(),
        default_limit=int(cfg["OGCAPI_DEFAULT_LIMIT"]),
        max_limit=int(cfg["OGCAPI_MAX_LIMIT"]),
    )
    if negotiate(OPENAPI) == "html":
        return render_template("ogcapi/api.html", doc=doc, title=TITLE)
    return json_response(doc, mimetype=OPENAPI)


def collection_doc(cid: str) -> dict[str, Any]:
    """The description of one collection: links, extent in space and time, CRS."""
    coll = get_collection(cid)
    session = get_session()
    box = query.extent(session, coll)
    times = query.interval(session, coll)
    doc: dict[str, Any] = {
        "id": coll.id,
        "title": coll.title,
        "description": coll.description,
        "itemType": "feature",
        "crs": list(query.SUPPORTED_CRS),
        "storageCrs": query.EPSG4490,
        "links": [
            link("ogcapi.collection", "self", JSON, coll.title, cid=cid, f="json"),
            link("ogcapi.collection", "alternate", HTML, coll.title, cid=cid, f="html"),
            link("ogcapi.items", "items", GEOJSON, "items as GeoJSON", cid=cid, f="json"),
            link("ogcapi.items", "items", HTML, "items as HTML", cid=cid, f="html"),
            # GDAL's OAPIF driver types its fields from this GeoJSON schema (relation types are
            # compared case-insensitively; GDAL looks for this spelling).
            link("ogcapi.item_schema", "describedBy", schema.SCHEMA_MEDIA_TYPE, "schema of an item", cid=cid),
            link("ogcapi.feature_schema", schema.REL_SCHEMA, schema.SCHEMA_MEDIA_TYPE, "schema", cid=cid),
            link("ogcapi.queryables", "queryables", schema.SCHEMA_MEDIA_TYPE, "queryables", cid=cid),
            link("ogcapi.queryables", schema.REL_QUERYABLES, schema.SCHEMA_MEDIA_TYPE, "queryables", cid=cid),
        ],
        "extent": {},
    }
    if box:
        doc["extent"]["spatial"] = {"bbox": [list(box)], "crs": query.CRS84}
    if times:
        doc["extent"]["temporal"] = {"interval": [list(times)], "trs": TRS}
    if not doc["extent"]:
        del doc["extent"]
    return doc


@bp.get("/collections")
def collections_list():
    fmt = negotiate()
    doc = {
        "links": [
            link("ogcapi.collections_list", "self", JSON, "collections", f="json"),
            link("ogcapi.collections_list", "alternate", HTML, "collections as HTML", f="html"),
        ],
        "collections": [collection_doc(cid) for cid in collections()],
        "crs": list(query.SUPPORTED_CRS),
    }
    if fmt == "html":
        return render_template("ogcapi/collections.html", doc=doc)
    return json_response(doc)


@bp.get("/collections/<cid>")
def collection(cid: str):
    fmt = negotiate()
    doc = collection_doc(cid)
    if fmt == "html":
        return render_template("ogcapi/collection.html", doc=doc, coll=get_collection(cid))
    return json_response(doc)


@bp.get("/collections/<cid>/schema")
def feature_schema(cid: str):
    coll = get_collection(cid)
    fmt = negotiate(schema.SCHEMA_MEDIA_TYPE)
    doc = schema.feature_schema(coll, _self_url("ogcapi.feature_schema", cid))
    return _schema_response(coll, doc, fmt, "Schema")


@bp.get("/collections/<cid>/schema/geojson")
def item_schema(cid: str):
    coll = get_collection(cid)
    fmt = negotiate(schema.SCHEMA_MEDIA_TYPE)
    doc = schema.geojson_schema(coll, _self_url("ogcapi.item_schema", cid))
    if fmt == "html":
        return _schema_response(coll, schema.feature_schema(coll, doc["$id"]), fmt, "Schema")
    return _schema_response(coll, doc, fmt, "Schema")


@bp.get("/collections/<cid>/queryables")
def queryables(cid: str):
    coll = get_collection(cid)
    fmt = negotiate(schema.SCHEMA_MEDIA_TYPE)
    doc = schema.queryables(coll, _self_url("ogcapi.queryables", cid))
    return _schema_response(coll, doc, fmt, "Queryables")


def _self_url(endpoint: str, cid: str) -> str:
    return link(endpoint, "self", schema.SCHEMA_MEDIA_TYPE, cid=cid)["href"]


def _schema_response(coll, doc: dict[str, Any], fmt: str, heading: str):
    if fmt == "html":
        return render_template("ogcapi/schema.html", coll=coll, doc=doc, heading=heading)
    return json_response(doc, mimetype=schema.SCHEMA_MEDIA_TYPE)
