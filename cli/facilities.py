"""Commands ``indicators`` and ``facilities list|add|move|remove|circles|whatif|site|report|runs``."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cli.context import CliContext
from cli.context import emit
from cli.context import format_option
from cli.context import pass_cli
from cli.context import table
from facilities.kinds import FACILITY_STATUSES
from facilities.kinds import KIND_CODES
from facilities.kinds import OPERATOR_TYPES
from gis.errors import InvalidInput

if TYPE_CHECKING:
    from facilities.circles import CircleRule

LEVELS = ("city", "district", "town", "community")


class _Lazy:
    """A module imported on first use (keeps ``wuhai-gis --help`` fast)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str):
        return getattr(importlib.import_module(self._name), attr)


planning = _Lazy("facilities.planning")
store = _Lazy("facilities.store")
usecases = _Lazy("facilities.usecases")
_circles = _Lazy("facilities.circles")
_indicators = _Lazy("facilities.indicators")
_whatif = _Lazy("facilities.whatif")

rule_options = [
    click.option(
        "--method",
        type=click.Choice(["straight", "network"]),
        default="straight",
        show_default=True,
        help="Straight-line distance or travel on the road network.",
    ),
    click.option("--walk-kmh", type=float, default=4.0, show_default=True),
    click.option("--drive-kmh", type=float, default=30.0, show_default=True),
    click.option(
        "--urban-minutes",
        type=float,
        default=15.0,
        show_default=True,
        help="Urban life circle (5/10/15 use GB 50180 distances).",
    ),
    click.option("--rural-minutes", type=float, default=30.0, show_default=True),
    click.option("--rural-mode", type=click.Choice(["walk", "drive"]), default="walk", show_default=True),
    click.option(
        "--circle-m",
        "circle_m",
        type=(int, float),
        multiple=True,
        help="Override a life circle: MINUTES METRES (e.g. 15 800).",
    ),
    click.option(
        "--min-share",
        type=float,
        default=0.5,
        show_default=True,
        help="Share of households covered for a community to count as served.",
    ),
]


def with_rule_options(func):
    for option in reversed(rule_options):
        func = option(func)
    return func


def rule_from(opts: dict) -> CircleRule:
    circles = {5: 300.0, 10: 500.0, 15: 1000.0} | {int(m): float(d) for m, d in opts.pop("circle_m", ())}
    keys = ("method", "walk_kmh", "drive_kmh", "urban_minutes", "rural_minutes", "rural_mode", "min_share")
    return _circles.CircleRule(life_circles_m=circles, **{k: opts.pop(k) for k in keys})


def dask_options(f):
    """``--workers`` and ``--scheduler``: where a coverage computation runs (Dask)."""
    f = click.option(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        envvar="DASK_SCHEDULER_ADDRESS",
        help="Run the coverage on this Dask scheduler (partitioned by division).",
    )(f)
    return click.option(
        "--workers",
        type=click.IntRange(min=1),
        help="Run the coverage on a local Dask cluster of this many workers.",
    )(f)


@click.command("indicators")
@click.option("--year", type=int, required=True, help="Year of the population and facilities.")
@click.option("--level", type=click.Choice(LEVELS), default="city", show_default=True)
@click.option(
    "--served",
    "served_rule",
    type=click.Choice(["inside", "straight", "network"]),
    default="inside",
    show_default=True,
    help="Rule for a served community: a facility inside, or within the 15/30-minute circle.",
)
@click.option(
    "--include-planned",
    is_flag=True,
    help="Count facilities under construction/planned once their planned year is reached.",
)
@click.option("--standards", is_flag=True, help="Also list the communities below the floor-area standard.")
@dask_options
@format_option
@pass_cli
def indicators_cmd(
    cli: CliContext,
    year: int,
    level: str,
    served_rule: str,
    include_planned: bool,
    standards: bool,
    workers: int | None,
    scheduler: str | None,
    fmt: str,
) -> None:
    """The plan's twelve indicators (序号 1-12) with unit, value, 2020 baseline, 2025 target and kind.

    Values entered by hand (no. 1, 2, 7, 12) are marked with their source and date; a year outside
    the data's years is refused.
    """
    with cli.session() as session:
        report = usecases.indicator_report(
            session,
            year=year,
            level=level,
            served_rule=served_rule,
            include_planned=include_planned,
            standards=standards,
            workers=workers,
            scheduler=scheduler,
        )
    result = report
    if level == "city":
        (city,) = report.pop("units")
        result = {
            **{k: report[k] for k in ("year", "level", "served_rule", "data_years")},
            "code": city["code"],
            "name": city["name"],
            "indicators": city["indicators"],
            **{k: v for k, v in report.items() if k not in ("year", "level", "served_rule", "data_years")},
        }
    emit(result, fmt, _render_indicators)


@click.group("facilities")
def facilities_group() -> None:
    """Civil-affairs facilities: registry, service circles, what-if, siting and the planning report."""


@facilities_group.command("list")
@click.option("--kind", type=click.Choice(KIND_CODES), multiple=True)
@click.option("--status", type=click.Choice(FACILITY_STATUSES), multiple=True)
@format_option
@pass_cli
def list_cmd(cli: CliContext, kind: tuple[str, ...], status: tuple[str, ...], fmt: str) -> None:
    """List facilities (id, kind, name, status, beds, floor area, community, lon/lat)."""
    with cli.session() as session:
        gdf = store.facilities_gdf(session, kinds=list(kind) or None, statuses=list(status) or None)
    rows = [
        {
            "id": int(r.id),
            "kind": r.kind,
            "name": r.name,
            "status": r.status,
            "beds": _int_or_none(r.beds),
            "floor_area_m2": r.floor_area_m2,
            "division_code": r.division_code,
            "lon": round(r.geometry.x, 6),
            "lat": round(r.geometry.y, 6),
            "version": int(r.version),
        }
        for r in gdf.itertuples()
    ]
    emit(
        rows,
        fmt,
        lambda rs: table(rs, ["id", "kind", "name", "status", "beds", "floor_area_m2", "division_code"]),
    )


@facilities_group.command("add")
@click.option("--kind", type=click.Choice(KIND_CODES), required=True)
@click.option("--name", required=True)
@click.option("--lon", type=float, required=True)
@click.option("--lat", type=float, required=True)
@click.option("--beds", type=int)
@click.option("--nursing-beds", type=int)
@click.option("--floor-area", "floor_area_m2", type=float)
@click.option("--operator", "operator_type", type=click.Choice(OPERATOR_TYPES))
@click.option("--status", type=click.Choice(FACILITY_STATUSES), default="running", show_default=True)
@click.option("--year-opened", type=int)
@click.option("--planned-year", type=int)
@click.option("--reason")
@format_option
@pass_cli
def add_cmd(
    cli: CliContext, kind: str, name: str, lon: float, lat: float, reason: str | None, fmt: str, **attrs
) -> None:
    """Register a facility (recorded in the audit log)."""
    attrs = {k: v for k, v in attrs.items() if v is not None}
    with cli.session() as session:
        fac = usecases.add_facility(
            session, actor=cli.actor, kind=kind, name=name, lon=lon, lat=lat, reason=reason, **attrs
        )
        session.commit()
        out = {
            "id": fac.id,
            "division_code": fac.division_code,
            "version": fac.version,
            "year_opened": fac.year_opened,
            "counts_from": fac.year_opened or fac.created_at.year,
        }
    emit(out, fmt, _render_added)


@facilities_group.command("move")
@click.argument("facility_id", type=int)
@click.option("--lon", type=float, required=True)
@click.option("--lat", type=float, required=True)
@click.option("--expected-version", type=int, help="Refuse if the facility changed since this version.")
@click.option("--reason")
@format_option
@pass_cli
def move_cmd(
    cli: CliContext,
    facility_id: int,
    lon: float,
    lat: float,
    expected_version: int | None,
    reason: str | None,
    fmt: str,
) -> None:
    """Move a facility (its community is found again)."""
    with cli.session() as session:
        fac = usecases.move_facility(
            session,
            facility_id,
            actor=cli.actor,
            lon=lon,
            lat=lat,
            expected_version=expected_version,
            reason=reason,
        )
        session.commit()
        out = {"id": fac.id, "division_code": fac.division_code, "version": fac.version}
    emit(out, fmt, lambda r: f"facility {r['id']} now in {r['division_code']} (version {r['version']})")


@facilities_group.command("edit")
@click.argument("facility_id", type=int)
@click.option("--name")
@click.option("--status", type=click.Choice(FACILITY_STATUSES))
@click.option("--operator", "operator_type", type=click.Choice(OPERATOR_TYPES))
@click.option("--beds", type=int)
@click.option("--nursing-beds", type=int)
@click.option("--floor-area", "floor_area_m2", type=float)
@click.option("--year-opened", type=int)
@click.option("--year-closed", type=int)
@click.option("--planned-year", type=int)
@click.option("--opening-hours")
@click.option("--contact")
@click.option("--address")
@click.option("--volunteer-site/--no-volunteer-site", "has_volunteer_site", default=None)
@click.option("--new-or-rebuilt/--not-new-or-rebuilt", "new_or_rebuilt", default=None)
@click.option("--expected-version", type=int, help="Refuse if the facility changed since this version.")
@click.option("--reason")
@format_option
@pass_cli
def edit_cmd(
    cli: CliContext,
    facility_id: int,
    expected_version: int | None,
    reason: str | None,
    fmt: str,
    **changes,
) -> None:
    """Change a facility's attributes (only the options given)."""
    changes = {k: v for k, v in changes.items() if v is not None}
    with cli.session() as session:
        fac = usecases.edit_facility(
            session,
            facility_id,
            actor=cli.actor,
            changes=changes,
            expected_version=expected_version,
            reason=reason,
        )
        session.commit()
        out = {"id": fac.id, "division_code": fac.division_code, "version": fac.version}
    emit(out, fmt, lambda r: f"facility {r['id']} saved (version {r['version']})")


@facilities_group.command("remove")
@click.argument("facility_id", type=int)
@click.option("--expected-version", type=int)
@click.option("--reason", required=True)
@format_option
@pass_cli
def remove_cmd(
    cli: CliContext, facility_id: int, expected_version: int | None, reason: str, fmt: str
) -> None:
    """Remove a facility (its last state stays in the audit log)."""
    with cli.session() as session:
        usecases.remove_facility(
            session, facility_id, actor=cli.actor, expected_version=expected_version, reason=reason
        )
        session.commit()
    emit({"id": facility_id, "removed": True}, fmt, lambda r: f"facility {r['id']} removed")


@facilities_group.command("circles")
@click.option("--year", type=int, default=2020, show_default=True)
@with_rule_options
@click.option(
    "--roads",
    "roads_path",
    type=click.Path(exists=True, dir_okay=False),
    help="Road layer (Shapefile/GPKG/OSM .pbf) instead of road_segment.",
)
@click.option("--households-per-point", type=int, default=50, show_default=True)
@click.option(
    "--life-circles", "life", is_flag=True, help="Add the 5/10/15-minute life circles (areas and counts)."
)
@click.option(
    "--save/--no-save",
    default=True,
    show_default=True,
    help="Store the run (reload with `facilities runs show`).",
)
@click.option("--title")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    help="Also write the per-community table (CSV/XLSX) and layers (GPKG) here.",
)
@dask_options
@format_option
@pass_cli
def circles_cmd(
    cli: CliContext,
    year: int,
    roads_path,
    households_per_point: int,
    life: bool,
    save: bool,
    title,
    out_dir,
    workers: int | None,
    scheduler: str | None,
    fmt: str,
    **opts,
) -> None:
    """Service circles of the elderly-care facilities: households/elderly covered per community, gaps."""
    rule = rule_from(opts)
    with cli.session() as session:
        analysis = planning.circle_analysis(
            session,
            year=year,
            rule=rule,
            roads_path=roads_path,
            households_per_point=households_per_point,
            life=life,
            workers=workers,
            scheduler=scheduler,
        )
        run_id = None
        if save:
            run_id = planning.save_circle_run(
                session,
                analysis,
                actor=cli.actor,
                year=year,
                title=title,
                roads=str(roads_path or "road_segment"),
            )
            session.commit()
    if out_dir:
        from facilities.report import write_tables

        write_tables(Path(out_dir), {"coverage": analysis.summary})
        analysis.areas.to_file(Path(out_dir) / "service_areas.gpkg", driver="GPKG")
        analysis.uncovered.to_file(Path(out_dir) / "uncovered.gpkg", driver="GPKG")
    below = analysis.summary[~analysis.summary["served"]]
    result = {
        "run_id": run_id,
        "rule": rule.as_dict(),
        "totals": analysis.totals(),
        "not_served": below[
            ["unit_code", "name", "urban_rural", "households", "households_covered", "covered_share"]
        ].to_dict(orient="records"),
    }
    emit(result, fmt, _render_circles)


@facilities_group.command("whatif")
@click.option("--year", type=int, default=2020, show_default=True)
@click.option(
    "--add", "adds", multiple=True, help="KIND:LON,LAT[:NAME] (repeatable); JSON object also accepted."
)
@click.option("--move", "moves", multiple=True, help="ID:LON,LAT (repeatable).")
@click.option("--remove", "removes", multiple=True, type=int, help="Facility id (repeatable).")
@click.option("--level", type=click.Choice(LEVELS), default="city", show_default=True)
@format_option
@pass_cli
def whatif_cmd(cli: CliContext, year: int, adds, moves, removes, level: str, fmt: str) -> None:
    """Recompute every indicator with proposed facilities added, moved or removed (nothing is written)."""
    scenario = _whatif.Scenario(
        add=[_parse_add(a) for a in adds], move=dict(_parse_move(m) for m in moves), remove=list(removes)
    )
    with cli.session() as session:
        result = usecases.what_if(session, year=year, scenario=scenario, level=level)
    emit({"year": year, "scenario": scenario.describe(), "units": result}, fmt, _render_whatif)


@facilities_group.command("site")
@click.option("--year", type=int, default=2020, show_default=True)
@click.option("--kind", type=click.Choice(KIND_CODES), default="home_care_station", show_default=True)
@click.option(
    "--n",
    type=int,
    help="Number of new sites (MCLP); omit for the fewest sites covering everyone (set covering).",
)
@click.option(
    "--candidates", type=click.Choice(["centroids", "grid", "points"]), default="grid", show_default=True
)
@click.option("--spacing", "spacing_m", type=float, default=500.0, show_default=True)
@click.option(
    "--points",
    "points_path",
    type=click.Path(exists=True, dir_okay=False),
    help="Candidate points file (with --candidates points).",
)
@click.option("--solver", type=click.Choice(["auto", "exact", "greedy"]), default="auto", show_default=True)
@click.option("--area", type=click.Choice(["urban", "rural"]), default="urban", show_default=True)
@with_rule_options
@format_option
@pass_cli
def site_cmd(
    cli: CliContext, year, kind, n, candidates, spacing_m, points_path, solver, area, fmt, **opts
) -> None:
    """Where to put new facilities: maximal covering (--n) or full coverage with the fewest sites."""
    rule = rule_from(opts)
    pts = None
    if points_path:
        import geopandas as gpd

        pts = gpd.read_file(points_path)
    with cli.session() as session:
        report = usecases.site_facilities(
            session,
            actor=cli.actor,
            year=year,
            kind=kind,
            n=n,
            area=area,
            candidates=candidates,
            spacing_m=spacing_m,
            candidate_points=pts,
            rule=rule,
            solver=solver,
        )
        session.commit()
    emit(report, fmt, _render_site)


@facilities_group.command("report")
@click.option("--year", type=int, default=2020, show_default=True)
@click.option("--out", "out_dir", type=click.Path(), required=True, help="Folder for the report's files.")
@click.option("--pdf/--no-pdf", default=True, show_default=True)
@click.option(
    "--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True, help="Language of the report."
)
@format_option
@pass_cli
def report_cmd(cli: CliContext, year: int, out_dir: str, pdf: bool, lang: str, fmt: str) -> None:
    """Planning report "progress to the 2025 targets" (HTML, PDF) with maps, and tables (CSV, XLSX)."""
    from cli.progress import progress_bar
    from facilities.report import build_report

    with cli.session() as session, progress_bar("report") as progress:
        files = build_report(session, year=year, out_dir=Path(out_dir), pdf=pdf, lang=lang, progress=progress)
    emit({"files": [str(f) for f in files]}, fmt, lambda r: "\n".join(r["files"]))


@facilities_group.command("enter-indicator")
@click.option("--number", type=click.IntRange(1, 12), required=True, help="Row of the plan's table (1-12).")
@click.option("--year", type=int, required=True)
@click.option("--value", type=float, required=True)
@click.option(
    "--source", "value_source", required=True, help="Where the value comes from (document, office)."
)
@click.option("--date", "value_date", type=click.DateTime(formats=["%Y-%m-%d"]), help="Date of the source.")
@click.option("--division", "division_code", help="12-digit code when the value is for a district or town.")
@click.option("--note")
@format_option
@pass_cli
def enter_indicator_cmd(
    cli: CliContext, number, year, value, value_source, value_date, division_code, note, fmt
) -> None:
    """Enter a non-spatial indicator value (e.g. no. 1, 2, 7, 12) with its source and date."""
    with cli.session() as session:
        row = usecases.enter_indicator(
            session,
            actor=cli.actor,
            number=number,
            year=year,
            value=value,
            value_source=value_source,
            division_code=division_code,
            value_date=value_date.date() if value_date else None,
            note=note,
        )
        session.commit()
        out = {"number": row.number, "year": row.year, "value": row.value, "division_code": row.division_code}
    emit(out, fmt, lambda r: f"indicator {r['number']} for {r['year']}: {r['value']}")


@facilities_group.group("runs")
def runs_group() -> None:
    """Stored analysis runs: list, show, compare."""


@runs_group.command("list")
@click.option("--kind")
@format_option
@pass_cli
def runs_list(cli: CliContext, kind: str | None, fmt: str) -> None:
    """Stored runs, newest first."""
    with cli.session() as session:
        rows = [
            {"id": r.id, "kind": r.kind, "title": r.title, "author": r.author, "created_at": r.created_at}
            for r in store.list_runs(session, kind=kind)
        ]
    emit(rows, fmt, table)


@runs_group.command("show")
@click.argument("run_id", type=int)
@click.option(
    "--geojson",
    "geojson_path",
    type=click.Path(dir_okay=False),
    help="Write the run's layer to this GeoJSON file.",
)
@format_option
@pass_cli
def runs_show(cli: CliContext, run_id: int, geojson_path: str | None, fmt: str) -> None:
    """A stored run: parameters, inputs and summary."""
    with cli.session() as session:
        run, layer = store.load_run(session, run_id)
    if geojson_path and layer is not None:
        layer.to_file(geojson_path, driver="GeoJSON")
    out = {
        "id": run.id,
        "kind": run.kind,
        "title": run.title,
        "created_at": run.created_at,
        "author": run.author,
        "parameters": run.parameters,
        "inputs": run.inputs,
        "summary": {k: v for k, v in run.summary.items() if k != "per_unit"},
        "features": 0 if layer is None else len(layer),
    }
    emit(out, fmt, lambda r: json.dumps(r, ensure_ascii=False, indent=2, default=str))


@runs_group.command("compare")
@click.argument("a", type=int)
@click.argument("b", type=int)
@format_option
@pass_cli
def runs_compare(cli: CliContext, a: int, b: int, fmt: str) -> None:
    """Two stored circle runs side by side and the communities whose coverage changed."""
    with cli.session() as session:
        result = planning.compare_runs(session, a, b)
    emit(result, fmt, lambda r: json.dumps(r, ensure_ascii=False, indent=2, default=str))


def _parse_add(text: str) -> dict:
    try:
        if text.lstrip().startswith("{"):
            new = json.loads(text)
            if not isinstance(new, dict) or not {"kind", "lon", "lat"} <= set(new):
                raise ValueError
            return new
        kind, coords, *name = text.split(":")
        lon, lat = (float(v) for v in coords.split(","))
    except ValueError:
        raise InvalidInput(
            f"--add {text[:60]!r}: expected KIND:LON,LAT[:NAME] or a JSON object with kind, lon, lat",
            field="add",
        ) from None
    return {"kind": kind, "lon": lon, "lat": lat} | ({"name": name[0]} if name else {})


def _parse_move(text: str) -> tuple[int, tuple[float, float]]:
    try:
        fid, coords = text.split(":")
        lon, lat = (float(v) for v in coords.split(","))
        return int(fid), (lon, lat)
    except ValueError:
        raise InvalidInput(f"--move {text[:60]!r}: expected ID:LON,LAT", field="move") from None


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):  # None, NaN, pandas.NA
        return None


def _fmt(v) -> str:
    return "--" if v is None else str(v)


def _render_indicators(r: dict) -> str:
    blocks = []
    for unit in r.get("units") or [r]:
        rows = [
            {
                "序号": i["number"],
                "指标": i["name_zh"],
                "单位": i["unit"],
                "2020": _fmt(i["baseline_2020"]),
                "2025": i["target_2025"],
                "当前": _fmt(i["value"]),
                "进度%": _progress(i),
                "属性": i["kind"],
                "来源": "录入 entered" if i["origin"] == "entered" else "计算 computed",
            }
            for i in unit["indicators"]
        ]
        blocks.append(f"{unit['name']} ({unit['code']}), {r['year']}\n{table(rows)}")
    blocks.append(_render_notes(r))
    if "below_standard" in r:
        rows = [{"code": b["code"], "name": b["name"], "problem": b["problem"]} for b in r["below_standard"]]
        std = r["standards"]
        blocks.append(
            "\n".join(
                [
                    f"per-community floor-area standard: {len(rows)} of {r['checked_units']} units below; "
                    f"{r['units_with_sized_facility']} of {r['checked_units']} have a facility of the required size",
                    *(
                        std[k]["zh"] + "\n  " + std[k]["en"]
                        for k in ("indicator_8", "per_unit", "plan_100pct")
                    ),
                    table(rows) if rows else "",
                ]
            )
        )
    return "\n\n".join(b for b in blocks if b)


def _progress(i: dict) -> str:
    note = {"below_baseline": " (低于基线 below baseline)", "target_reached": " ✓", "baseline_met": " ✓"}
    return _fmt(i["progress_pct"]) + note.get(i.get("progress_note"), "")


def _render_notes(r: dict) -> str:
    """The notes under the table: entered values with source and date, beds both ways, opening years."""
    lines = []
    unit = (r.get("units") or [r])[0]
    by_id = {i["id"]: i for i in unit["indicators"]}
    for i in unit["indicators"]:
        if i["origin"] == "entered" and i["entered"]:
            e = i["entered"]
            lines.append(
                f"录入 entered: {i['number']} = {i['value']} (value of {e['year']}), {e['source']}, {e['date'] or '--'}"
            )
    for vid, what in (("4", "张/千名老人 beds per 1000 elderly"), ("5", "% 护理型 nursing")):
        d = by_id[vid]["detail"]
        if "combined" in d:
            parts = ", ".join(
                f"{label} {_fmt(d[key]['value'])}"
                for key, label in (
                    ("institutions", "养老机构 institutions"),
                    ("community", "社区居家 community"),
                    ("combined", "合计 combined"),
                )
            )
            lines.append(f"{vid}: {parts} ({what}); 采用合计 uses combined")
    notes = r.get("notes") or {}
    if notes:
        lines.append(notes["beds"]["rule_zh"] + " " + notes["beds"]["rule"])
        o = notes["opening_year"]
        lines.append(o["rule_zh"] + " " + o["rule"])
        if o["counted"] or o["not_yet"]:
            lines.append(
                f"  {o['counted']} running facilities without an opening year counted, {o['not_yet']} not yet"
            )
        lines.append(notes["progress"]["rule_zh"])
    return "\n".join(lines)


def _render_added(r: dict) -> str:
    line = f"facility {r['id']} added in {r['division_code']}"
    if r["year_opened"] is None:
        line += f"; no opening year given: it counts in the indicators from {r['counts_from']}, the year registered"
    return line


def _render_circles(r: dict) -> str:
    t = r["totals"]
    lines = [f"run {r['run_id']}" if r["run_id"] else "not saved"]
    for area in ("urban", "rural"):
        a = t[area]
        lines.append(
            f"{area}: {a['households_covered']}/{a['households']} households, {a['elderly_covered']}/{a['aged_60plus']} elderly covered; {a['units_served']}/{a['units']} served"
        )
    lines.append(f"uncovered area {t['uncovered_area_km2']} km²; not served: {len(r['not_served'])}")
    for name, c in t.get("life_circles", {}).items():
        lines.append(
            f"{name} life circle ({c['limit_m']:.0f} m): {c['households_covered']} households, {c['elderly_covered']} elderly"
        )
    return "\n".join(lines)


def _render_whatif(r: dict) -> str:
    blocks = []
    for u in r["units"]:
        rows = [
            {
                "序号": i["number"],
                "指标": i["name_zh"],
                "before": _fmt(i["before"]),
                "after": _fmt(i["after"]),
                "change": _fmt(i["change"]),
            }
            for i in u["indicators"]
        ]
        blocks.append(f"{u['name']}\n{table(rows)}")
    return "\n\n".join(blocks)


def _render_site(r: dict) -> str:
    head = f"{r['problem']} ({r['solver']}, {r['status']}): {len(r['selected'])} sites, objective {r['objective']}, gap {r['gap']}"
    cover = f"elderly covered {r['covered_weight']:.0f} of {r['total_weight']:.0f} uncovered before; uncoverable {r['uncoverable_weight']:.0f}"
    rows = [{"lon": s["lon"], "lat": s["lat"], "unit_code": s.get("unit_code")} for s in r["sites"]]
    return "\n".join([head, cover, table(rows)])


commands = [indicators_cmd, facilities_group]
