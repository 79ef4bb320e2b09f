"""JSON for the map page and scripts: viewport features, search suggestions, feature details."""

from __future__ import annotations

from flask import Blueprint
from flask import abort
from flask import jsonify
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user

from placenames.signs import queries as sign_queries
from webmap import tiles
from webmap.auth import role_required
from webmap.db import get_session
from webmap.search import outline
from webmap.search import suggest

bp = Blueprint("api", __name__, url_prefix="/api")


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
    """Sign audit findings of a district or town as GeoJSON points: ``GET /api/signs/audit?division=150302000000``."""
    division = (request.args.get("division") or "").strip()[:12]
    if not division.isdigit():
        abort(400, "division must be a division code")
    gdf = sign_queries.run_audit(get_session(), division_code=division)
    feats = []
    for row in gdf.itertuples(index=False):
        if row.geometry is None or row.geometry.is_empty:
            continue
        point = row.geometry if row.geometry.geom_type == "Point" else row.geometry.representative_point()
        sign = None if row.sign_id is None or row.sign_id != row.sign_id else int(row.sign_id)
        props = {
            k: _plain(getattr(row, k)) for k in ("kind", "street_key", "expected", "actual", "difference")
        }
        props.update(
            label=_(row.kind), sign_id=sign, sign_url=url_for("signs.detail", sign_id=sign) if sign else None
        )
        feats.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [round(point.x, 7), round(point.y, 7)]},
                "properties": props,
            }
        )
    return jsonify({"type": "FeatureCollection", "features": feats})


def _plain(value):
    """A JSON-safe value: NaN and None as null, everything else as text."""
    if value is None or value != value:
        return None
    return str(value)
