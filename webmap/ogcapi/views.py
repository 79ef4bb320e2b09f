"""Read endpoints of the OGC API: landing page, conformance, API definition, collections, items."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from typing import Any

from flask import Response
from flask import abort
from flask import current_app
from flask import render_template
from flask import request
from flask import url_for

from gis.history import generation as data_generation
from webmap.db import get_session
from webmap.ogcapi import bp
from webmap.ogcapi import query
from webmap.ogcapi.cache import PageCache
from webmap.ogcapi.collections import collections

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/features",
]
GEOJSON = "application/geo+json"


def wants_html() -> bool:
    f = request.args.get("f")
    if f:
        return f == "html"
    best = request.accept_mimetypes.best_match(["application/json", GEOJSON, "text/html"])
    return (
        best == "text/html"
        and request.accept_mimetypes["text/html"] > request.accept_mimetypes["application/json"]
    )


def json_response(
    obj: Any | str | bytes, *, mimetype: str = "application/json", status: int = 200, headers=None
) -> Response:
    body = obj if isinstance(obj, str | bytes) else query.dumps(obj)
    resp = Response(body, status=status, mimetype=mimetype, headers=headers)
    resp.headers["Access-Control-Allow-Origin"] = "*"
    return resp


def bad_request(msg: str) -> Response:
    return json_response({"code": "InvalidParameterValue", "description": msg}, status=400)


def _link(endpoint: str, rel: str, mtype: str, title: str | None = None, **values) -> dict[str, str]:
    link = {"href": url_for(endpoint, _external=True, **values), "rel": rel, "type": mtype}
    if title:
        link["title"] = title
    return link


@bp.record_once
def _init_cache(state) -> None:
    cfg = state.app.config
    state.app.extensions["ogcapi_pages"] = PageCache(
        max_bytes=int(float(cfg["OGCAPI_CACHE_MB"]) * 1024 * 1024), max_age=float(cfg["OGCAPI_CACHE_SECONDS"])
    )


@bp.get("/")
def landing():
    doc = {
        "title": "乌海市地名与民政地理信息 OGC API - Features",
        "description": "Wuhai civil-affairs GIS: standard place names, signs, divisions, boundaries, facilities",
        "links": [
            _link("ogcapi.landing", "self", "application/json", "this document", f="json"),
            _link("ogcapi.landing", "alternate", "text/html", "this document as HTML", f="html"),
            _link(
                "ogcapi.openapi",
                "service-desc",
                "application/vnd.oai.openapi+json;version=3.0",
                "API definition",
            ),
            _link("ogcapi.conformance", "conformance", "application/json", "conformance classes"),
            _link("ogcapi.collections_list", "data", "application/json", "collections"),
        ],
    }
    if wants_html():
        return render_template("ogcapi/landing.html", doc=doc, collections=collections().values())
    return json_response(doc)


@bp.get("/conformance")
def conformance():
    doc = {"conformsTo": CONFORMANCE}
    if wants_html():
        return render_template("ogcapi/conformance.html", doc=doc)
    return json_response(doc)


@bp.get("/api")
def openapi():
    from webmap.ogcapi.openapi import document

    return json_response(
        document(collections().values()), mimetype="application/vnd.oai.openapi+json;version=3.0"
    )


def collection_doc(cid: str) -> dict[str, Any]:
    coll = collections()[cid]
    box = query.extent(get_session(), coll)
    doc: dict[str, Any] = {
        "id": coll.id,
        "title": coll.title,
        "description": coll.description,
        "itemType": "feature",
        "crs": list(query.SUPPORTED_CRS),
        "storageCrs": query.EPSG4490,
        "links": [
            _link("ogcapi.collection", "self", "application/json", coll.title, cid=cid, f="json"),
            _link("ogcapi.collection", "alternate", "text/html", coll.title, cid=cid, f="html"),
            _link("ogcapi.items", "items", GEOJSON, "items as GeoJSON", cid=cid, f="json"),
            _link("ogcapi.items", "items", "text/html", "items as HTML", cid=cid, f="html"),
        ],
    }
    if box:
        doc["extent"] = {"spatial": {"bbox": [list(box)], "crs": query.CRS84}}
    return doc


@bp.get("/collections")
def collections_list():
    docs = [collection_doc(cid) for cid in collections()]
    doc = {
        "links": [
            _link("ogcapi.collections_list", "self", "application/json", "collections", f="json"),
            _link("ogcapi.collections_list", "alternate", "text/html", "collections as HTML", f="html"),
        ],
        "collections": docs,
        "crs": list(query.SUPPORTED_CRS),
    }
    if wants_html():
        return render_template("ogcapi/collections.html", doc=doc)
    return json_response(doc)


@bp.get("/collections/<cid>")
def collection(cid: str):
    if cid not in collections():
        abort(404, f"no collection {cid!r}")
    doc = collection_doc(cid)
    if wants_html():
        return render_template("ogcapi/collection.html", doc=doc)
    return json_response(doc)


@bp.get("/collections/<cid>/items")
def items(cid: str):
    coll = collections().get(cid)
    if coll is None:
        abort(404, f"no collection {cid!r}")
    cfg = current_app.config
    try:
        q = query.parse_items(
            coll,
            request.args.to_dict(),
            default_limit=int(cfg["OGCAPI_DEFAULT_LIMIT"]),
            max_limit=int(cfg["OGCAPI_MAX_LIMIT"]),
        )
    except query.BadRequest as exc:
        return bad_request(str(exc))
    if wants_html():
        features, matched, _returned, links = _items_page(coll, q)
        html = render_template(
            "ogcapi/items.html",
            coll=coll,
            features=query.loads(query.dumps(features)),
            links=links,
            matched=matched,
            q=q,
        )
        return Response(html, headers={"Content-Crs": f"<{q.crs}>"}, mimetype="text/html")
    pages: PageCache = current_app.extensions["ogcapi_pages"]
    key = (cid, request.host_url, tuple(sorted(request.args.items(multi=True))))
    generation = _generation() if pages.enabled else "0"
    page = pages.get(key, generation)
    if page is None:
        features, matched, returned, links = _items_page(coll, q)
        doc = {
            "type": "FeatureCollection",
            "numberMatched": matched,
            "numberReturned": returned,
            "timeStamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "links": links,
            "features": features,
        }
        page = pages.put(key, generation, query.dumps(doc), {"Content-Crs": f"<{q.crs}>"})
    return _page_response(page)


def _generation() -> str:
    """The data generation, read outside any transaction (no ROLLBACK round trip afterwards)."""
    engine = current_app.extensions["wuhai_engine"]
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        return data_generation(conn)


def _items_page(coll, q: query.ItemsQuery) -> tuple[list[dict], int, int, list[dict[str, str]]]:
    """The features of one page, ``numberMatched``, ``numberReturned`` and the page's links."""
    cid = coll.id
    features, matched, returned = query.fetch_items(get_session(), coll, q)
    args = request.args.to_dict()
    args.pop("f", None)
    links = [
        _link("ogcapi.items", "self", GEOJSON, "this page", cid=cid, **{**args, "f": "json"}),
        _link(
            "ogcapi.items", "alternate", "text/html", "this page as HTML", cid=cid, **{**args, "f": "html"}
        ),
        _link("ogcapi.collection", "collection", "application/json", coll.title, cid=cid),
    ]
    if q.offset + returned < matched:
        links.append(
            _link(
                "ogcapi.items",
                "next",
                GEOJSON,
                "next page",
                cid=cid,
                **{**args, "offset": q.offset + q.limit, "f": "json"},
            )
        )
    if q.offset > 0:
        links.append(
            _link(
                "ogcapi.items",
                "prev",
                GEOJSON,
                "previous page",
                cid=cid,
                **{**args, "offset": max(q.offset - q.limit, 0), "f": "json"},
            )
        )
    return features, matched, returned, links


def _page_response(page) -> Response:
    """A rendered page: 304 when the client holds it, gzip when the client accepts it."""
    headers = {
        **page.headers,
        "ETag": f'"{page.etag}"',
        "Cache-Control": "no-cache",
        "Vary": "Accept, Accept-Encoding",  # the same URL answers HTML to browsers
    }
    if request.if_none_match.contains(page.etag):
        return json_response(b"", mimetype=GEOJSON, status=304, headers=headers)
    if "gzip" in request.headers.get("Accept-Encoding", "").lower():
        headers["Content-Encoding"] = "gzip"
        return json_response(page.gzipped, mimetype=GEOJSON, headers=headers)
    return json_response(page.body, mimetype=GEOJSON, headers=headers)


@bp.get("/collections/<cid>/items/<fid>")
def item(cid: str, fid: str):
    coll = collections().get(cid)
    if coll is None:
        abort(404, f"no collection {cid!r}")
    try:
        crs = query.parse_crs(request.args.get("crs"))
        unknown = [k for k in request.args if k not in ("crs", "f")]
        if unknown:
            raise query.BadRequest(f"unknown query parameter(s): {', '.join(unknown)}")
        found = query.fetch_item(get_session(), coll, fid, crs=crs)
    except query.BadRequest as exc:
        return bad_request(str(exc))
    if found is None:
        abort(404, f"no feature {fid!r} in {cid}")
    feature, version = found
    feature = query.loads(query.dumps(feature))
    feature["links"] = [
        _link("ogcapi.item", "self", GEOJSON, None, cid=cid, fid=fid, f="json"),
        _link("ogcapi.item", "alternate", "text/html", None, cid=cid, fid=fid, f="html"),
        _link("ogcapi.collection", "collection", "application/json", coll.title, cid=cid),
    ]
    headers = {"Content-Crs": f"<{crs}>"}
    if version is not None:
        headers["ETag"] = f'"{version}"'
    if wants_html():
        return Response(
            render_template("ogcapi/item.html", coll=coll, feature=feature),
            headers=headers,
            mimetype="text/html",
        )
    return json_response(feature, mimetype=GEOJSON, headers=headers)
