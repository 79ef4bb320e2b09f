"""Place-name officers: the naming procedure (propose, review, approve, announce, rename, retire),
the renaming procedure (propose, review, approve, announce), rule checks, geometry editing
(Leaflet.draw), history and diffs.

Each act is one call of :mod:`placenames.usecases`; a refusal shows the page again with the message
and the rule findings (:func:`webmap.errors.form_errors`).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from flask import Blueprint
from flask import abort
from flask import flash
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from geoalchemy2.shape import to_shape
from markupsafe import Markup
from shapely.geometry import mapping

from boundaries.divisions import division_names
from gis.contracts import of
from placenames import categories
from placenames import queries
from placenames import renaming as renamings
from placenames import store
from placenames import usecases
from placenames.models import NAME_STATUSES
from placenames.models import NameEvent
from placenames.models import PlaceName
from placenames.models import Renaming
from placenames.mongolian import vertical_svg
from placenames.search import division_stem
from placenames.search import search
from webmap import forms
from webmap import products
from webmap.auth import actor
from webmap.auth import role_required
from webmap.db import get_session
from webmap.errors import form_errors

bp = Blueprint("placenames", __name__, url_prefix="/names")
bp.add_app_template_global(forms.contract, "contract")
PAGE = 50
#: Most ranked results an officers' search pages through.
SEARCH_MAX = 200
OFFICER = "placename_officer"


def _index_page(*, error: str | None = None, status: int = 200, exc=None):
    """The list page: names by id, or ranked search results when ``q`` is given."""
    s = get_session()
    q = (request.args.get("q") or "").strip()
    status_filter = request.args.get("status") or ""
    status_filter = status_filter if status_filter in NAME_STATUSES else ""
    category = request.args.get("category") or ""
    category = category if category in categories.CATEGORIES else ""
    districts = division_names(s, levels=["district"])
    division = request.args.get("division") or ""
    division = division if division in districts else ""
    page = max(request.args.get("page", 1, type=int), 1)
    names, has_next, total, capped = [], False, 0, False
    if error is None and q:
        names, has_next, total, capped = _search_page(
            s, q, page, status=status_filter, category=category, division=division
        )
    elif error is None:
        names, total = queries.names_page(
            s,
            status=status_filter or None,
            category=category or None,
            division_stem=division_stem(division) if division else None,
            limit=PAGE + 1,
            offset=(page - 1) * PAGE,
        )
        names, has_next = names[:PAGE], len(names) > PAGE
    body = render_template(
        "placenames/index.html",
        names=names,
        has_next=has_next,
        page=page,
        total=total,
        capped=capped,
        searching=bool(q),
        q=q,
        status=status_filter,
        category=category,
        division=division,
        districts=districts,
        statuses=NAME_STATUSES,
        categories=categories.CATEGORIES,
        match_labels=_match_labels(),
        error=error,
    )
    return body, status


@bp.get("/")
@role_required(OFFICER)
@form_errors(_index_page)
def index():
    """Names of every status: listed by id, or ranked by ``placenames.search`` when ``q`` is given.

    The search is the public one (Chinese exact/prefix/substring/typo, pinyin with or without
    spaces, initials, former names, aliases); officers see every status unless they filter one.
    """
    return _index_page()


def _search_page(s, q: str, page: int, *, status: str, category: str, division: str):
    """One page of ranked search results; the search returns at most ``SEARCH_MAX`` names."""
    wanted = min(page * PAGE + 1, SEARCH_MAX)
    found = search(
        s, q, limit=wanted, status=status or None, category=category or None, division=division or None
    )
    start = (page - 1) * PAGE
    names = found[start : start + PAGE]
    has_next = len(found) > start + PAGE
    return names, has_next, len(found), len(found) >= SEARCH_MAX


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


def _propose_page(*, findings=(), error: str | None = None, status: int = 200, exc=None):
    """The proposal form, with the rule findings of a check or of a refusal."""
    findings = getattr(exc, "findings", None) or findings
    body = render_template(
        "placenames/propose.html",
        findings=list(findings),
        error=error,
        categories=categories.CATEGORIES,
        form=request.form,
    )
    return body, status


@bp.route("/new", methods=["GET", "POST"])
@role_required(OFFICER)
@form_errors(_propose_page)
def propose():
    """Propose a name (申报); "check" runs the rule checks without saving."""
    if request.method == "GET":
        return _propose_page()
    s = get_session()
    name = forms.text("name", required=True, contract=of(PlaceName, "name"))
    category = forms.text("category_code", required=True, contract=of(PlaceName, "category_code"))
    division = forms.text("division_code", contract=of(PlaceName, "division_code"))
    if request.form.get("action") == "check":
        return _propose_page(
            findings=usecases.check(s, name=name, category_code=category, division_code=division)
        )
    done = usecases.propose(
        s,
        actor=actor(),
        name=name,
        category_code=category,
        division_code=division,
        geom=forms.geometry(),
        romanized=forms.text("romanized", contract=of(PlaceName, "romanized")),
        romanized_reason=forms.text("romanized_reason", contract=of(PlaceName, "romanized_override_reason")),
        meaning=forms.text("meaning", contract=of(PlaceName, "meaning")),
        location_desc=forms.text("location_desc", contract=of(PlaceName, "location_desc")),
        reason=forms.text("reason", contract=of(NameEvent, "reason")),
        document=forms.text("document", contract=of(NameEvent, "document")),
    )
    s.commit()
    flash(_("Name proposed: %(name)s", name=done.place.name), "ok")
    return redirect(url_for("placenames.detail", place_id=done.place.id))


@bp.get("/<int:place_id>")
@role_required(OFFICER)
def detail(place_id: int):
    return _detail_page(place_id)


def _detail_page(
    place_id: int, action: str | None = None, *, error: str | None = None, status: int = 200, exc=None
):
    """A name with its rule checks, action forms and history; after a refusal, its message and findings."""
    s = get_session()
    pn = store.get(s, place_id)
    info = queries.to_dict(s, pn, with_history=True)
    pending = renamings.open_renaming(s, pn.id)
    shape = to_shape(pn.geom) if pn.geom is not None else None
    geojson = json.dumps(mapping(shape)) if shape is not None else ""
    geometry_type = shape.geom_type if shape is not None else ""
    refused_edit = error is not None and action == "edit"
    body = render_template(
        "placenames/detail.html",
        pn=pn,
        info=info,
        geojson=geojson,
        geometry_type=geometry_type,
        geometry_kind=_geometry_kinds().get(geometry_type, geometry_type),
        failed_action=action if error is not None else None,
        posted_geometry=request.form.get("geometry", "") if refused_edit else "",
        current_findings=store.check(
            s, name=pn.name, category_code=pn.category_code, division_code=pn.division_code, self_id=pn.id
        ),
        findings=getattr(exc, "findings", None) or [],
        error=error,
        today=date.today().isoformat(),
        transitions=store.TRANSITIONS.get(pn.status, set()),
        renamings=renamings.renamings_of(s, pn.id),
        mongolian_svg=Markup(vertical_svg(pn.mongolian, size=18)) if pn.mongolian else None,
        pending=pending,
        pending_findings=renamings.findings(s, pending) if pending is not None else [],
    )
    return body, status


def _geometry_kinds() -> dict[str, str]:
    """How each geometry type of a name is called on its page."""
    return {
        "Point": _("a point"),
        "MultiPoint": _("points"),
        "LineString": _("a line"),
        "MultiLineString": _("a line"),
        "Polygon": _("an area"),
        "MultiPolygon": _("an area"),
    }


def _review(s, place_id: int, who: str, version: int) -> usecases.Outcome:
    return usecases.review(
        s,
        place_id,
        actor=who,
        expected_version=version,
        reason=forms.text("reason", contract=of(NameEvent, "reason")),
    )


def _approve(s, place_id: int, who: str, version: int) -> usecases.Outcome:
    return usecases.approve(
        s,
        place_id,
        actor=who,
        authority=forms.text("authority", required=True, contract=of(PlaceName, "approving_authority")),
        document=forms.text("document", required=True, contract=of(PlaceName, "approval_doc_no")),
        approval_date=forms.day("approval_date"),
        justification=forms.text("justification", contract=of(Renaming, "justification")),
        expected_version=version,
    )


def _announce(s, place_id: int, who: str, version: int) -> usecases.Outcome:
    return usecases.announce(
        s,
        place_id,
        actor=who,
        announcement_date=forms.day("announcement_date"),
        document=forms.text("document", contract=of(NameEvent, "document")),
        expected_version=version,
    )


def _rename(s, place_id: int, who: str, version: int) -> usecases.Outcome:
    return usecases.rename(
        s,
        place_id,
        actor=who,
        new_name=forms.text("new_name", required=True, contract=of(PlaceName, "name")),
        reason=forms.text("reason", required=True, contract=of(NameEvent, "reason")),
        document=forms.text("document", contract=of(NameEvent, "document")),
        effective=forms.day("effective"),
        justification=forms.text("justification", contract=of(Renaming, "justification")),
        romanized=forms.text("romanized", contract=of(PlaceName, "romanized")),
        romanized_reason=forms.text("romanized_reason", contract=of(PlaceName, "romanized_override_reason")),
        expected_version=version,
    )


def _retire(s, place_id: int, who: str, version: int) -> usecases.Outcome:
    return usecases.retire(
        s,
        place_id,
        actor=who,
        reason=forms.text("reason", required=True, contract=of(NameEvent, "reason")),
        document=forms.text("document", contract=of(NameEvent, "document")),
        successor_id=forms.number("successor_id", contract=of(PlaceName, "successor_id")),
        expected_version=version,
    )


def _edit(s, place_id: int, who: str, version: int) -> usecases.Outcome:
    texts = ("meaning", "history", "location_desc", "mongolian", "mongolian_source")
    values = {k: forms.text(k, contract=of(PlaceName, k)) for k in texts if k in request.form}
    if "aliases" in request.form:
        values["aliases"] = [
            a.strip() for a in request.form["aliases"].replace("，", ",").split(",") if a.strip()
        ]
    return usecases.edit(
        s,
        place_id,
        actor=who,
        reason=forms.text("reason", contract=of(NameEvent, "reason")),
        expected_version=version,
        geom=forms.geometry(),
        romanized=forms.text("romanized", contract=of(PlaceName, "romanized")),
        romanized_reason=forms.text("romanized_reason", contract=of(PlaceName, "romanized_override_reason")),
        **values,
    )


#: The acts of the detail page's forms, each parsing its form and calling its use case.
ACTS = {
    "review": _review,
    "approve": _approve,
    "announce": _announce,
    "rename": _rename,
    "retire": _retire,
    "edit": _edit,
}


@bp.post("/<int:place_id>/<action>")
@role_required(OFFICER)
@form_errors(_detail_page)
def act(place_id: int, action: str):
    """Run one act of the naming procedure on a name, at the version the form was shown with.

    A rename leads to the sign work list of the name (the use case opened the work orders).
    """
    if action not in ACTS:
        abort(404)
    s = get_session()
    ACTS[action](s, place_id, actor(), forms.version())
    s.commit()
    flash(_("Done: %(action)s", action=_(action)), "ok")
    if action == "rename":
        return redirect(url_for("signs.worklist", place_id=place_id))
    return redirect(url_for("placenames.detail", place_id=place_id))


def _renaming_page(
    renaming_id: int, step: str | None = None, *, error: str | None = None, status: int = 200, exc=None
):
    """The page of the renamed name, after a refused step of its renaming."""
    place_id = renamings.get(get_session(), renaming_id).place_name_id
    return _detail_page(place_id, error=error, status=status, exc=exc)


@bp.post("/<int:place_id>/renamings")
@role_required(OFFICER)
@form_errors(_detail_page)
def propose_renaming(place_id: int):
    """Propose (申报) renaming a standard name; the old name stays standard until announced."""
    s = get_session()
    r = usecases.propose_renaming(
        s,
        place_id,
        actor=actor(),
        new_name=forms.text("new_name", required=True, contract=of(PlaceName, "name")),
        reason=forms.text("reason", required=True, contract=of(NameEvent, "reason")),
        romanized=forms.text("romanized", contract=of(PlaceName, "romanized")),
        romanized_reason=forms.text("romanized_reason", contract=of(PlaceName, "romanized_override_reason")),
    )
    s.commit()
    flash(_("Renaming proposed: %(old)s → %(new)s", old=r.old_name, new=r.new_name), "ok")
    return redirect(url_for("placenames.detail", place_id=place_id, _anchor="renaming"))


def _review_renaming(s, renaming_id: int, who: str, version: int):
    return usecases.review_renaming(s, renaming_id, actor=who, expected_version=version)


def _approve_renaming(s, renaming_id: int, who: str, version: int):
    return usecases.approve_renaming(
        s,
        renaming_id,
        actor=who,
        authority=forms.text("authority", required=True, contract=of(Renaming, "approving_authority")),
        document=forms.text("document", required=True, contract=of(Renaming, "approval_doc_no")),
        approval_date=forms.day("approval_date"),
        justification=forms.text("justification", contract=of(Renaming, "justification")),
        expected_version=version,
    )


def _announce_renaming(s, renaming_id: int, who: str, version: int):
    return usecases.announce_renaming(
        s,
        renaming_id,
        actor=who,
        announcement_date=forms.day("announcement_date"),
        document=forms.text("document", contract=of(Renaming, "announcement_doc")),
        expected_version=version,
    )


#: The steps of a renaming after its proposal, each parsing its form and calling its use case.
RENAMING_STEPS = {
    "review": _review_renaming,
    "approve": _approve_renaming,
    "announce": _announce_renaming,
}


@bp.post("/renamings/<int:renaming_id>/<step>")
@role_required(OFFICER)
@form_errors(_renaming_page)
def renaming_step(renaming_id: int, step: str):
    """Review, approve or announce a renaming, at the version the form was shown with.

    The announcement leads to the sign work list of the name (the use case opened the work orders).
    """
    if step not in RENAMING_STEPS:
        abort(404)
    s = get_session()
    place_id = renamings.get(s, renaming_id).place_name_id
    RENAMING_STEPS[step](s, renaming_id, actor(), forms.version())
    s.commit()
    flash(_("Done: %(action)s", action=_(step)), "ok")
    if step == "announce":
        return redirect(url_for("signs.worklist", place_id=place_id))
    return redirect(url_for("placenames.detail", place_id=place_id, _anchor="renaming"))


@bp.get("/<int:place_id>/history.json")
@role_required(OFFICER)
def history_json(place_id: int):
    s = get_session()
    return jsonify(queries.events(s, store.get(s, place_id).id))


GAZETTEER = products.WebProduct("gazetteer", "placenames.gazetteer", _l("Gazetteer"))
bp.record_once(lambda state: products.init_app(state.app))


def _gazetteer_params() -> dict[str, str]:
    return {"format": "pdf" if request.values.get("format") == "pdf" else "html"}


def _gazetteer_builder(pdf: bool):
    def build(session, out: Path, progress=None) -> str:
        from placenames import gazetteer as gz

        result = gz.write_gazetteer(session, out, pdf=pdf, progress=progress)
        return Path(result["pdf" if pdf else "html"]).name

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
    mapping.write_map(get_session(), out / name, kind=kind, dpi=200 if fmt == "png" else 300)
    return send_from_directory(out, name, as_attachment=True)
