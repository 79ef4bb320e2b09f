"""Boundary inspection teams: lines due, inspection rounds, the per-marker form with photo and
GNSS upload, displacement map, sign-off, report, markers, smart-marker devices and alarms, disputes."""

from __future__ import annotations

import json
import re
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
from flask_login import current_user
from shapely.geometry import LineString
from shapely.geometry import Point
from shapely.geometry import mapping

from boundaries import alarms
from boundaries import inspections
from boundaries import store
from boundaries import usecases
from boundaries.divisions import divisions_gdf
from boundaries.markers import STATUSES
from boundaries.models import BOUNDARY_MARKER_CONTRACTS
from boundaries.models import DISPUTE_CONTRACTS
from boundaries.models import MARKER_FORM_CONTRACTS
from boundaries.models import ROUND_CONTRACTS
from boundaries.models import BoundaryLine
from boundaries.models import MarkerDevice
from boundaries.round_report import round_pdf
from boundaries.store import DISPUTE_STATUSES
from gis.contracts import of
from gis.crs import STORAGE_CRS
from placenames.signs.workorders import save_photo
from webmap import forms
from webmap import maps
from webmap.auth import actor
from webmap.auth import role_required
from webmap.db import get_session
from webmap.errors import form_errors
from webmap.security import FOLIUM_CSP
from webmap.uploads import read_limited

bp = Blueprint("boundaries", __name__, url_prefix="/boundaries")
ROLE = "boundary_inspector"


def _index(error: str | None = None, status: int = 200, **_kw):
    s = get_session()
    page = render_template(
        "boundaries/index.html",
        due=inspections.due_lines(s),
        rounds=inspections.list_rounds(s, newest_first=True),
        open_alarms=len(alarms.list_alarms(s, state="open")),
        error=error,
    )
    return page, status


@bp.get("/")
@role_required(ROLE)
def index():
    return _index()


@bp.post("/rounds")
@role_required(ROLE)
@form_errors(_index)
def round_create():
    """Plan a round for a line with the parties that inspect it."""
    parties = [
        p.strip()
        for p in (
            forms.text("parties", required=True, contract=ROUND_CONTRACTS["parties"]) or ""
        ).splitlines()
    ]
    rnd = usecases.create_round(
        get_session(),
        actor(),
        line_code=forms.text("line_code", required=True, contract=of(BoundaryLine, "code")),
        round_no=forms.number("round_no", contract=ROUND_CONTRACTS["round_no"]) or 1,
        title=forms.text("title", required=True, contract=ROUND_CONTRACTS["title"]),
        parties=[p for p in parties if p],
        start_date=forms.day("start"),
        tolerance_m=forms.number("tolerance_m", contract=ROUND_CONTRACTS["tolerance_m"]) or 1.0,
    )
    get_session().commit()
    return redirect(url_for("boundaries.round_detail", round_id=rnd.id))


def _round_page(round_id: int, *_args, error: str | None = None, status: int = 200, **_kw):
    sm = inspections.summary(get_session(), round_id)
    return render_template(
        "boundaries/round.html", sm=sm, today=date.today().isoformat(), error=error
    ), status


@bp.get("/rounds/<int:round_id>")
@role_required(ROLE)
def round_detail(round_id: int):
    return _round_page(round_id)


@bp.post("/rounds/<int:round_id>/<action>")
@role_required(ROLE)
@form_errors(_round_page)
def round_action(round_id: int, action: str):
    """Start, upload GNSS fixes, add a segment note, sign off or complete a round."""
    s = get_session()
    who = actor()
    if action == "start":
        usecases.start_round(s, who, round_id)
    elif action == "gnss":
        upload = request.files.get("file")
        recs = usecases.upload_gnss(
            s,
            who,
            round_id,
            content=read_limited(upload) if upload else b"",
            filename=upload.filename if upload else "",
            condition=forms.text("condition") or "found",
        )
        flash(_("%(n)s measured positions recorded.", n=len(recs)), "ok")
    elif action == "note":
        usecases.note_segment(
            s,
            who,
            round_id,
            segment=forms.text("segment", required=True, contract=ROUND_CONTRACTS["segment"]),
            kind=forms.text("kind") or "other",
            note=forms.text("note", required=True, contract=ROUND_CONTRACTS["segment_note"]),
        )
    elif action == "signoff":
        usecases.sign_round(
            s,
            who,
            round_id,
            party=forms.text("party", required=True, contract=ROUND_CONTRACTS["party"]),
            signer=forms.text("signer", required=True, contract=ROUND_CONTRACTS["signer"]),
            on=forms.day("on", default=date.today()),
        )
    elif action == "complete":
        usecases.complete_round(s, who, round_id, on=forms.day("on", default=date.today()))
    else:
        abort(404)
    s.commit()
    return redirect(url_for("boundaries.round_detail", round_id=round_id))


def _marker_form(round_id: int, number: str, error: str | None = None, status: int = 200, **_kw):
    sm = inspections.summary(get_session(), round_id)
    row = next((m for m in sm["markers"] if m["number"] == number), None)
    if row is None:
        abort(404)
    page = render_template(
        "boundaries/marker.html", sm=sm, m=row, conditions=inspections.CONDITIONS, error=error
    )
    return page, status


@bp.route("/rounds/<int:round_id>/markers/<number>", methods=["GET", "POST"])
@role_required(ROLE)
@form_errors(_marker_form)
def marker_form(round_id: int, number: str):
    """The per-marker inspection form (condition, measured position, notes, photo)."""
    if request.method == "GET":
        return _marker_form(round_id, number)
    _marker_form(round_id, number)  # 404 for a marker outside the round
    upload = request.files.get("photo")
    photos = []
    if upload is not None and upload.filename:
        photos.append(save_photo(read_limited(upload), instance_dir=current_app.instance_path))
    usecases.record_finding(
        get_session(),
        actor(),
        round_id,
        marker_number=number,
        condition=forms.text("condition", required=True, contract=ROUND_CONTRACTS["condition"]),
        lon=forms.number("lon"),
        lat=forms.number("lat"),
        elevation_m=forms.number("elevation_m", contract=BOUNDARY_MARKER_CONTRACTS["elevation_m"]),
        notes=forms.text("notes", contract=ROUND_CONTRACTS["notes"]),
        photos=photos,
        supersedes_id=forms.number("supersedes_id", contract=ROUND_CONTRACTS["supersedes_id"]),
    )
    get_session().commit()
    flash(_("Finding recorded for %(n)s.", n=number), "ok")
    return redirect(url_for("boundaries.round_detail", round_id=round_id))


@bp.get("/rounds/<int:round_id>/map")
@role_required(ROLE)
def round_map(round_id: int):
    """The round's boundary line, the markers at their recorded positions coloured by displacement
    and the displacement vectors, with a legend and a metric scale (Folium)."""
    sm = inspections.summary(get_session(), round_id)
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
    codes = {section["code"] for section in sm["line"]["sections"]}
    lines = store.lines_gdf(get_session())
    line = lines[lines["code"].isin(codes)]
    districts = divisions_gdf(get_session(), levels=("district",))
    html = maps.render(
        maps.displacement_map(
            gdf, tolerance_m=sm["stats"]["tolerance_m"], line=line, basemap={"districts": districts}
        )
    )
    return Response(html, mimetype="text/html", headers={"Content-Security-Policy": FOLIUM_CSP})


@bp.get("/rounds/<int:round_id>/report")
@role_required(ROLE)
def report(round_id: int):
    """The inspection report as a printable page, or as PDF (``?format=pdf``)."""
    if request.args.get("format") == "pdf":
        pdf = round_pdf(get_session(), round_id)
        return Response(pdf, mimetype="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="inspection-{round_id}.pdf"'})  # fmt: skip
    return render_template("boundaries/report.html", sm=inspections.summary(get_session(), round_id))


# -- markers and devices -------------------------------------------------------------------------


def _markers_page(*_args, error: str | None = None, status: int = 200, token: dict | None = None, **_kw):
    s = get_session()
    page = render_template(
        "boundaries/markers.html",
        lines=store.lines_gdf(s).to_dict("records"),
        markers=store.markers_gdf(s).to_dict("records"),
        statuses=STATUSES,
        token=token,
        error=error,
    )
    return page, status


@bp.get("/markers")
@role_required(ROLE)
def markers():
    return _markers_page()


@bp.post("/markers")
@role_required(ROLE)
@form_errors(_markers_page)
def marker_add():
    """Register a marker on a line section."""
    usecases.add_marker(
        get_session(),
        actor(),
        number=forms.text("number", required=True, contract=BOUNDARY_MARKER_CONTRACTS["number"]),
        line_code=forms.text("line_code", required=True, contract=of(BoundaryLine, "code")),
        lon=forms.number("lon"),
        lat=forms.number("lat"),
        side_code=forms.text("side_code", contract=BOUNDARY_MARKER_CONTRACTS["side_code"]),
        material=forms.text("material", contract=BOUNDARY_MARKER_CONTRACTS["material"]),
        elevation_m=forms.number("elevation_m", contract=BOUNDARY_MARKER_CONTRACTS["elevation_m"]),
        justification=forms.text("justification", contract=MARKER_FORM_CONTRACTS["justification"]),
    )
    get_session().commit()
    return redirect(url_for("boundaries.markers"))


@bp.post("/markers/<number>")
@role_required(ROLE)
@form_errors(_markers_page)
def marker_update(number: str):
    """Change a marker's status, material or elevation (refused when it changed meanwhile)."""
    usecases.update_marker(
        get_session(),
        actor(),
        number=number,
        expected_version=forms.version(),
        reason=forms.text("reason", contract=MARKER_FORM_CONTRACTS["reason"]),
        status=forms.text("status", contract=BOUNDARY_MARKER_CONTRACTS["status"]),
        material=forms.text("material", contract=BOUNDARY_MARKER_CONTRACTS["material"]),
        elevation_m=forms.number("elevation_m", contract=BOUNDARY_MARKER_CONTRACTS["elevation_m"]),
    )
    get_session().commit()
    return redirect(url_for("boundaries.markers"))


@bp.post("/devices")
@role_required(ROLE)
@form_errors(_markers_page)
def device_register():
    """Fit a telemetry device to a marker; its token is shown once, on the page that answers."""
    device_id = forms.text("device_id", required=True, contract=of(MarkerDevice, "device_id"))
    _device, token = usecases.register_device(
        get_session(),
        actor(),
        device_id=device_id,
        marker_number=forms.text("marker", required=True, contract=BOUNDARY_MARKER_CONTRACTS["number"]),
    )
    get_session().commit()
    return _markers_page(token={"device_id": device_id, "token": token})


# -- alarms -------------------------------------------------------------------------------------


def _alarm_list(*_args, error: str | None = None, status: int = 200, **_kw):
    state = request.args.get("state") or None
    page = render_template(
        "boundaries/alarms.html",
        alarms=alarms.list_alarms(get_session(), state=state),
        state=state,
        error=error,
    )
    return page, status


@bp.get("/alarms")
@role_required(ROLE)
def alarm_list():
    return _alarm_list()


@bp.post("/alarms/<int:alarm_id>/<action>")
@role_required(ROLE)
@form_errors(_alarm_list)
def alarm_action(alarm_id: int, action: str):
    """Acknowledge or close an alarm; a stale version answers 409, a refused step 422."""
    act = usecases.ALARM_ACTS.get(action)
    if act is None:
        abort(404)
    act(
        get_session(),
        actor(),
        alarm_id,
        note=forms.text("note", contract=ROUND_CONTRACTS["alarm_note"]),
        expected_version=forms.version(),
    )
    get_session().commit()
    return redirect(url_for("boundaries.alarm_list"))


# -- disputes -----------------------------------------------------------------------------------


def _disputes_page(*_args, error: str | None = None, status: int = 200, **_kw):
    gdf = store.list_disputes(get_session(), viewer_roles=current_user.roles)
    rows = [
        {**{k: v for k, v in r.items() if k != "geometry"}, "geojson": _geojson(r.get("geometry"))}
        for r in gdf.to_dict("records")
    ]
    page = render_template(
        "boundaries/disputes.html",
        disputes=rows,
        statuses=DISPUTE_STATUSES,
        today=date.today().isoformat(),
        error=error,
    )
    return page, status


@bp.get("/disputes")
@role_required(ROLE)
def disputes():
    return _disputes_page()


@bp.post("/disputes/<int:dispute_id>/action")
@role_required(ROLE)
@form_errors(_disputes_page)
def dispute_action(dispute_id: int):
    """Append an action to a dispute, optionally changing its status."""
    usecases.dispute_action(
        get_session(),
        actor(),
        current_user.roles,
        dispute_id,
        action=forms.text("action", required=True, contract=DISPUTE_CONTRACTS["action"]),
        on=forms.day("on", default=date.today()),
        status=forms.text("status", contract=DISPUTE_CONTRACTS["status"]),
        document=forms.text("document", contract=DISPUTE_CONTRACTS["document"]),
        expected_version=forms.version(),
    )
    get_session().commit()
    return redirect(url_for("boundaries.disputes"))


@bp.post("/disputes")
@role_required(ROLE)
@form_errors(_disputes_page)
def dispute_add():
    """Register a dispute over a drawn area or line, or over a whole line section."""
    usecases.register_dispute(
        get_session(),
        actor(),
        current_user.roles,
        title=forms.text("title", required=True, contract=DISPUTE_CONTRACTS["title"]),
        parties=_parties(),
        geometry=forms.geometry("geometry"),
        line_code=forms.text("line_code", contract=of(BoundaryLine, "code")),
        description=forms.text("description", contract=DISPUTE_CONTRACTS["description"]),
        document=forms.text("document", contract=DISPUTE_CONTRACTS["document"]),
    )
    get_session().commit()
    return redirect(url_for("boundaries.disputes"))


@bp.post("/disputes/<int:dispute_id>/edit")
@role_required(ROLE)
@form_errors(_disputes_page)
def dispute_edit(dispute_id: int):
    """Correct a dispute's title, parties, description or geometry at the version shown."""
    usecases.update_dispute(
        get_session(),
        actor(),
        current_user.roles,
        dispute_id,
        expected_version=forms.version(),
        reason=forms.text("reason", required=True, contract=DISPUTE_CONTRACTS["reason"]),
        title=forms.text("title", contract=DISPUTE_CONTRACTS["title"]),
        parties=_parties() or None,
        description=forms.text("description", contract=DISPUTE_CONTRACTS["description"]),
        geometry=forms.geometry("geometry"),
    )
    get_session().commit()
    return redirect(url_for("boundaries.disputes"))


@bp.post("/disputes/<int:dispute_id>/close")
@role_required(ROLE)
@form_errors(_disputes_page)
def dispute_close(dispute_id: int):
    """Close a dispute with its outcome and the settling document."""
    usecases.close_dispute(
        get_session(),
        actor(),
        current_user.roles,
        dispute_id,
        outcome=forms.text("outcome", required=True, contract=DISPUTE_CONTRACTS["outcome"]),
        on=forms.day("on", default=date.today()),
        document=forms.text("document", contract=DISPUTE_CONTRACTS["document"]),
        expected_version=forms.version(),
    )
    get_session().commit()
    return redirect(url_for("boundaries.disputes"))


def _geojson(geom) -> str:
    """A geometry as GeoJSON text for a page's map, or ``""`` without one."""
    if geom is None or getattr(geom, "is_empty", True):
        return ""
    return json.dumps(mapping(geom))


def _parties() -> list[str]:
    """Parties typed one per line or separated by 、 or commas."""
    text = forms.text("parties", contract=DISPUTE_CONTRACTS["parties"]) or ""
    return [p.strip() for p in re.split(r"[\n,，、;；]+", text) if p.strip()]
