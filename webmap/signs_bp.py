"""Sign maintainers and officers: inventory, editing, audit findings, the work list after a
renaming, and work orders."""

from __future__ import annotations

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
from sqlalchemy import func
from sqlalchemy import select

from placenames.signs import store as signs_store
from placenames import store as names_store
from placenames.signs import workorders
from placenames.models import SIGN_CONDITIONS
from placenames.models import SIGN_KINDS
from placenames.models import Sign
from placenames.models import WorkOrder
from webmap import forms
from webmap.auth import actor
from webmap.auth import role_required
from webmap.db import get_session
from webmap.errors import is_conflict
from webmap.uploads import read_limited

bp = Blueprint("signs", __name__, url_prefix="/signs")
ROLES = ("placename_officer", "sign_maintainer")
PAGE = 50
EDIT_FIELDS = (
    "text_zh",
    "text_romanized",
    "text_mongolian",
    "house_number",
    "material",
    "size",
    "installer",
    "condition",
)


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
        "signs/index.html", signs=rows[:PAGE], has_next=len(rows) > PAGE, page=page, total=total, counts=counts,
        kind=kind, condition=condition, division=division, q=q, kinds=SIGN_KINDS, conditions=SIGN_CONDITIONS,
    )  # fmt: skip


@bp.route("/<int:sign_id>", methods=["GET", "POST"])
@role_required(*ROLES)
def detail(sign_id: int):
    """One sign; POST saves changes at the version shown (stale → 409)."""
    s = get_session()
    error, status = None, 200
    if request.method == "POST":
        changes = {k: forms.text(k, limit=200) for k in EDIT_FIELDS if k in request.form}
        try:
            signs_store.update_sign(s, sign_id, actor=actor(), changes=changes, expected_version=forms.version(),
                                    reason=forms.text("reason"))  # fmt: skip
            s.commit()
            flash(_("Sign saved."), "ok")
            return redirect(url_for("signs.detail", sign_id=sign_id))
        except LookupError:
            abort(404)
        except Exception as exc:
            s.rollback()
            if is_conflict(exc):
                error, status = str(exc), 409
            elif isinstance(exc, ValueError):
                error, status = str(exc), 422
            else:
                raise
    sign = s.get(Sign, sign_id)
    if sign is None:
        abort(404)
    pt = to_shape(sign.geom)
    orders = s.scalars(
        select(WorkOrder).where(WorkOrder.sign_id == sign_id).order_by(WorkOrder.id.desc())
    ).all()
    body = render_template(
        "signs/detail.html", sign=sign, lon=pt.x, lat=pt.y, orders=orders, error=error,
        conditions=SIGN_CONDITIONS, fields=EDIT_FIELDS,
    )  # fmt: skip
    return body, status


@bp.get("/audit")
@role_required(*ROLES)
def audit():
    """Audit findings (text, coverage, numbering, missing) for one district or town."""
    s = get_session()
    division = (request.args.get("division") or "").strip()[:12]
    findings = None
    by_kind: dict[str, int] = {}
    if division.isdigit():
        gdf = signs_store.run_audit(s, division_code=division)
        by_kind = gdf["kind"].value_counts().to_dict() if len(gdf) else {}
        findings = gdf.drop(columns="geometry").head(500).to_dict("records")
    districts = _districts(s)
    return render_template(
        "signs/audit.html", findings=findings, by_kind=by_kind, division=division, districts=districts
    )


@bp.get("/worklist/<int:place_id>")
@role_required(*ROLES)
def worklist(place_id: int):
    """The work list after a renaming: unfinished ``renamed`` work orders of signs that show a
    former name of the place (opened by ``placenames.signs.workorders.work_list_for_renaming``)."""
    s = get_session()
    try:
        pn = names_store.get(s, place_id)
    except LookupError:
        abort(404)
    former = [f["name"] for f in names_store.to_dict(s, pn)["former_names"]]
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


@bp.get("/orders")
@role_required(*ROLES)
def orders():
    """Work orders by status."""
    s = get_session()
    status = request.args.get("status") or "open"
    stmt = select(WorkOrder).order_by(WorkOrder.id.desc()).limit(200)
    if status in workorders.STATUSES:
        stmt = stmt.where(WorkOrder.status == status)
    return render_template("signs/orders.html", orders=s.scalars(stmt).all(), status=status)


@bp.post("/orders/<int:order_id>/<action>")
@role_required(*ROLES)
def order_action(order_id: int, action: str):
    """Assign, resolve (repaired/replaced), close (with a photo) or reject a work order."""
    s = get_session()
    common = {"actor": actor(), "expected_version": forms.version()}
    photo = request.files.get("photo")
    data = read_limited(photo) if photo is not None and photo.filename else None
    try:
        if action == "assign":
            workorders.assign(s, order_id, assignee=forms.text("assignee", required=True, limit=64), **common)
        elif action == "resolve":
            workorders.resolve(
                s, order_id, action=forms.text("how") or "repaired", note=forms.text("note"),
                photos=[data] if data else [], instance_dir=current_app.instance_path, **common,
            )  # fmt: skip
        elif action == "close":
            workorders.close(
                s,
                order_id,
                photo=data,
                note=forms.text("note"),
                instance_dir=current_app.instance_path,
                **common,
            )
        elif action == "reject":
            workorders.reject(s, order_id, reason=forms.text("note") or "", **common)
        else:
            abort(404)
        s.commit()
    except LookupError:
        s.rollback()
        abort(404)
    except Exception as exc:
        s.rollback()
        if is_conflict(exc):
            abort(409, str(exc))
        if isinstance(exc, ValueError):
            flash(str(exc), "error")
            return redirect(request.referrer or url_for("signs.orders"))
        raise
    flash(_("Work order updated."), "ok")
    return redirect(request.referrer or url_for("signs.orders"))


def _districts(s):
    from boundaries.models import Division

    return s.execute(
        select(Division.code, Division.name)
        .where(Division.level.in_(("district", "town")), Division.in_wuhai.is_(True))
        .order_by(Division.code)
    ).all()
