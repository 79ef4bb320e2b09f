"""Boundary inspection teams: lines due, inspection rounds, the per-marker form with photo and
GNSS upload, displacement map, sign-off, report, and smart-marker alarms."""

from __future__ import annotations

from datetime import date

import geopandas as gpd
from flask import Blueprint
from flask import Response
from flask import abort
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from shapely.geometry import LineString
from shapely.geometry import Point
from sqlalchemy import select

from boundaries import alarms
from boundaries import inspections
from boundaries.models import InspectionRound
from boundaries.round_report import round_pdf
from gis.crs import STORAGE_CRS
from placenames.signs.workorders import save_photo
from webmap import forms
from webmap import maps
from webmap.auth import actor
from webmap.auth import role_required
from webmap.db import get_session
from webmap.errors import is_conflict
from webmap.security import FOLIUM_CSP
from webmap.uploads import read_limited

bp = Blueprint("boundaries", __name__, url_prefix="/boundaries")
ROLE = "boundary_inspector"


@bp.get("/")
@role_required(ROLE)
def index():
    s = get_session()
    rounds = s.scalars(select(InspectionRound).order_by(InspectionRound.id.desc())).all()
    open_alarms = alarms.list_alarms(s, state="open")
    return render_template(
        "boundaries/index.html", due=inspections.due_lines(s), rounds=rounds, open_alarms=len(open_alarms)
    )


def _summary(round_id: int) -> dict:
    try:
        return inspections.summary(get_session(), round_id)
    except (ValueError, LookupError):
        abort(404)


@bp.get("/rounds/<int:round_id>")
@role_required(ROLE)
def round_detail(round_id: int):
    return render_template("boundaries/round.html", sm=_summary(round_id), today=date.today().isoformat())


@bp.post("/rounds/<int:round_id>/<action>")
@role_required(ROLE)
def round_action(round_id: int, action: str):
    """Start, upload GNSS fixes, add a segment note, sign off or complete a round."""
    s = get_session()
    who = actor()
    try:
        if action == "start":
            inspections.set_status(s, actor=who, round_id=round_id, status="in_progress")
        elif action == "gnss":
            upload = request.files.get("file")
            if upload is None or not upload.filename:
                raise ValueError(_("Choose a CSV or GPX file."))
            recs = inspections.import_fixes(s, actor=who, round_id=round_id, content=read_limited(upload),
                                            filename=upload.filename, condition=forms.text("condition") or "found")  # fmt: skip
            flash(_("%(n)s measured positions recorded.", n=len(recs)), "ok")
        elif action == "note":
            inspections.add_segment_note(s, actor=who, round_id=round_id, segment=forms.text("segment", required=True, limit=60),
                                         kind=forms.text("kind") or "other", note=forms.text("note", required=True, limit=1000))  # fmt: skip
        elif action == "signoff":
            inspections.sign_off(s, actor=who, round_id=round_id, party=forms.text("party", required=True, limit=100),
                                 signer=forms.text("signer", required=True, limit=60), on=forms.day("on", default=date.today()))  # fmt: skip
        elif action == "complete":
            inspections.complete_round(
                s, actor=who, round_id=round_id, on=forms.day("on", default=date.today())
            )
        else:
            abort(404)
        s.commit()
    except Exception as exc:
        s.rollback()
        if is_conflict(exc):
            abort(409, str(exc))
        if isinstance(exc, ValueError | inspections.ReadOnlyError):
            flash(str(exc), "error")
        else:
            raise
    return redirect(url_for("boundaries.round_detail", round_id=round_id))


@bp.route("/rounds/<int:round_id>/markers/<number>", methods=["GET", "POST"])
@role_required(ROLE)
def marker_form(round_id: int, number: str):
    """The per-marker inspection form (condition, measured position, notes, photo)."""
    sm = _summary(round_id)
    row = next((m for m in sm["markers"] if m["number"] == number), None)
    if row is None:
        abort(404)
    if request.method == "POST":
        s = get_session()
        try:
            photos = []
            upload = request.files.get("photo")
            if upload is not None and upload.filename:
                photos.append(save_photo(read_limited(upload), instance_dir=current_app.instance_path))
            inspections.record_finding(
                s,
                actor=actor(),
                round_id=round_id,
                marker_number=number,
                condition=forms.text("condition", required=True, limit=12),
                lon=forms.number("lon"),
                lat=forms.number("lat"),
                elevation_m=forms.number("elevation_m"),
                notes=forms.text("notes", limit=2000),
                photos=photos,
                supersedes_id=forms.number("supersedes_id", kind=int),
            )
            s.commit()
            flash(_("Finding recorded for %(n)s.", n=number), "ok")
            return redirect(url_for("boundaries.round_detail", round_id=round_id))
        except Exception as exc:
            s.rollback()
            if isinstance(exc, ValueError | inspections.ReadOnlyError):
                flash(str(exc), "error")
            else:
                raise
    return render_template("boundaries/marker.html", sm=sm, m=row, conditions=inspections.CONDITIONS)


@bp.get("/rounds/<int:round_id>/map")
@role_required(ROLE)
def round_map(round_id: int):
    """Recorded and measured marker positions with the displacement vectors (Folium)."""
    sm = _summary(round_id)
    rows = []
    for m in sm["markers"]:
        measured = (m["measured_lon"], m["measured_lat"]) if m["measured_lon"] is not None else None
        rows.append({**{k: m[k] for k in ("number", "condition", "displacement_m", "flagged")},
                     "geometry": Point(m["lon"], m["lat"]),
                     "shift": LineString([(m["lon"], m["lat"]), measured]) if measured else None})  # fmt: skip
    gdf = (
        gpd.GeoDataFrame(rows, geometry="geometry", crs=STORAGE_CRS)
        if rows
        else gpd.GeoDataFrame(geometry=[], crs=STORAGE_CRS)
    )
    html = maps.render(maps.displacement_map(gdf, tolerance_m=sm["stats"]["tolerance_m"]))
    return Response(html, mimetype="text/html", headers={"Content-Security-Policy": FOLIUM_CSP})


@bp.get("/rounds/<int:round_id>/report")
@role_required(ROLE)
def report(round_id: int):
    """The inspection report as a printable page, or as PDF (``?format=pdf``)."""
    if request.args.get("format") == "pdf":
        pdf = round_pdf(get_session(), round_id)
        return Response(pdf, mimetype="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="inspection-{round_id}.pdf"'})  # fmt: skip
    return render_template("boundaries/report.html", sm=_summary(round_id))


@bp.get("/alarms")
@role_required(ROLE)
def alarm_list():
    state = request.args.get("state") or None
    return render_template(
        "boundaries/alarms.html", alarms=alarms.list_alarms(get_session(), state=state), state=state
    )


@bp.post("/alarms/<int:alarm_id>/<action>")
@role_required(ROLE)
def alarm_action(alarm_id: int, action: str):
    s = get_session()
    fn = {"acknowledge": alarms.acknowledge, "close": alarms.close}.get(action)
    if fn is None:
        abort(404)
    try:
        fn(
            s,
            actor=actor(),
            alarm_id=alarm_id,
            note=forms.text("note", limit=500),
            expected_version=forms.version(),
        )
        s.commit()
    except Exception as exc:
        s.rollback()
        if is_conflict(exc):
            abort(409, str(exc))
        if isinstance(exc, ValueError | LookupError):
            flash(str(exc), "error")
        else:
            raise
    return redirect(url_for("boundaries.alarm_list"))
