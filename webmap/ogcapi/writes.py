"""OGC API - Features Part 4: create, replace, update and delete through the domain use cases.

Writes authenticate with ``Authorization: Bearer <token>`` (``wuhai-gis user token``), never
with the session cookie, and need the role the collection's editors hold. ``If-Match: "<version>"``
makes the write conditional: a stale version answers 412 (409 without ``If-Match``). The tag is
compared weakly (RFC 9110 8.8.3.2) and without the transfer coding the compressor appended, so
``W/"1"`` and the gzipped item's ``"1-gzip"`` both name version 1. PATCH takes
a JSON merge patch (RFC 7396). Refusals of the domain (unknown feature, invalid or conflicting
values) are mapped to their status by the application's one error handler.
"""

from __future__ import annotations

import re

from flask import Response
from flask import abort
from flask import request
from flask import url_for

from gis.accounts import user_for_token
from gis.errors import Forbidden
from gis.rows import MAX_INT64
from webmap.auth import Account
from webmap.db import get_session
from webmap.ogcapi import bodies
from webmap.ogcapi import bp
from webmap.ogcapi.collections import Collection
from webmap.ogcapi.collections import get_collection
from webmap.ogcapi.query import BadRequest
from webmap.ogcapi.responses import problem
from webmap.ogcapi.writers import WRITERS
from webmap.ogcapi.writers import Writer
from webmap.ogcapi.writers import geometry_change
from webmap.ogcapi.writers import load
from webmap.ogcapi.writers import split


@bp.post("/collections/<cid>/items")
def create_item(cid: str):
    coll, writer, actor = _authorised(cid)
    props, geom = bodies.feature_body(coll)
    taken, reason = split(coll, writer, bodies.typed_properties(coll, props), current=None)
    session = get_session()
    obj = writer.create(session, actor, coll, taken, reason, geom)
    session.commit()
    resp = Response(status=201)
    resp.headers["Location"] = url_for("ogcapi.item", cid=cid, fid=obj.id, _external=True)
    resp.headers["ETag"] = f'"{obj.version}"'
    return resp


@bp.route("/collections/<cid>/items/<fid>", methods=["PUT", "PATCH"])
def update_item(cid: str, fid: str):
    coll, writer, actor = _authorised(cid)
    version = expected_version()
    props, geom = bodies.feature_body(coll) if request.method == "PUT" else bodies.patch_body(coll)
    session = get_session()
    obj = load(session, coll, writer, fid)
    taken, reason = split(coll, writer, bodies.typed_properties(coll, props), current=obj)
    obj = writer.update(session, actor, obj, taken, reason, geometry_change(coll, obj, geom), version)
    session.commit()
    resp = Response(status=204)
    resp.headers["ETag"] = f'"{obj.version}"'
    return resp


@bp.delete("/collections/<cid>/items/<fid>")
def delete_item(cid: str, fid: str):
    coll, writer, actor = _authorised(cid)
    if writer.delete is None:
        abort(405, f"features of {cid} cannot be deleted through the API (retire or report them instead)")
    version = expected_version()
    session = get_session()
    obj = load(session, coll, writer, fid)
    writer.delete(session, actor, obj, request.headers.get("X-Reason"), version)
    session.commit()
    return Response(status=204)


#: One entity tag of an ``If-Match`` list: optional weakness prefix, quoted opaque tag.
_ETAG = re.compile(r'\s*(?:W/)?"([^"]*)"\s*(?:,|$)')
#: What ``webmap/compress.py`` (and common proxies) append to the tag of a compressed representation.
_CODING_SUFFIXES = ("-gzip", "-br", "-deflate", "-zstd")


def expected_version(header: str | None = None) -> int | None:
    """The version named by ``If-Match`` (``None`` without one or with ``*``), compared weakly.

    ``"1"``, ``W/"1"`` and ``"1-gzip"`` all name version 1; a list of tags must name one version.
    Anything else is a 400 naming the header.
    """
    value = (request.headers.get("If-Match", "") if header is None else header).strip()
    if not value or value == "*":
        return None
    versions, pos = set(), 0
    while pos < len(value):
        match = _ETAG.match(value, pos)
        if match is None or match.end() == pos:
            raise BadRequest("If-Match must carry the feature's version as given by its ETag")
        versions.add(_version_of(match.group(1)))
        pos = match.end()
    if len(versions) != 1:
        raise BadRequest("If-Match names several versions; send the one ETag of the feature")
    return versions.pop()


def _version_of(tag: str) -> int:
    for suffix in _CODING_SUFFIXES:
        tag = tag.removesuffix(suffix)
    if not tag.isascii() or not tag.isdigit() or int(tag) > MAX_INT64:
        raise BadRequest("If-Match must carry the feature's version as given by its ETag")
    return int(tag)


def _authorised(cid: str) -> tuple[Collection, Writer, str]:
    """The collection, its writer and the username of the bearer token (401/403/405 otherwise)."""
    coll = get_collection(cid)
    writer = WRITERS.get(coll.layer)
    if writer is None:
        abort(405, f"collection {cid} is read-only through the API")
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else ""
    user = user_for_token(get_session(), token)
    if user is None:
        resp = problem(401, "Unauthorized", "a valid bearer token is required")
        resp.headers["WWW-Authenticate"] = 'Bearer realm="wuhai-gis"'
        abort(resp)
    if not Account(user).has_role(*writer.roles):
        raise Forbidden(f"writing {cid} needs one of the roles {', '.join(writer.roles)}")
    return coll, writer, user.username
