"""Planners: the plan's indicator table (baseline, target, progress), choropleths per level,
service circles and uncovered areas, the facility registry, indicator entries, what-if edits,
siting runs and the report."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
from flask import Blueprint
from flask import Response
from flask import abort
from flask import flash
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from facilities import indicators
from facilities import planning
from facilities import report as freport
from facilities import store as fstore
from facilities import usecases
from facilities import whatif as whatif_mod
from facilities.kinds import BY_CODE
from facilities.kinds import KINDS
from facilities.kinds import RURAL_ELDERLY_KINDS
from facilities.kinds import URBAN_ELDERLY_KINDS
from facilities.models import FACILITY_CONTRACTS
from facilities.models import IndicatorEntry
from facilities.store import load_run
from gis import contracts
from gis.errors import InvalidInput
from webmap import forms
from webmap import maps
from webmap import products
from webmap.auth import actor
from webmap.auth import role_required
from webmap.db import get_session
from webmap.errors import form_errors
from webmap.errors import wants_json
from webmap.security import FOLIUM_CSP

bp = Blueprint("planning", __name__, url_prefix="/planning")
ROLE = "planner"


def _year() -> int:
    """The year asked for, else the latest year with data (the dashboard opens on it)."""
    year = request.values.get("year", type=int) or _latest_year()
    if not 2000 <= year <= 2100:
        raise InvalidInput(f"year {year}: between 2000 and 2100", field="year")
    return year


def _level() -> str:
    level = request.values.get("level") or "city"
    if level not in indicators.LEVELS:
        raise InvalidInput(f"level must be one of {', '.join(indicators.LEVELS)}", field="level")
    return level


def _latest_year() -> int:
    years = fstore.data_years(get_session())
    return years[1] if years else date.today().year


@bp.get("/")
@role_required(ROLE)
def index():
    """The indicator table at a level for a year, the chart against the 2025 targets and the maps."""
    year, level = _year(), _level()
    s = get_session()
    report = usecases.indicator_report(s, year=year, level=level, standards=True)
    results = report["units"]
    city = results if level == "city" else usecases.indicator_report(s, year=year)["units"]
    return render_template(
        "planning/index.html",
        report=report,
        results=results,
        chart=_chart(city[0]["indicators"]),
        city=city[0],
        year=year,
        level=level,
        levels=indicators.LEVELS,
        keys=_keys(results),
        kinds=KINDS,
    )


def _chart(rows: list[dict]) -> list[dict]:
    """Each indicator's baseline, current value and 2025 target as positions (0-100) on its own scale."""
    out = []
    for i in rows:
        top = max(v for v in (i["target_2025"], i["baseline_2020"], i["value"], 0) if v is not None) or 1
        out.append(
            i
            | {
                "pos_value": None if i["value"] is None else 100.0 * i["value"] / top,
                "pos_base": None if i["baseline_2020"] is None else 100.0 * i["baseline_2020"] / top,
                "pos_target": 100.0 * i["target_2025"] / top,
            }
        )
    return out


def _keys(results: list[dict]) -> list[tuple[str, str]]:
    """The indicators a map can show (those computed per unit from the registry)."""
    if not results:
        return []
    spatial = {i.key for i in indicators.INDICATORS if i.spatial}
    return [(i["key"], i["name_zh"]) for i in results[0]["indicators"] if i["key"] in spatial]


@bp.get("/choropleth")
@role_required(ROLE)
def choropleth():
    """One indicator per unit of a level as a Folium choropleth with classed legend (in an iframe)."""
    year, level = _year(), _level()
    key = request.args.get("key") or "urban_elderly_coverage"
    s = get_session()
    frame, meta = usecases.indicator_map(s, year=year, level=level, key=key)
    unit = meta.get("unit", "")
    m = maps.choropleth_map(
        frame,
        key,
        title=f"{meta.get('name_zh', key)} ({unit})",
        unit=unit,
        decimals=meta["decimals"],
        note=_("2025 target: %(target)s %(unit)s", target=f"{meta.get('target_2025', ''):g}", unit=unit),
        basemap=_basemap(s),
        palette=maps.CLASS_COLOURS,
    )
    return Response(maps.render(m), mimetype="text/html", headers={"Content-Security-Policy": FOLIUM_CSP})


@bp.get("/coverage")
@role_required(ROLE)
def coverage():
    """Service circles of one facility kind (straight-line), units served or not, uncovered areas."""
    kind = request.args.get("kind") or "home_care_station"
    s = get_session()
    layers = usecases.kind_coverage(
        s, year=_year(), kind=kind, radius_m=request.args.get("radius_m", type=float)
    )
    m = maps.coverage_map(
        layers["units"],
        layers["facilities"],
        areas=layers["areas"],
        uncovered=layers["uncovered"],
        kind_name=BY_CODE[kind].name_zh if str(get_locale()) == "zh" else BY_CODE[kind].name_en,
        radius_m=layers["radius_m"],
        basemap=_basemap(s),
    )
    return Response(maps.render(m), mimetype="text/html", headers={"Content-Security-Policy": FOLIUM_CSP})


def _basemap(session) -> dict:
    """Our own layers under the planning maps: water (黄河, 乌海湖), main roads, district outlines."""
    from placenames.mapping import water_gdf  # matplotlib comes with it: only when a map is drawn

    return usecases.basemap_layers(session) | {"water": water_gdf(session)}


def _kind_name(kind: str) -> str:
    return BY_CODE[kind].name_zh if str(get_locale()) == "zh" else BY_CODE[kind].name_en


def _scenario() -> whatif_mod.Scenario:
    """The what-if form's change (query string or form): one added facility, removals, one move."""
    add = []
    kind = _value("kind")
    if kind:
        new = {
            "kind": kind,
            "name": _("proposed facility"),
            "lon": _value("lon"),
            "lat": _value("lat"),
        }
        new |= {k: _value(k) for k in ("beds", "nursing_beds", "floor_area_m2") if _value(k)}
        add.append(new)
    removed = [_facility_id(v, "remove") for v in request.values.getlist("remove") if v.strip()]
    move = {}
    if _value("move_id"):
        move[_facility_id(_value("move_id"), "move_id")] = (
            _value("move_lon"),
            _value("move_lat"),
        )
    return whatif_mod.Scenario(add=add, move=move, remove=removed)


_SHORT_TEXT = contracts.text(100)


def _value(name: str) -> str | None:
    """A short field of the form or of the query string (the map of a what-if is asked for by GET)."""
    return contracts.check(_SHORT_TEXT, request.values.get(name), field=name)


def _changed_kind(scenario: whatif_mod.Scenario) -> str:
    """The kind whose circles a what-if map shows: the added facility's, else the moved or removed one's."""
    if scenario.add:
        return scenario.add[0]["kind"]
    ids = [*scenario.move, *scenario.remove]
    if ids:
        return fstore.get_facility(get_session(), ids[0]).kind
    return "home_care_station"


@bp.get("/whatif/map")
@role_required(ROLE)
def whatif_map():
    """A what-if change on the map: proposed facilities, their circles, newly and still uncovered areas."""
    s = get_session()
    scenario = _scenario()
    kind = _changed_kind(scenario)
    if kind not in BY_CODE:
        raise InvalidInput(f"kind {kind[:40]!r} is not a facility kind", field="kind")
    radius = BY_CODE[kind].service_radius_m or 1000.0
    layers = planning.coverage_change(s, year=_year(), kinds=[kind], scenario=scenario, radius_m=radius)
    m = maps.change_map(
        layers,
        title=_("What-if: %(kind)s", kind=_kind_name(kind)),
        proposed_label=_("Proposed or moved facilities"),
        basemap=_basemap(s),
    )
    return Response(maps.render(m), mimetype="text/html", headers={"Content-Security-Policy": FOLIUM_CSP})


@bp.get("/siting/<int:run_id>/map")
@role_required(ROLE)
def siting_map(run_id: int):
    """A stored siting run on the map: the chosen sites, their circles, newly and still uncovered areas."""
    s = get_session()
    run, sites = load_run(s, run_id)
    if run.kind != "siting":
        abort(404)
    summary = run.summary or {}
    area = summary.get("area", "urban")
    kind = summary.get("kind", "home_care_station")
    points = [] if sites is None else [(p.x, p.y) for p in sites.geometry if p is not None]
    scenario = whatif_mod.Scenario(
        add=[
            {"kind": kind, "name": _("Site %(n)s", n=i + 1), "lon": x, "lat": y}
            for i, (x, y) in enumerate(points)
        ]
    )
    layers = planning.coverage_change(
        s,
        year=int((run.inputs or {}).get("year") or _latest_year()),
        kinds=list(URBAN_ELDERLY_KINDS if area == "urban" else RURAL_ELDERLY_KINDS),
        scenario=scenario,
        radius_m=float(summary.get("limit_m") or 1000.0),
        area=area,
    )
    m = maps.change_map(
        layers,
        title=_("Siting: %(kind)s", kind=_kind_name(kind)),
        proposed_label=_("Proposed sites"),
        basemap=_basemap(s),
    )
    return Response(maps.render(m), mimetype="text/html", headers={"Content-Security-Policy": FOLIUM_CSP})


def _whatif_page(*, error: str | None = None, status: int = 200, exc=None):
    body = render_template(
        "planning/whatif.html", rows=[], year=request.values.get("year"), error=error, kind=None, removed=[]
    )
    return body, status


@bp.post("/whatif")
@role_required(ROLE)
@form_errors(_whatif_page)
def whatif():
    """Add, move or remove facilities in a scenario and see every indicator recomputed."""
    year = _year()
    scenario = _scenario()
    result = usecases.what_if(get_session(), year=year, scenario=scenario, level="city")
    if wants_json():
        return jsonify({"year": year, "scenario": scenario.describe(), "units": result})
    kind = scenario.add[0]["kind"] if scenario.add else None
    keys = ("kind", "lon", "lat", "move_id", "move_lon", "move_lat")
    query = {k: _value(k) for k in keys if _value(k)} | {"remove": scenario.remove}
    return render_template(
        "planning/whatif.html",
        rows=result[0]["indicators"],
        year=year,
        kind=_kind_name(kind) if kind in BY_CODE else kind,
        removed=scenario.remove,
        map_url=url_for("planning.whatif_map", year=year, **query),
    )


def _siting_page(*, report=None, error: str | None = None, status: int = 200, exc=None):
    body = render_template(
        "planning/siting.html",
        report=report,
        kinds=KINDS,
        kind_names={k: _kind_name(k) for k in BY_CODE},
        year=request.values.get("year"),
        error=error,
        field=getattr(exc, "field", None),
    )
    return body, status


@bp.route("/siting", methods=["GET", "POST"])
@role_required(ROLE)
@form_errors(_siting_page)
def siting():
    """Where to put new facilities: maximal covering for N sites, or set covering for everyone (stored as a run)."""
    if request.method != "POST":
        return _siting_page()
    s = get_session()
    report = usecases.site_facilities(
        s,
        actor=actor(),
        year=_year(),
        kind=forms.text("kind") or "home_care_station",
        n=forms.text("n"),
        area=forms.text("area") or "urban",
        candidates=forms.text("candidates") or "grid",
        spacing_m=forms.text("spacing_m"),
        solver=forms.text("solver") or "auto",
    )
    s.commit()
    if wants_json():
        return jsonify(report)
    return _siting_page(report=report)


def _facility_id(value: str | None, field: str) -> int:
    """A facility id typed into a form field (422 naming the field when it is not a number)."""
    try:
        return int(str(value).strip())
    except ValueError:
        raise InvalidInput(f"{field} {str(value)[:20]!r}: not a facility id", field=field) from None


REPORT = products.WebProduct("plan-report", "planning.report", _l("Planning progress report"))
bp.record_once(lambda state: products.init_app(state.app))


def _report_params() -> dict[str, str]:
    """Year, format and language of a report (the language: asked for, else the page's)."""
    lang = request.values.get("lang") or str(get_locale())
    return {
        "year": str(_year()),
        "format": "pdf" if request.values.get("format") == "pdf" else "html",
        "lang": lang if lang in freport.LANGUAGES else "zh",
    }


def _report_builder(year: int, pdf: bool, lang: str = "zh"):
    def build(session, out: Path, progress=None) -> str:
        name = "report.pdf" if pdf else "report.html"
        files = freport.build_report(session, year=year, out_dir=out, pdf=pdf, lang=lang, progress=progress)
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
    builder = _report_builder(int(params["year"]), params["format"] == "pdf", params["lang"])
    return products.respond(REPORT, params, builder, download_name=f"plan-progress-{params['year']}.pdf")


@bp.get("/report/status")
@role_required(ROLE)
def report_status():
    return products.status_json(REPORT, _report_params())


@bp.post("/report/rebuild")
@role_required(ROLE)
def report_rebuild():
    params = _report_params()
    builder = _report_builder(int(params["year"]), params["format"] == "pdf", params["lang"])
    return products.rebuild(REPORT, params, builder)


@bp.get("/report/files/<int:year>/<format>/<build>/<path:name>")
@role_required(ROLE)
def report_file(year: int, format: str, build: str, name: str):
    """Files of one report build (the HTML or PDF, its map images and tables)."""
    if format not in ("html", "pdf"):
        abort(404)
    lang = request.args.get("lang") or "zh"
    params = {"year": str(year), "format": format, "lang": lang if lang in freport.LANGUAGES else "zh"}
    return products.send_build_file(REPORT, params, build, name, download_name=f"plan-progress-{year}.pdf")


@bp.get("/indicators.csv")
@role_required(ROLE)
def indicators_csv():
    """The indicators of a level as CSV, entered values with their source and date."""
    year, level = _year(), _level()
    results = usecases.indicator_report(get_session(), year=year, level=level)["units"]
    keys = ("number", "name_zh", "unit", "value", "baseline_2020", "target_2025", "kind", "progress_pct")
    rows = [
        {
            "code": r["code"],
            "name": r["name"],
            **{k: i.get(k) for k in keys},
            "progress_note": i["progress_note"],
            "origin": i["origin"],
            "value_year": (i["entered"] or {}).get("year"),
            "value_source": (i["entered"] or {}).get("source"),
            "value_date": (i["entered"] or {}).get("date"),
        }
        for r in results
        for i in r["indicators"]
    ]
    csv = pd.DataFrame(rows).to_csv(index=False)
    return Response(
        "\ufeff" + csv,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="indicators-{level}-{year}.csv"'},
    )


# -- the facility registry and indicator entries ---------------------------------------------------

#: Facility attributes the edit form sends (numbers as text: the domain checks and converts them).
EDIT_FIELDS = (
    "name",
    "status",
    "operator_type",
    "beds",
    "nursing_beds",
    "floor_area_m2",
    "year_opened",
    "year_closed",
    "planned_year",
    "opening_hours",
    "contact",
    "address",
)
#: Yes/no attributes: the form sends a hidden ``0`` and, when ticked, a ``1``.
FLAGS = ("has_volunteer_site", "new_or_rebuilt")
#: Attributes of a new facility besides kind, name and position.
ADD_FIELDS = (
    "beds",
    "nursing_beds",
    "floor_area_m2",
    "operator_type",
    "status",
    "year_opened",
    "planned_year",
)


def _facilities_page(*, error: str | None = None, status: int = 200, exc=None):
    kind = request.args.get("kind") or None
    gdf = fstore.facilities_gdf(get_session(), kinds=[kind] if kind in BY_CODE else None)
    rows = [
        {
            "id": int(r.id),
            "kind": r.kind,
            "name": r.name,
            "status": r.status,
            "division_code": r.division_code,
            "version": int(r.version),
        }
        for r in gdf.itertuples()
    ]
    body = render_template(
        "planning/facilities.html",
        rows=rows,
        kinds=KINDS,
        kind=kind,
        error=error,
        field=getattr(exc, "field", None),
        form=request.form,
    )
    return body, status


@bp.get("/facilities")
@role_required(ROLE)
def facilities():
    """The facility registry (optionally one kind) and the form to register one."""
    return _facilities_page()


@bp.post("/facilities")
@role_required(ROLE)
@form_errors(_facilities_page)
def add_facility():
    """Register a facility; its community is found from the point."""
    attrs = {k: forms.text(k) for k in ADD_FIELDS if forms.text(k) is not None}
    fac = usecases.add_facility(
        get_session(),
        actor=actor(),
        kind=forms.text("kind"),
        name=forms.text("name", contract=FACILITY_CONTRACTS["name"]),
        lon=forms.text("lon"),
        lat=forms.text("lat"),
        reason=forms.text("reason"),
        **attrs,
    )
    get_session().commit()
    flash(_("Facility saved."), "ok")
    if fac.year_opened is None:
        flash(
            _(
                "No opening year given: the facility counts in the indicators from %(year)s, the year it was registered.",
                year=fac.created_at.year,
            ),
            "ok",
        )
    return redirect(url_for("planning.facility", facility_id=fac.id), 303)


def _facility_page(facility_id: int, *, error: str | None = None, status: int = 200, exc=None):
    fac = fstore.get_facility(get_session(), facility_id)
    lon, lat = fstore.facility_lonlat(fac)
    body = render_template(
        "planning/facility.html",
        fac=fac,
        lon=lon,
        lat=lat,
        fields=EDIT_FIELDS,
        flags=FLAGS,
        error=error,
        field=getattr(exc, "field", None),
    )
    return body, status


@bp.get("/facilities/<int:facility_id>")
@role_required(ROLE)
def facility(facility_id: int):
    """One facility with the forms to edit, move and remove it (JSON when asked for)."""
    if wants_json():
        fac = fstore.get_facility(get_session(), facility_id)
        lon, lat = fstore.facility_lonlat(fac)
        return jsonify({c: getattr(fac, c) for c in fstore.FACILITY_COLUMNS} | {"lon": lon, "lat": lat})
    return _facility_page(facility_id)


@bp.post("/facilities/<int:facility_id>")
@role_required(ROLE)
@form_errors(_facility_page)
def edit_facility(facility_id: int):
    """Save the attributes the form sends, at the version it was shown with (stale: 409)."""
    changes = {k: forms.text(k, contract=FACILITY_CONTRACTS[k]) for k in EDIT_FIELDS if k in request.form}
    changes |= {k: "1" in request.form.getlist(k) for k in FLAGS if k in request.form}
    usecases.edit_facility(
        get_session(),
        facility_id,
        actor=actor(),
        changes=changes,
        expected_version=forms.version(),
        reason=forms.text("reason"),
    )
    get_session().commit()
    flash(_("Facility saved."), "ok")
    return redirect(url_for("planning.facility", facility_id=facility_id), 303)


@bp.post("/facilities/<int:facility_id>/move")
@role_required(ROLE)
@form_errors(_facility_page)
def move_facility(facility_id: int):
    """Move a facility to the position the form sends."""
    usecases.move_facility(
        get_session(),
        facility_id,
        actor=actor(),
        lon=forms.text("lon"),
        lat=forms.text("lat"),
        expected_version=forms.version(),
        reason=forms.text("reason"),
    )
    get_session().commit()
    flash(_("Facility moved."), "ok")
    return redirect(url_for("planning.facility", facility_id=facility_id), 303)


@bp.post("/facilities/<int:facility_id>/remove")
@role_required(ROLE)
@form_errors(_facility_page)
def remove_facility(facility_id: int):
    """Remove a facility, saying why."""
    usecases.remove_facility(
        get_session(),
        facility_id,
        actor=actor(),
        reason=forms.text("reason"),
        expected_version=forms.version(),
    )
    get_session().commit()
    flash(_("Facility removed."), "ok")
    return redirect(url_for("planning.facilities"), 303)


def _entry_page(*, error: str | None = None, status: int = 200, exc=None):
    body = render_template(
        "planning/entry.html",
        entered=[indicators.BY_ID[i] for i in indicators.ENTERED_IDS],
        error=error,
        field=getattr(exc, "field", None),
        form=request.form,
        year=request.values.get("year") or date.today().year,
    )
    return body, status


@bp.route("/indicators/entry", methods=["GET", "POST"])
@role_required(ROLE)
@form_errors(_entry_page)
def enter_indicator():
    """Enter a non-spatial indicator value (no. 1, 2, 7, 12 ...) with its source and date."""
    if request.method != "POST":
        return _entry_page()
    row = usecases.enter_indicator(
        get_session(),
        actor=actor(),
        number=forms.text("number"),
        year=forms.text("year"),
        value=forms.text("value"),
        value_source=forms.text("value_source", contract=contracts.of(IndicatorEntry, "value_source")),
        division_code=forms.text("division_code"),
        value_date=forms.text("value_date"),
        note=forms.text("note"),
    )
    get_session().commit()
    flash(_("Indicator value saved."), "ok")
    return redirect(url_for("planning.index", year=row.year), 303)
