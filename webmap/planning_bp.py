"""Planners: the plan's indicator table (baseline, target, progress), choropleths per level,
service circles and uncovered areas, what-if edits, siting runs and the report."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd
from flask import Blueprint
from flask import Response
from flask import abort
from flask import flash
from flask import render_template
from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from facilities import circles
from facilities import indicators
from facilities import planning as fplanning
from facilities import report as freport
from facilities import store as fstore
from facilities import whatif as whatif_mod
from facilities.kinds import BY_CODE
from facilities.kinds import KINDS
from gis.crs import STORAGE_CRS
from webmap import forms
from webmap import maps
from webmap import products
from webmap.auth import role_required
from webmap.db import get_session
from webmap.security import FOLIUM_CSP

bp = Blueprint("planning", __name__, url_prefix="/planning")
ROLE = "planner"


def _year() -> int:
    year = request.values.get("year", type=int) or date.today().year
    if not 2000 <= year <= 2100:
        abort(400, "year out of range")
    return year


def _level() -> str:
    level = request.values.get("level") or "city"
    if level not in indicators.LEVELS:
        abort(400, f"level must be one of {', '.join(indicators.LEVELS)}")
    return level


@bp.get("/")
@role_required(ROLE)
def index():
    """The indicator table at a level for a year."""
    year, level = _year(), _level()
    inputs = fstore.indicator_inputs(get_session(), year=year)
    results = indicators.compute_indicators(inputs, level=level)
    return render_template(
        "planning/index.html", results=results, year=year, level=level, levels=indicators.LEVELS,
        keys=_keys(results), kinds=KINDS,
    )  # fmt: skip


def _keys(results: list[dict]) -> list[tuple[str, str]]:
    if not results:
        return []
    return [(i["key"], i["name_zh"]) for i in results[0]["indicators"]]


@bp.get("/choropleth")
@role_required(ROLE)
def choropleth():
    """One indicator per unit of a level as a Folium choropleth (shown in an iframe)."""
    year, level = _year(), _level()
    key = request.args.get("key") or "urban_elderly_coverage"
    s = get_session()
    inputs = fstore.indicator_inputs(s, year=year)
    results = indicators.compute_indicators(inputs, level=level)
    levels = {
        "city": ("city",),
        "district": ("district",),
        "town": ("town",),
        "community": ("community", "village"),
    }[level]
    polys = fstore.divisions_frame(s, levels=levels)
    frame = indicators.indicator_frame(results, polys)
    if key not in frame.columns:
        abort(404, f"no indicator {key!r}")
    meta = next(i for i in results[0]["indicators"] if i["key"] == key) if results else {}
    m = maps.choropleth_map(frame, key, title=meta.get("name_zh", key), unit=meta.get("unit", ""))
    return Response(maps.render(m), mimetype="text/html", headers={"Content-Security-Policy": FOLIUM_CSP})


@bp.get("/coverage")
@role_required(ROLE)
def coverage():
    """Service circles of one facility kind (straight-line), units served or not, uncovered areas."""
    kind = request.args.get("kind") or "home_care_station"
    if kind not in BY_CODE:
        abort(400, "unknown facility kind")
    year = _year()
    s = get_session()
    inputs = fstore.indicator_inputs(s, year=year)
    fac = inputs.facilities[(inputs.facilities["kind"] == kind) & (inputs.facilities["status"] == "running")]
    radius = request.args.get("radius_m", type=float) or BY_CODE[kind].service_radius_m or 1000.0
    if not 50 <= radius <= 20000:
        abort(400, "radius_m must be 50-20000")
    units = indicators.counted_units(inputs.units)
    areas = (
        circles.service_areas(fac, limit_m=radius)
        if len(fac)
        else gpd.GeoDataFrame(geometry=[], crs=STORAGE_CRS)
    )
    uncovered = circles.uncovered_areas(units, areas)
    m = maps.coverage_map(units.to_crs(STORAGE_CRS), fac.to_crs(STORAGE_CRS), areas=areas.to_crs(STORAGE_CRS),
                          uncovered=uncovered.to_crs(STORAGE_CRS))  # fmt: skip
    return Response(maps.render(m), mimetype="text/html", headers={"Content-Security-Policy": FOLIUM_CSP})


@bp.post("/whatif")
@role_required(ROLE)
def whatif():
    """Add, move or remove facilities in a scenario and see every indicator recomputed."""
    year = _year()
    add = []
    kind = forms.text("kind")
    if kind:
        lon, lat = forms.number("lon"), forms.number("lat")
        if lon is None or lat is None:
            abort(400, "a proposed facility needs lon and lat")
        new = {"kind": kind, "name": _("proposed facility"), "lon": lon, "lat": lat}
        for key, conv in (("beds", int), ("nursing_beds", int), ("floor_area_m2", float)):
            value = forms.number(key, kind=conv)
            if value is not None:
                new[key] = value
        add.append(new)
    removed = [int(v) for v in request.form.getlist("remove") if v.strip().isdigit()]
    scenario = whatif_mod.Scenario(add=add, remove=removed)
    try:
        inputs = fstore.indicator_inputs(get_session(), year=year)
        result = whatif_mod.compare_scenario(inputs, scenario, level="city")
    except ValueError as exc:
        abort(400, str(exc))
    return render_template(
        "planning/whatif.html", rows=result[0]["indicators"], year=year, kind=kind, removed=removed
    )


@bp.route("/siting", methods=["GET", "POST"])
@role_required(ROLE)
def siting():
    """Where to put new facilities: maximal covering for N sites, or set covering for everyone."""
    report = None
    if request.method == "POST":
        area = forms.text("area") or "urban"
        if area not in ("urban", "rural"):
            abort(400, "area must be urban or rural")
        try:
            report, _chosen = fplanning.siting(
                get_session(), year=_year(), kind=forms.text("kind") or "home_care_station",
                n=forms.number("n", kind=int), area=area, spacing_m=forms.number("spacing_m") or 500.0,
            )  # fmt: skip
        except ValueError as exc:
            flash(str(exc), "error")
    return render_template("planning/siting.html", report=report, kinds=KINDS, year=_year())


REPORT = products.WebProduct("plan-report", "planning.report", _l("Planning progress report"))
bp.record_once(lambda state: products.init_app(state.app))


def _report_params() -> dict[str, str]:
    return {"year": str(_year()), "format": "pdf" if request.values.get("format") == "pdf" else "html"}


def _report_builder(year: int, pdf: bool):
    def build(session, out: Path) -> str:
        name = "report.pdf" if pdf else "report.html"
        files = freport.build_report(session, year=year, out_dir=out, pdf=pdf)
        if not any(Path(f).name == name for f in files):
            raise RuntimeError("the report was not written")
        return name

    return build


@bp.get("/report")
@role_required(ROLE)
def report():
    """The progress report (HTML or PDF) written by ``facilities.report.build_report``, built in
    the background once per data generation and year, served from the instance folder."""
    params = _report_params()
    builder = _report_builder(int(params["year"]), params["format"] == "pdf")
    return products.respond(REPORT, params, builder, download_name=f"plan-progress-{params['year']}.pdf")


@bp.get("/report/status")
@role_required(ROLE)
def report_status():
    return products.status_json(REPORT, _report_params())


@bp.post("/report/rebuild")
@role_required(ROLE)
def report_rebuild():
    params = _report_params()
    return products.rebuild(REPORT, params, _report_builder(int(params["year"]), params["format"] == "pdf"))


@bp.get("/report/files/<int:year>/<format>/<build>/<path:name>")
@role_required(ROLE)
def report_file(year: int, format: str, build: str, name: str):
    """Files of one report build (the HTML or PDF, its map images and tables)."""
    if format not in ("html", "pdf"):
        abort(404)
    params = {"year": str(year), "format": format}
    return products.send_build_file(REPORT, params, build, name, download_name=f"plan-progress-{year}.pdf")


@bp.get("/indicators.csv")
@role_required(ROLE)
def indicators_csv():
    year, level = _year(), _level()
    results = indicators.compute_indicators(fstore.indicator_inputs(get_session(), year=year), level=level)
    rows = [
        {
            "code": r["code"],
            "name": r["name"],
            **{
                k: i.get(k)
                for k in (
                    "number",
                    "name_zh",
                    "unit",
                    "value",
                    "baseline_2020",
                    "target_2025",
                    "kind",
                    "progress_pct",
                )
            },
        }
        for r in results
        for i in r["indicators"]
    ]
    csv = pd.DataFrame(rows).to_csv(index=False)
    return Response("\ufeff" + csv, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="indicators-{level}-{year}.csv"'})  # fmt: skip
