"""OGC API - Features Part 4: create, replace, update and delete through the domain store functions.

Writes authenticate with ``Authorization: Bearer <token>`` (``wuhai-gis user token``), never
with the session cookie, and need the role the collection's editors hold. ``If-Match: "<version>"``
makes the write conditional (a stale version answers 409). Every write goes through the same
store function as the web forms, so validation and the audit history are the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Response
from flask import abort
from flask import request
from flask import url_for
from shapely.geometry import shape

from facilities import store as facilities_store
from gis.accounts import user_for_token
from placenames import store as names_store
from placenames.signs import store as signs_store
from webmap.auth import Account
from webmap.db import get_session
from webmap.errors import is_conflict
from webmap.ogcapi import bp
from webmap.ogcapi.collections import collections
from webmap.ogcapi.query import EPSG4490
from webmap.ogcapi.query import parse_crs
from webmap.ogcapi.views import json_response


@dataclass(frozen=True)
class Writer:
    """How one collection is written: the role needed and the four operations."""

    roles: tuple[str, ...]
    create: Callable[..., Any]
    update: Callable[..., Any]
    delete: Callable[..., Any] | None


def _lonlat(geom: Any) -> dict[str, float]:
    if geom is None:
        return {}
    if geom.geom_type != "Point":
        raise ValueError("this collection stores points")
    return {"lon": geom.x, "lat": geom.y}


def _names_create(s, actor, props, geom):
    props = dict(props)
    return names_store.propose(s, actor=actor, name=props.pop("name", ""),
                       category_code=props.pop("category_code", ""), geom=geom, **_only(props, _NAME_PROPOSE))  # fmt: skip


def _names_update(s, actor, fid, props, geom, version):
    fields = _only(props, _NAME_EDIT)
    rom = fields.pop("romanized", None)
    return names_store.update(s, int(fid), actor=actor, expected_version=version,
                       geom=geom, romanized=rom, romanized_reason=props.get("romanized_override_reason"),
                       reason=props.get("reason") or "OGC API update", **fields)  # fmt: skip


def _names_delete(s, actor, fid, version):
    reason = request.headers.get("X-Reason") or "retired through the OGC API"
    return names_store.retire(s, int(fid), actor=actor, reason=reason, expected_version=version)


def _signs_create(s, actor, props, geom):
    return signs_store.create_sign(s, actor=actor, values={**props, **_lonlat(geom)})


def _signs_update(s, actor, fid, props, geom, version):
    changes = {k: v for k, v in props.items() if k not in ("version", "updated_at", "source", "reason")}
    return signs_store.update_sign(s, int(fid), actor=actor,
                       changes={**changes, **_lonlat(geom)}, expected_version=version)  # fmt: skip


def _fac_create(s, actor, props, geom):
    props = dict(props)
    return facilities_store.add_facility(s, actor=actor, kind=props.pop("kind", None),
                       name=props.pop("name", None), **_lonlat(geom), **_strip(props))  # fmt: skip


def _fac_update(s, actor, fid, props, geom, version):
    return facilities_store.update_facility(s, int(fid), actor=actor, expected_version=version,
                       **_lonlat(geom), **_strip(props))  # fmt: skip


def _fac_delete(s, actor, fid, version):
    return facilities_store.remove_facility(s, int(fid), actor=actor, expected_version=version,
                       reason=request.headers.get("X-Reason"))  # fmt: skip


_NAME_PROPOSE = ("division_code", "romanized", "romanized_reason", "meaning", "location_desc", "aliases",
                 "mongolian", "mongolian_source", "reason", "document")  # fmt: skip
_NAME_EDIT = (*names_store.EDITABLE, "romanized")


def _only(props: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: v for k, v in props.items() if k in keys}


def _strip(props: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in props.items() if k not in ("version", "updated_at", "source", "id", "reason")}


WRITERS: dict[str, Writer] = {
    "place_names": Writer(("placename_officer",), _names_create, _names_update, _names_delete),
    "signs": Writer(("placename_officer", "sign_maintainer"), _signs_create, _signs_update, None),
    "facilities": Writer(("planner",), _fac_create, _fac_update, _fac_delete),
}


def _authorised(cid: str) -> tuple[Writer, str]:
    if cid not in collections():
        abort(404, f"no collection {cid!r}")
    writer = WRITERS.get(cid)
    if writer is None:
        abort(405, f"collection {cid} is read-only through the API")
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else ""
    user = user_for_token(get_session(), token)
    if user is None:
        resp = json_response(
            {"code": "Unauthorized", "description": "a valid bearer token is required"}, status=401
        )
        resp.headers["WWW-Authenticate"] = 'Bearer realm="wuhai-gis"'
        abort(resp)
    if not Account(user).has_role(*writer.roles):
        abort(403, f"writing {cid} needs one of the roles {', '.join(writer.roles)}")
    return writer, user.username


def _body() -> tuple[dict[str, Any], Any]:
    """Properties and shapely geometry (lon/lat) of the request's GeoJSON feature."""
    try:
        doc = request.get_json(force=True)
    except Exception:  # noqa: BLE001 - werkzeug raises several kinds for bad JSON
        abort(400, "the body must be a GeoJSON Feature")
    if not isinstance(doc, dict) or doc.get("type") != "Feature":
        abort(400, "the body must be a GeoJSON Feature")
    props = doc.get("properties") or {}
    if not isinstance(props, dict):
        abort(400, "properties must be an object")
    geom = None
    if doc.get("geometry") is not None:
        try:
            geom = shape(doc["geometry"])
        except Exception as exc:  # noqa: BLE001 - shapely raises several kinds for bad GeoJSON
            abort(400, f"invalid geometry: {exc}")
        if parse_crs(request.headers.get("Content-Crs", "").strip("<>") or None) == EPSG4490:
            from shapely import transform

            geom = transform(geom, lambda xy: xy[:, ::-1])
    return props, geom


def _version() -> int | None:
    tag = request.headers.get("If-Match", "").strip().strip('W/"').strip('"')
    if not tag or tag == "*":
        return None
    try:
        return int(tag)
    except ValueError:
        abort(400, "If-Match must carry the feature version")


def _run(fn: Callable[[], Any]) -> Any:
    session = get_session()
    try:
        result = fn()
        session.commit()
        return result
    except LookupError as exc:
        session.rollback()
        abort(404, str(exc))
    except PermissionError as exc:
        session.rollback()
        abort(403, str(exc))
    except Exception as exc:
        session.rollback()
        if is_conflict(exc):
            abort(json_response({"code": "Conflict", "description": str(exc)}, status=409))
        if isinstance(exc, ValueError | TypeError):
            abort(json_response({"code": "InvalidValue", "description": str(exc)}, status=400))
        raise


@bp.post("/collections/<cid>/items")
def create_item(cid: str):
    writer, actor = _authorised(cid)
    props, geom = _body()
    obj = _run(lambda: writer.create(get_session(), actor, props, geom))
    fid = getattr(obj, collections()[cid].id_column)
    resp = Response(status=201)
    resp.headers["Location"] = url_for("ogcapi.item", cid=cid, fid=fid, _external=True)
    resp.headers["ETag"] = f'"{obj.version}"'
    return resp


@bp.route("/collections/<cid>/items/<fid>", methods=["PUT", "PATCH"])
def update_item(cid: str, fid: str):
    writer, actor = _authorised(cid)
    props, geom = _body() if request.method == "PUT" else _patch_body()
    obj = _run(lambda: writer.update(get_session(), actor, fid, props, geom, _version()))
    resp = Response(status=204)
    resp.headers["ETag"] = f'"{obj.version}"'
    return resp


@bp.delete("/collections/<cid>/items/<fid>")
def delete_item(cid: str, fid: str):
    writer, actor = _authorised(cid)
    if writer.delete is None:
        abort(405, f"features of {cid} cannot be deleted through the API (retire or report them instead)")
    _run(lambda: writer.delete(get_session(), actor, fid, _version()))
    return Response(status=204)


def _patch_body() -> tuple[dict[str, Any], Any]:
    """PATCH accepts a partial Feature or a bare properties object."""
    try:
        doc = request.get_json(force=True)
    except Exception:  # noqa: BLE001
        abort(400, "the body must be JSON")
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        return _body()
    if not isinstance(doc, dict):
        abort(400, "the body must be a JSON object")
    return doc, None
