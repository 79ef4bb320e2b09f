"""Planners: the plan's indicator table (baseline, target, progress), choropleths per level,
service circles and uncovered areas, what-if edits, siting runs and the report."""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import pandas as pd
from flask import Blueprint
from flask import Response
from flask import abort
from flask import flash
from flask import render_template
from flask import request
from flask_babel import gettext as _
from shapely.geometry import Point

from facilities import circles
from facilities import indicators
from facilities import store as fstore
from facilities.kinds import BY_CODE
from facilities.kinds import KINDS
from gis.crs import STORAGE_CRS
from webmap import domain
from webmap import forms
from webmap import maps
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
    """Add a proposed facility (kind, lon/lat, beds) and/or remove existing ones; recompute every indicator."""
    year = _year()
    s = get_session()
    inputs = fstore.indicator_inputs(s, year=year)
    fac = inputs.facilities.copy()
    removed = [int(v) for v in request.form.getlist("remove") if v.strip().isdigit()]
    if removed and "id" in fac.columns:
        fac = fac[~fac["id"].isin(removed)]
    kind = forms.text("kind")
    if kind:
        if kind not in BY_CODE:
            abort(400, "unknown facility kind")
        lon, lat = forms.number("lon"), forms.number("lat")
        if lon is None or lat is None:
            abort(400, "a proposed facility needs lon and lat")
        row = {c: None for c in fac.columns if c != "geometry"}
        row.update(kind=kind, name=_("proposed facility"), status="running", year_opened=year,
                   beds=forms.number("beds", kind=int), nursing_beds=forms.number("nursing_beds", kind=int),
                   floor_area_m2=forms.number("floor_area_m2"))  # fmt: skip
        if "id" in fac.columns:
            row["id"] = -1
        extra = gpd.GeoDataFrame([row], geometry=[Point(lon, lat)], crs=STORAGE_CRS).to_crs(fac.crs)
        fac = gpd.GeoDataFrame(pd.concat([fac, extra], ignore_index=True), geometry="geometry", crs=fac.crs)
    before = indicators.compute_indicators(inputs, level="city")[0]["indicators"]
    after = indicators.compute_indicators(inputs.with_facilities(fac), level="city")[0]["indicators"]
    rows = [(b, a) for b, a in zip(before, after, strict=True)]
    return render_template("planning/whatif.html", rows=rows, year=year, kind=kind, removed=removed)


@bp.route("/siting", methods=["GET", "POST"])
@role_required(ROLE)
def siting():
    """Where to put N new facilities of a kind (the facilities package's siting solver)."""
    result = None
    if request.method == "POST":
        run = domain.get("facilities.siting", "run_siting")
        try:
            result = run(
                get_session(), kind=forms.text("kind", required=True), n=forms.number("n", kind=int),
                objective=forms.text("objective") or "max_coverage", year=_year(),
            )  # fmt: skip
        except ValueError as exc:
            flash(str(exc), "error")
    return render_template("planning/siting.html", result=result, kinds=KINDS,
                           available=domain.available("facilities.siting", "run_siting"))  # fmt: skip


@bp.get("/report")
@role_required(ROLE)
def report():
    """The progress report: indicator tables at city and district level (PDF when the package provides it)."""
    year = _year()
    if request.args.get("format") == "pdf":
        pdf = domain.call("facilities.report", "report_pdf", get_session(), year=year)
        return Response(pdf, mimetype="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="plan-progress-{year}.pdf"'})  # fmt: skip
    inputs = fstore.indicator_inputs(get_session(), year=year)
    city = indicators.compute_indicators(inputs, level="city")
    districts = indicators.compute_indicators(inputs, level="district")
    return render_template("planning/report.html", city=city, districts=districts, year=year)


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
