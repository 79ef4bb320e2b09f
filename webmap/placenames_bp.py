"""Place-name officers: the naming procedure (propose, review, approve, announce, rename, retire),
rule checks, geometry editing (Leaflet.draw), history and diffs."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from flask import Blueprint
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from geoalchemy2.shape import to_shape
from shapely.geometry import mapping
from sqlalchemy import func
from sqlalchemy import select

from boundaries.models import Division
from placenames import categories
from placenames import store
from placenames.signs import workorders
from placenames.models import NAME_STATUSES
from placenames.models import PlaceName
from placenames.search import division_stem
from placenames.search import search
from webmap import forms
from webmap import products
from webmap.auth import actor
from webmap.auth import role_required
from webmap.db import get_session
from webmap.errors import is_conflict

bp = Blueprint("placenames", __name__, url_prefix="/names")
PAGE = 50
#: Most ranked results an officers' search pages through.
SEARCH_MAX = 200
OFFICER = "placename_officer"


@bp.get("/")
@role_required(OFFICER)
def index():
    """Names of every status: listed by id, or ranked by ``placenames.search`` when ``q`` is given.

    The search is the public one (Chinese exact/prefix/substring/typo, pinyin with or without
    spaces, initials, former names, aliases); officers see every status unless they filter one.
    """
    s = get_session()
    q = (request.args.get("q") or "").strip()
    status = request.args.get("status") or ""
    status = status if status in NAME_STATUSES else ""
    category = request.args.get("category") or ""
    category = category if category in categories.CATEGORIES else ""
    division = request.args.get("division") or ""
    districts = _districts(s)
    division = division if division in districts else ""
    page = max(request.args.get("page", 1, type=int), 1)
    if q:
        names, has_next, total, capped = _search_page(
            s, q, page, status=status, category=category, division=division
        )
    else:
        names, has_next, total = _list_page(s, page, status=status, category=category, division=division)
        capped = False
    return render_template(
        "placenames/index.html",
        names=names,
        has_next=has_next,
        page=page,
        total=total,
        capped=capped,
        searching=bool(q),
        q=q,
        status=status,
        category=category,
        division=division,
        districts=districts,
        statuses=NAME_STATUSES,
        categories=categories.CATEGORIES,
        match_labels=_match_labels(),
    )


def _list_page(s, page: int, *, status: str, category: str, division: str):
    """One page of names in id order (no query), with the total count."""
    stmt = select(PlaceName)
    if status:
        stmt = stmt.where(PlaceName.status == status)
    if category:
        stmt = stmt.where(PlaceName.category_code >= category, PlaceName.category_code < category + "~")
    if division:
        stem = division_stem(division)
        stmt = stmt.where(PlaceName.division_code >= stem, PlaceName.division_code < stem + "~")
    total = s.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = s.scalars(stmt.order_by(PlaceName.id).limit(PAGE + 1).offset((page - 1) * PAGE)).all()
    return rows[:PAGE], len(rows) > PAGE, total


def _search_page(s, q: str, page: int, *, status: str, category: str, division: str):
    """One page of ranked search results; the search returns at most ``SEARCH_MAX`` names."""
    wanted = min(page * PAGE + 1, SEARCH_MAX)
    try:
        found = search(s, q, limit=wanted, status=status or None, category=category or None,
                       division=division or None)  # fmt: skip
    except ValueError as exc:
        flash(str(exc), "error")
        return [], False, 0, False
    start = (page - 1) * PAGE
    names = found[start : start + PAGE]
    has_next = len(found) > start + PAGE
    return names, has_next, len(found), len(found) >= SEARCH_MAX


def _districts(s) -> dict[str, str]:
    """District codes and names for the division filter."""
    stmt = select(Division.code, Division.name).where(Division.level == "district").order_by(Division.code)
    return dict(s.execute(stmt).all())


def _match_labels() -> dict[str, str]:
    """How each match kind of ``placenames.search`` is shown next to the matched text."""
    return {
        "exact": _("name"),
        "prefix": _("name"),
        "substring": _("part of a name"),
        "former_exact": _("former name"),
        "former_prefix": _("former name"),
        "alias_exact": _("alias"),
        "pinyin_exact": _("pinyin"),
        "pinyin_prefix": _("pinyin"),
        "initials_exact": _("initials"),
        "initials_prefix": _("initials"),
        "typo": _("similar spelling"),
    }


@bp.route("/new", methods=["GET", "POST"])
@role_required(OFFICER)
def propose():
    """Propose a name (申报); "check" runs the rule checks without saving."""
    s = get_session()
    findings = []
    if request.method == "POST":
        name = forms.text("name", required=True, limit=100)
        category = forms.text("category_code", required=True, limit=8)
        division = forms.text("division_code", limit=12)
        try:
            if request.form.get("action") == "check":
                findings = store.check(s, name=name, category_code=category, division_code=division)
            else:
                pn = store.propose(
                    s,
                    actor=actor(),
                    name=name,
                    category_code=category,
                    division_code=division,
                    geom=forms.geometry(),
                    romanized=forms.text("romanized", limit=200),
                    romanized_reason=forms.text("romanized_reason"),
                    meaning=forms.text("meaning"),
                    location_desc=forms.text("location_desc"),
                    reason=forms.text("reason"),
                    document=forms.text("document", limit=200),
                )
                s.commit()
                flash(_("Name proposed: %(name)s", name=pn.name), "ok")
                return redirect(url_for("placenames.detail", place_id=pn.id))
        except ValueError as exc:
            s.rollback()
            flash(str(exc), "error")
            findings = getattr(exc, "findings", findings)
    return render_template(
        "placenames/propose.html", findings=findings, categories=categories.CATEGORIES, form=request.form
    )


@bp.get("/<int:place_id>")
@role_required(OFFICER)
def detail(place_id: int):
    return _detail(place_id)


def _detail(place_id: int, *, error: str | None = None, findings=None, status: int = 200):
    s = get_session()
    try:
        pn = store.get(s, place_id)
    except LookupError:
        abort(404)
    info = store.to_dict(s, pn, with_history=True)
    geojson = json.dumps(mapping(to_shape(pn.geom))) if pn.geom is not None else ""
    current = store.check(
        s, name=pn.name, category_code=pn.category_code, division_code=pn.division_code, self_id=pn.id
    )
    body = render_template(
        "placenames/detail.html",
        pn=pn,
        info=info,
        geojson=geojson,
        current_findings=current,
        findings=findings or [],
        error=error,
        today=date.today().isoformat(),
        transitions=store.TRANSITIONS.get(pn.status, set()),
    )
    return body, status


@bp.post("/<int:place_id>/<action>")
@role_required(OFFICER)
def act(place_id: int, action: str):
    """Run one action of the naming procedure on a name, at the version the form was shown with."""
    s = get_session()
    v = forms.version()
    who = actor()
    try:
        if action == "review":
            store.review(s, place_id, actor=who, expected_version=v, reason=forms.text("reason"))
        elif action == "approve":
            store.approve(
                s,
                place_id,
                actor=who,
                authority=forms.text("authority", required=True, limit=100),
                document=forms.text("document", required=True, limit=100),
                approval_date=forms.day("approval_date", default=date.today()),
                justification=forms.text("justification"),
                expected_version=v,
            )
        elif action == "announce":
            store.announce(
                s, place_id, actor=who, announcement_date=forms.day("announcement_date", default=date.today()),
                document=forms.text("document", limit=200), expected_version=v,
            )  # fmt: skip
        elif action == "rename":
            old_name = store.get(s, place_id).name
            store.rename(
                s,
                place_id,
                actor=who,
                new_name=forms.text("new_name", required=True, limit=100),
                reason=forms.text("reason", required=True),
                document=forms.text("document", limit=200),
                effective=forms.day("effective"),
                justification=forms.text("justification"),
                romanized=forms.text("romanized", limit=200),
                romanized_reason=forms.text("romanized_reason"),
                expected_version=v,
            )
            # open the sign work orders for the renaming (idempotent: signs already on an
            # unfinished "renamed" order are not listed twice)
            workorders.work_list_for_renaming(s, place_name_id=place_id, actor=who, old_names=[old_name],
                                              reason=forms.text("reason"))  # fmt: skip
        elif action == "retire":
            store.retire(
                s, place_id, actor=who, reason=forms.text("reason", required=True), document=forms.text("document", limit=200),
                successor_id=forms.number("successor_id", kind=int), expected_version=v,
            )  # fmt: skip
        elif action == "edit":
            fields = {
                k: forms.text(k)
                for k in ("meaning", "history", "location_desc", "mongolian", "mongolian_source")
                if k in request.form
            }
            if "aliases" in request.form:
                fields["aliases"] = [
                    a.strip() for a in request.form["aliases"].replace("，", ",").split(",") if a.strip()
                ]
            store.update(
                s, place_id, actor=who, reason=forms.text("reason"), expected_version=v, geom=forms.geometry(),
                romanized=forms.text("romanized", limit=200), romanized_reason=forms.text("romanized_reason"), **fields,
            )  # fmt: skip
        else:
            abort(404)
        s.commit()
    except LookupError:
        s.rollback()
        abort(404)
    except Exception as exc:
        s.rollback()
        if is_conflict(exc):
            return _detail(place_id, error=str(exc), status=409)
        if isinstance(exc, ValueError):
            return _detail(place_id, error=str(exc), findings=getattr(exc, "findings", None), status=422)
        raise
    flash(_("Done: %(action)s", action=_(action)), "ok")
    if action == "rename":
        return redirect(url_for("signs.worklist", place_id=place_id))
    return redirect(url_for("placenames.detail", place_id=place_id))


@bp.get("/<int:place_id>/history.json")
@role_required(OFFICER)
def history_json(place_id: int):
    from flask import jsonify

    return jsonify(store.events(get_session(), place_id))


GAZETTEER = products.WebProduct("gazetteer", "placenames.gazetteer", _l("Gazetteer"))
bp.record_once(lambda state: products.init_app(state.app))


def _gazetteer_params() -> dict[str, str]:
    return {"format": "pdf" if request.values.get("format") == "pdf" else "html"}


def _gazetteer_builder(pdf: bool):
    def build(session, out: Path) -> str:
        from placenames import gazetteer as gz

        return Path(gz.write_gazetteer(session, out, pdf=pdf)["pdf" if pdf else "html"]).name

    return build


def _gazetteer_download() -> str:
    from placenames.gazetteer import TITLE

    return f"{TITLE}.pdf"


@bp.get("/products/gazetteer/")
@role_required(OFFICER)
def gazetteer():
    """The gazetteer 《乌海市地名志》 as HTML or PDF (``placenames.gazetteer``), built in the
    background once per data generation and served from the instance folder."""
    params = _gazetteer_params()
    builder = _gazetteer_builder(params["format"] == "pdf")
    return products.respond(GAZETTEER, params, builder, download_name=_gazetteer_download())


@bp.get("/products/gazetteer/status")
@role_required(OFFICER)
def gazetteer_status():
    return products.status_json(GAZETTEER, _gazetteer_params())


@bp.post("/products/gazetteer/rebuild")
@role_required(OFFICER)
def gazetteer_rebuild():
    params = _gazetteer_params()
    return products.rebuild(GAZETTEER, params, _gazetteer_builder(params["format"] == "pdf"))


@bp.get("/products/gazetteer/files/<format>/<build>/<path:name>")
@role_required(OFFICER)
def gazetteer_file(format: str, build: str, name: str):
    """Files of one gazetteer build (the HTML or PDF and the overview-map images)."""
    if format not in ("html", "pdf"):
        abort(404)
    return products.send_build_file(
        GAZETTEER, {"format": format}, build, name, download_name=_gazetteer_download()
    )


@bp.get("/products/map")
@role_required(OFFICER)
def product_map():
    """The standard place-name map or the division map as PNG or PDF (``placenames.mapping``)."""
    from flask import current_app
    from flask import send_from_directory

    from placenames import mapping

    kind = request.args.get("kind", "names")
    fmt = request.args.get("format", "png")
    if kind not in mapping.KINDS or fmt not in ("png", "pdf"):
        abort(400, "kind must be names or divisions, format png or pdf")
    out = Path(current_app.instance_path) / "products"
    name = f"map_{kind}.{fmt}"
    try:
        mapping.write_map(get_session(), out / name, kind=kind, dpi=200 if fmt == "png" else 300)
    except LookupError as exc:
        abort(404, str(exc))
    return send_from_directory(out, name, as_attachment=True)
