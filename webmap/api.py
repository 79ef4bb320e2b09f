"""JSON for the map page and scripts: viewport features, search suggestions, feature details."""

from __future__ import annotations

from flask import Blueprint
from flask import abort
from flask import jsonify
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user

from gis.errors import InvalidInput
from placenames.signs.audit import filter_findings
from webmap import tiles
from webmap.auth import role_required
from webmap.db import get_session
from webmap.search import outline
from webmap.search import suggest
from webmap.signs_audit import audit_findings

bp = Blueprint("api", __name__, url_prefix="/api")
#: Findings per page of ``/api/signs/audit`` unless asked otherwise, and the most asked at once.
AUDIT_LIMIT = 1000
AUDIT_MAX_LIMIT = 10000


@bp.get("/layers")
def layers():
    """The map's layers and the zoom below which points are aggregated."""
    return jsonify(
        [
            {"name": layer.name, "kind": layer.kind, "cluster_below": layer.cluster_below}
            for layer in tiles.LAYERS.values()
        ]
    )


@bp.get("/features/<layer>")
def features(layer: str):
    """``GET /api/features/signs?bbox=minx,miny,maxx,maxy&zoom=14[&display=gcj02]``."""
    if layer not in tiles.LAYERS:
        abort(404, f"no layer {layer!r}")
    try:
        bbox = tiles.parse_bbox(request.args.get("bbox"))
        zoom = int(request.args.get("zoom", "12"))
    except ValueError as exc:
        abort(400, str(exc))
    gcj = request.args.get("display") == "gcj02"
    args = {k: v for k, v in request.args.items() if k in ("level", "kind", "code")}
    if layer == "markers" and current_user.is_authenticated and current_user.has_role("boundary_inspector"):
        args["private"] = "1"
    fc = tiles.viewport_features(get_session(), layer, bbox=bbox, zoom=zoom, args=args, gcj02=gcj)
    resp = jsonify(fc)
    resp.headers["Cache-Control"] = "private, max-age=30" if "private" in args else "public, max-age=30"
    return resp


@bp.get("/search")
def search():
    """Suggestions for the search box: ``GET /api/search?q=hbw&limit=10``."""
    q = (request.args.get("q") or "").strip()
    if not q:
        return jsonify([])
    if len(q) > 100:
        abort(400, "query too long (100 characters at most)")
    try:
        limit = min(max(int(request.args.get("limit", "10")), 1), 50)
    except ValueError:
        abort(400, "limit must be a number")
    gcj = request.args.get("display") == "gcj02"
    return jsonify(suggest(get_session(), q, limit=limit, gcj02=gcj))


@bp.get("/names/<int:place_id>/outline")
def name_outline(place_id: int):
    """A public name's geometry and its district's outline, drawn after a search."""
    gcj = request.args.get("display") == "gcj02"
    return jsonify(outline(get_session(), place_id, gcj02=gcj))


@bp.get("/signs/audit")
@role_required("placename_officer", "sign_maintainer")
def sign_audit():
    """Sign audit findings as GeoJSON points, the same as the audit page's:
    ``GET /api/signs/audit[?division=150302000000][&kind=wrong_text][&severity=error][&limit=&offset=]``.

    Without a division, the whole city. ``numberMatched`` counts the findings of the filter,
    ``counts`` them by kind; ``limit`` (1 to 10,000, default 1,000) and ``offset`` page them, with
    a ``next`` link while more remain.
    """
    division = (request.args.get("division") or request.args.get("district") or "").strip()[:12]
    if division and not division.isdigit():
        raise InvalidInput("division must be a 12-digit division code", field="division")
    limit = _int_arg("limit", AUDIT_LIMIT, 1, AUDIT_MAX_LIMIT)
    offset = _int_arg("offset", 0, 0, None)
    gdf = filter_findings(
        audit_findings(division or None),
        kind=request.args.get("kind") or None,
        severity=request.args.get("severity") or None,
    )
    feats = []
    for row in gdf.iloc[offset : offset + limit].itertuples(index=False):
        sign = None if row.sign_id is None or row.sign_id != row.sign_id else int(row.sign_id)
        props = {
            k: _plain(getattr(row, k))
            for k in ("kind", "severity", "street_key", "expected", "actual", "difference", "detail")
        }
        props.update(
            label=_(row.kind), sign_id=sign, sign_url=url_for("signs.detail", sign_id=sign) if sign else None
        )
        feats.append({"type": "Feature", "geometry": _point(row.geometry), "properties": props})
    args = {k: v for k, v in request.args.items() if k in ("division", "district", "kind", "severity")}
    links = [{"rel": "self", "href": url_for("api.sign_audit", **args, limit=limit, offset=offset)}]
    if offset + limit < len(gdf):
        links.append(
            {"rel": "next", "href": url_for("api.sign_audit", **args, limit=limit, offset=offset + limit)}
        )
    return jsonify(
        {
            "type": "FeatureCollection",
            "numberMatched": len(gdf),
            "numberReturned": len(feats),
            "counts": {str(k): int(n) for k, n in gdf["kind"].value_counts().sort_index().items()},
            "links": links,
            "features": feats,
        }
    )


def _int_arg(name: str, default: int, lowest: int, highest: int | None) -> int:
    """A whole-number query argument within bounds (refused naming it otherwise)."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput(f"{name} must be a whole number", field=name) from None
    if value < lowest or (highest is not None and value > highest):
        bounds = f"from {lowest} to {highest}" if highest is not None else f"at least {lowest}"
        raise InvalidInput(f"{name} must be {bounds}", field=name)
    return value


def _point(geom) -> dict | None:
    """A finding's place as a GeoJSON point (a point inside it for a line or area), or ``None``."""
    if geom is None or geom.is_empty:
        return None
    point = geom if geom.geom_type == "Point" else geom.representative_point()
    return {"type": "Point", "coordinates": [round(point.x, 7), round(point.y, 7)]}


def _plain(value):
    """A JSON-safe value: NaN and None as null, everything else as text."""
    if value is None or value != value:
        return None
    return str(value)
