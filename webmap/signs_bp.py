"""Sign maintainers and officers: inventory, editing, audit findings, the work list after a
renaming, and work orders."""

from __future__ import annotations

import re

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from geoalchemy2.shape import to_shape
from markupsafe import Markup
from sqlalchemy import func
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from boundaries.divisions import divisions_gdf
from gis.contracts import of
from gis.rows import get_or_raise
from placenames import queries as name_queries
from placenames.models import SIGN_CONDITIONS
from placenames.models import SIGN_KINDS
from placenames.models import PlaceName
from placenames.models import Sign
from placenames.models import WorkOrder
from placenames.signs import store as signs_store
from placenames.signs import usecases
from placenames.signs import workorders
from placenames.signs.audit import DETAILS
from placenames.signs.audit import FINDING_SEVERITY
from placenames.signs.audit import SEVERITIES
from placenames.signs.audit import filter_findings
from placenames.signs.render import sign_face_svg
from placenames.signs.usecases import EDIT_FIELDS
from placenames.signs.workorders import WORK_ORDER_CONTRACTS
from webmap import forms
from webmap.auth import actor
from webmap.auth import role_required
from webmap.db import get_session
from webmap.errors import form_errors
from webmap.signs_audit import audit_findings
from webmap.uploads import read_limited

bp = Blueprint("signs", __name__, url_prefix="/signs")
ROLES = ("placename_officer", "sign_maintainer")
PAGE = 50


@bp.get("/")
@role_required(*ROLES)
def index():
    """The sign inventory, filtered by kind, condition, district and code/text."""
    s = get_session()
    kind = request.args.get("kind") or ""
    condition = request.args.get("condition") or ""
    division = (request.args.get("division") or "").strip()[:12]
    q = (request.args.get("q") or "").strip()[:100]
    page = max(request.args.get("page", 1, type=int), 1)
    stmt = select(Sign)
    if kind in SIGN_KINDS:
        stmt = stmt.where(Sign.kind == kind)
    if condition in SIGN_CONDITIONS:
        stmt = stmt.where(Sign.condition == condition)
    if division.isdigit():
        stmt = stmt.where(Sign.division_code.like(division.rstrip("0") + "%"))
    if q:
        stmt = stmt.where((Sign.code == q) | Sign.text_zh.contains(q, autoescape=True))
    total = s.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = s.scalars(stmt.order_by(Sign.id).limit(PAGE + 1).offset((page - 1) * PAGE)).all()
    counts = dict(s.execute(select(Sign.condition, func.count()).group_by(Sign.condition)).all())
    return render_template(
        "signs/index.html",
        signs=rows[:PAGE],
        has_next=len(rows) > PAGE,
        page=page,
        total=total,
        counts=counts,
        kind=kind,
        condition=condition,
        division=division,
        q=q,
        kinds=SIGN_KINDS,
        conditions=SIGN_CONDITIONS,
    )


def _detail_page(sign_id: int, *, error: str | None = None, status: int = 200, **_kw):
    s = get_session()
    sign = signs_store.get_sign(s, sign_id)
    pt = to_shape(sign.geom)
    orders = s.scalars(
        select(WorkOrder).where(WorkOrder.sign_id == sign.id).order_by(WorkOrder.id.desc())
    ).all()
    body = render_template(
        "signs/detail.html",
        sign=sign,
        lon=pt.x,
        lat=pt.y,
        orders=orders,
        error=error,
        conditions=SIGN_CONDITIONS,
        fields=EDIT_FIELDS,
        reasons=workorders.REASONS,
        face=Markup(
            sign_face_svg(
                kind=sign.kind,
                text_zh=sign.text_zh,
                text_romanized=sign.text_romanized,
                text_mongolian=sign.text_mongolian,
                house_number=sign.house_number,
            )
        ),
    )
    return body, status


@bp.route("/<int:sign_id>", methods=["GET", "POST"])
@role_required(*ROLES)
@form_errors(_detail_page)
def detail(sign_id: int):
    """One sign; POST saves changes and the position at the version shown (stale → 409)."""
    if request.method == "GET":
        return _detail_page(sign_id)
    s = get_session()
    usecases.edit_sign(
        s,
        sign_id,
        actor=actor(),
        changes={k: forms.text(k, contract=of(Sign, k)) for k in EDIT_FIELDS if k in request.form},
        expected_version=forms.version(),
        lon=forms.number("lon"),
        lat=forms.number("lat"),
        reason=forms.text("reason"),
    )
    s.commit()
    flash(_("Sign saved."), "ok")
    return redirect(url_for("signs.detail", sign_id=sign_id))


@bp.post("/<int:sign_id>/orders")
@role_required(*ROLES)
@form_errors(_detail_page)
def open_order(sign_id: int):
    """Open a work order for this sign (problem, description, optional photo)."""
    s = get_session()
    photo = uploaded_photo(request.files.get("photo"))
    usecases.open_work_order(
        s,
        actor=actor(),
        reason=forms.text("problem", required=True, contract=WORK_ORDER_CONTRACTS["reason"]),
        sign_id=sign_id,
        description=forms.text("description", contract=WORK_ORDER_CONTRACTS["description"]),
        photos=[photo] if photo else [],
        instance_dir=current_app.instance_path,
    )
    s.commit()
    flash(_("Work order updated."), "ok")
    return redirect(url_for("signs.detail", sign_id=sign_id))


#: Colours of the finding kinds on the audit map and in its legend.
FINDING_COLOURS = {
    "sign_missing": "#c0392b",
    "wrong_text": "#e67e22",
    "old_name": "#8e44ad",
    "unknown_street": "#6c3483",
    "bad_number": "#784212",
    "duplicate_number": "#2e86c1",
    "wrong_side": "#5d6d7e",
    "wrong_romanization": "#d4ac0d",
    "missing_mongolian": "#b7950b",
    "wrong_mongolian": "#9a7d0a",
    "far_from_street": "#aab7b8",
    "number_gap": "#17a589",
    "out_of_order": "#229954",
    "intersection_without_sign": "#1b2631",
    "street_end_without_sign": "#f1948a",
    "street_without_plates": "#6e2c00",
}
#: Rows of the findings table per page; the map shows every finding of the filter.
AUDIT_PAGE = PAGE


@bp.get("/audit")
@role_required(*ROLES)
def audit():
    """Audit findings (text, coverage, numbering, missing) of the whole city or of one district or
    town, filtered by kind and severity: counted, on a map coloured by kind and in a paged table."""
    s = get_session()
    districts = _districts(s)
    known = {code for code, _name in districts}
    division = (request.args.get("division") or "").strip()[:12]
    division = division if division in known else ""
    kind = request.args.get("kind") or ""
    kind = kind if kind in FINDING_SEVERITY else ""
    severity = request.args.get("severity") or ""
    severity = severity if severity in SEVERITIES else ""
    page = max(request.args.get("page", 1, type=int), 1)
    found = audit_findings(division or None)
    all_kinds = found["kind"].value_counts().to_dict()
    all_severities = found["severity"].value_counts().to_dict()
    gdf = filter_findings(found, kind=kind, severity=severity)
    by_kind = gdf["kind"].value_counts().to_dict()
    start = (page - 1) * AUDIT_PAGE
    rows = [_finding_row(r) for r in gdf.iloc[start : start + AUDIT_PAGE].itertuples(index=False)]
    return render_template(
        "signs/audit.html",
        findings=rows,
        total=len(gdf),
        first=start + 1,
        page=page,
        has_next=len(gdf) > start + AUDIT_PAGE,
        by_kind=by_kind,
        kinds=sorted(set(FINDING_SEVERITY) | set(all_kinds), key=lambda k: (-all_kinds.get(k, 0), k)),
        all_kinds=all_kinds,
        severity_of=FINDING_SEVERITY,
        colours=FINDING_COLOURS,
        map_data=_audit_map_data(gdf, by_kind),
        division=division,
        kind=kind,
        severity=severity,
        severities=SEVERITIES,
        all_severities=all_severities,
        districts=districts,
    )


def _finding_row(row) -> dict:
    """One finding as the table shows it (missing values as ``None``)."""

    def plain(value):
        return None if value is None or value != value else value

    sign = plain(row.sign_id)
    return {
        "kind": row.kind,
        "severity": row.severity,
        "sign_id": int(sign) if sign is not None else None,
        **{k: plain(getattr(row, k)) for k in ("street_key", "expected", "actual", "difference")},
        "detail": finding_detail(plain(row.detail)),
    }


_OFFSET = re.compile(r"^(\d+) m from the street it names$")


def finding_detail(text: str | None) -> str | None:
    """A finding's explanation in the page's language."""
    if not text:
        return text
    if text in DETAILS:
        return _(text)
    if m := _OFFSET.match(text):
        return _("%(m)s m from the street it names", m=m.group(1))
    if text.startswith("missing "):
        return _("missing %(numbers)s", numbers=text.removeprefix("missing "))
    return text


def _audit_map_data(gdf, by_kind: dict[str, int]) -> dict:
    """The findings as ``[lon, lat, kind, sign id, text]`` with each kind's colour, label and count."""
    points = []
    for row in gdf.itertuples(index=False):
        geom = row.geometry
        if geom is None or geom.is_empty:
            continue
        pt = geom if geom.geom_type == "Point" else geom.representative_point()
        sign = None if row.sign_id is None or row.sign_id != row.sign_id else int(row.sign_id)
        text = next(
            (str(v) for v in (row.difference, row.expected) if v is not None and v == v and v != ""), ""
        )
        points.append([round(pt.x, 6), round(pt.y, 6), row.kind, sign, text])
    kinds = {
        k: {"colour": FINDING_COLOURS.get(k, "#7f8c8d"), "label": _(k), "count": n}
        for k, n in by_kind.items()
    }
    return {"points": points, "kinds": kinds}


@bp.get("/worklist/<int:place_id>")
@role_required(*ROLES)
def worklist(place_id: int):
    """The work list after a renaming: unfinished ``renamed`` work orders of signs that show a
    former name of the place (opened by ``placenames.signs.workorders.work_list_for_renaming``)."""
    s = get_session()
    pn = get_or_raise(s, PlaceName, place_id)
    former = [f["name"] for f in name_queries.to_dict(s, pn)["former_names"]]
    shows_old = Sign.place_name_id == place_id
    if former:
        shows_old = shows_old | (Sign.place_name_id.is_(None) & Sign.text_zh.in_(former))
    rows = s.execute(
        select(WorkOrder, Sign)
        .join(Sign, Sign.id == WorkOrder.sign_id)
        .where(WorkOrder.reason == "renamed", WorkOrder.status.in_(("open", "assigned", "done")), shows_old)
        .order_by(Sign.kind, Sign.id)
    ).all()
    return render_template("signs/worklist.html", pn=pn, former=former, rows=rows)


def _orders_page(*_args, status: str | None = None, error: str | None = None, **_kw):
    s = get_session()
    shown = request.args.get("status") or "open"
    stmt = select(WorkOrder).order_by(WorkOrder.id.desc()).limit(200)
    if shown in workorders.STATUSES:
        stmt = stmt.where(WorkOrder.status == shown)
    body = render_template("signs/orders.html", orders=s.scalars(stmt).all(), status=shown, error=error)
    return body, status or 200


@bp.get("/orders")
@role_required(*ROLES)
def orders():
    """Work orders by status."""
    return _orders_page()


@bp.post("/orders/<int:order_id>/<action>")
@role_required(*ROLES)
@form_errors(_orders_page)
def order_action(order_id: int, action: str):
    """Assign, resolve (repaired/replaced), close (with a photo) or reject a work order."""
    if action not in ("assign", "resolve", "close", "reject"):
        abort(404)
    s = get_session()
    common = {"actor": actor(), "expected_version": forms.version()}
    photo = uploaded_photo(request.files.get("photo"))
    if action == "assign":
        assignee = forms.text("assignee", required=True, contract=WORK_ORDER_CONTRACTS["assignee"])
        usecases.assign_work_order(s, order_id, assignee=assignee, **common)
    elif action == "resolve":
        usecases.resolve_work_order(
            s,
            order_id,
            action=forms.text("how") or "repaired",
            note=forms.text("note", contract=WORK_ORDER_CONTRACTS["note"]),
            photos=[photo] if photo else [],
            instance_dir=current_app.instance_path,
            **common,
        )
    elif action == "close":
        usecases.close_work_order(
            s,
            order_id,
            photo=photo,
            note=forms.text("note", contract=WORK_ORDER_CONTRACTS["note"]),
            instance_dir=current_app.instance_path,
            **common,
        )
    else:
        usecases.reject_work_order(
            s, order_id, reason=forms.text("note", contract=WORK_ORDER_CONTRACTS["reject_reason"]), **common
        )
    s.commit()
    flash(_("Work order updated."), "ok")
    return redirect(request.referrer or url_for("signs.orders"))


def uploaded_photo(file: FileStorage | None) -> bytes | None:
    """The bytes of an uploaded photo (``None`` when none was chosen); too large or empty is invalid input."""
    if file is None or not file.filename:
        return None
    return read_limited(file)


def _districts(s) -> list[tuple[str, str]]:
    frame = divisions_gdf(s, levels=("district", "town"), geometry=False)
    return list(zip(frame["code"], frame["name"], strict=True))
