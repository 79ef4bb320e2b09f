"""The features of a collection: pages of items (cached per data generation) and single items."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

from flask import Response
from flask import current_app
from flask import render_template
from flask import request

from gis.errors import NotFound
from gis.history import generation as data_generation
from webmap.db import get_session
from webmap.ogcapi import bp
from webmap.ogcapi import query
from webmap.ogcapi.cache import PageCache
from webmap.ogcapi.collections import Collection
from webmap.ogcapi.collections import get_collection
from webmap.ogcapi.responses import GEOJSON
from webmap.ogcapi.responses import HTML
from webmap.ogcapi.responses import JSON
from webmap.ogcapi.responses import json_response
from webmap.ogcapi.responses import link
from webmap.ogcapi.responses import negotiate


@bp.record_once
def _init_cache(state) -> None:
    cfg = state.app.config
    state.app.extensions["ogcapi_pages"] = PageCache(
        max_bytes=int(float(cfg["OGCAPI_CACHE_MB"]) * 1024 * 1024), max_age=float(cfg["OGCAPI_CACHE_SECONDS"])
    )


@bp.get("/collections/<cid>/items")
def items(cid: str):
    coll = get_collection(cid)
    fmt = negotiate(GEOJSON)
    cfg = current_app.config
    q = query.parse_items(
        coll,
        request.args.to_dict(),
        default_limit=int(cfg["OGCAPI_DEFAULT_LIMIT"]),
        max_limit=int(cfg["OGCAPI_MAX_LIMIT"]),
    )
    if fmt == "html":
        features, matched, _returned, links = _items_page(coll, q)
        html = render_template(
            "ogcapi/items.html",
            coll=coll,
            features=query.loads(query.dumps(features)),
            geojson=query.dumps({"type": "FeatureCollection", "features": features}).decode(),
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


@bp.get("/collections/<cid>/items/<fid>")
def item(cid: str, fid: str):
    coll = get_collection(cid)
    fmt = negotiate(GEOJSON)
    crs = query.parse_crs(request.args.get("crs"))
    unknown = [k for k in request.args if k not in ("crs", "f")]
    if unknown:
        raise query.BadRequest(f"unknown query parameter(s): {', '.join(unknown)}")
    found = query.fetch_item(get_session(), coll, fid, crs=crs)
    if found is None:
        raise NotFound(f"no feature {fid[:40]!r} in {cid}")
    feature, version = found
    feature = query.loads(query.dumps(feature))
    feature["links"] = [
        link("ogcapi.item", "self", GEOJSON, None, cid=cid, fid=fid, f="json"),
        link("ogcapi.item", "alternate", HTML, None, cid=cid, fid=fid, f="html"),
        link("ogcapi.collection", "collection", JSON, coll.title, cid=cid),
    ]
    headers = {"Content-Crs": f"<{crs}>"}
    if version is not None:
        headers["ETag"] = f'"{version}"'
    if fmt == "html":
        html = render_template(
            "ogcapi/item.html", coll=coll, feature=feature, geojson=query.dumps(feature).decode()
        )
        return Response(html, headers=headers, mimetype="text/html")
    return json_response(feature, mimetype=GEOJSON, headers=headers)


def _generation() -> str:
    """The data generation, read outside any transaction (no ROLLBACK round trip afterwards)."""
    engine = current_app.extensions["wuhai_engine"]
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        return data_generation(conn)


def _items_page(coll: Collection, q: query.ItemsQuery) -> tuple[list[dict], int, int, list[dict[str, str]]]:
    """The features of one page, ``numberMatched``, ``numberReturned`` and the page's links."""
    cid = coll.id
    features, matched, returned = query.fetch_items(get_session(), coll, q)
    args = request.args.to_dict()
    args.pop("f", None)
    links = [
        link("ogcapi.items", "self", GEOJSON, "this page", cid=cid, **{**args, "f": "json"}),
        link("ogcapi.items", "alternate", HTML, "this page as HTML", cid=cid, **{**args, "f": "html"}),
        link("ogcapi.collection", "collection", JSON, coll.title, cid=cid),
    ]
    if q.offset + returned < matched:
        nxt = {**args, "offset": q.offset + q.limit, "limit": q.limit, "f": "json"}
        links.append(link("ogcapi.items", "next", GEOJSON, "next page", cid=cid, **nxt))
    if q.offset > 0:
        prev = {**args, "offset": max(q.offset - q.limit, 0), "limit": q.limit, "f": "json"}
        links.append(link("ogcapi.items", "prev", GEOJSON, "previous page", cid=cid, **prev))
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
