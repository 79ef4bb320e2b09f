"""``wuhai-gis boundaries ...``: lines, topology, markers, divisions history, inspections and reports."""

from __future__ import annotations

import json
from pathlib import Path

import click
import geopandas as gpd

from boundaries import inspections
from boundaries import store
from boundaries import topology
from boundaries.lines import describe as describe_line
from cli.context import CliContext
from cli.context import emit
from cli.context import format_option
from cli.context import pass_cli
from cli.context import table
from cli.smart_markers import alarms_group
from cli.smart_markers import disputes_group
from cli.smart_markers import telemetry_group


@click.group("boundaries")
@click.pass_context
def boundaries_group(ctx: click.Context) -> None:
    """Divisions, boundary lines, markers, joint inspections, smart markers and disputes."""
    cli = ctx.find_object(CliContext)
    if cli is not None:  # close pooled connections when the command ends (matters for in-process runs)
        ctx.call_on_close(lambda: cli._engine.dispose() if cli._engine is not None else None)


@boundaries_group.command("lines")
@format_option
@pass_cli
def lines_cmd(cli: CliContext, fmt: str) -> None:
    """List the boundary line sections: code, line, parties, level, length (km, EPSG:4545)."""
    with cli.session() as s:
        gdf = store.lines_gdf(s)
    rows = [
        {
            "code": r.code,
            "line_code": r.line_code,
            "name": r.name,
            "level": r.level,
            "parties": [r.left_name, r.right_name],
            "party_codes": [r.left_code, r.right_code],
            "agreement": r.agreement,
            "length_km": r.length_km,
            "last_inspection_year": r.last_inspection_year,
        }
        for r in gdf.itertuples()
    ]
    emit(
        rows,
        fmt,
        lambda rs: table(
            [{**r, "parties": "—".join(r["parties"])} for r in rs],
            ["code", "line_code", "name", "level", "parties", "length_km"],
        ),
    )


@boundaries_group.command("validate")
@click.option(
    "--area-tolerance-m2", default=100.0, show_default=True, help="Largest accepted gap/overlap (m²)."
)
@click.option("--line-tolerance-m", default=5.0, show_default=True, help="Largest line/edge distance (m).")
@click.option(
    "--marker-tolerance-m",
    default=2.0,
    show_default=True,
    help="Largest single-marker distance from its line (m).",
)
@click.option(
    "--map",
    "map_path",
    type=click.Path(dir_okay=False, writable=True),
    help="Also draw the findings on a PNG map.",
)
@click.option(
    "--geojson",
    "geojson_path",
    type=click.Path(dir_okay=False, writable=True),
    help="Also write the findings as GeoJSON.",
)
@format_option
@pass_cli
def validate_cmd(
    cli: CliContext,
    area_tolerance_m2: float,
    line_tolerance_m: float,
    marker_tolerance_m: float,
    map_path: str | None,
    geojson_path: str | None,
    fmt: str,
) -> None:
    """Topology: children tile parents, units inside the city, lines on shared edges, markers on lines."""
    import pandas as pd

    with cli.session() as s:
        divs = store.divisions_gdf(s)
        lines = store.lines_gdf(s)
        markers = store.markers_gdf(s)
    home = divs[divs["in_wuhai"].astype(bool)]
    parts = []
    for parent_level, child_levels in (
        ("city", ("district",)),
        ("district", ("town",)),
        ("town", ("community", "village")),
    ):
        parts.append(
            topology.check_tiling(
                home[home["level"] == parent_level],
                home[home["level"].isin(child_levels)],
                tolerance_m2=area_tolerance_m2,
            )
        )
    city = home[home["level"] == "city"]
    if len(city):
        parts.append(
            topology.check_inside(
                home[home["level"] != "city"], city.geometry.iloc[0], tolerance_m2=area_tolerance_m2
            )
        )
    county = divs[divs["level"] == "district"]
    if len(lines):
        parts.append(topology.check_lines(lines, county, tolerance_m=line_tolerance_m))
    if len(markers):
        parts.append(topology.check_markers(markers, lines, tolerance_m=marker_tolerance_m))
    findings = (
        pd.concat([p for p in parts if len(p)], ignore_index=True)
        if any(len(p) for p in parts)
        else topology.no_findings()
    )
    if geojson_path:
        findings.to_file(geojson_path, driver="GeoJSON")
    if map_path:
        from boundaries.report import findings_png

        Path(map_path).write_bytes(findings_png(home[home["level"] == "district"], lines, findings))
    result = {
        "checked": {"divisions": len(home), "lines": len(lines), "markers": len(markers)},
        "tolerances": {
            "area_m2": area_tolerance_m2,
            "line_m": line_tolerance_m,
            "marker_m": marker_tolerance_m,
        },
        "ok": not len(findings),
        "findings": json.loads(findings.to_json(drop_id=True))["features"],
    }
    emit(
        result,
        fmt,
        lambda r: (
            f"checked {r['checked']}: {'OK' if r['ok'] else str(len(r['findings'])) + ' finding(s)'}\n"
            + table(
                [{**f["properties"]} for f in r["findings"]],
                ["check", "severity", "subject", "measure", "unit", "detail"],
            )
        ),
    )


@boundaries_group.command("describe")
@click.argument("line_code")
@format_option
@pass_cli
def describe_cmd(cli: CliContext, line_code: str, fmt: str) -> None:
    """The 走向说明 of a line (GB/T code such as 1564, or a section code): marker to marker."""
    with cli.session() as s:
        sections = store.lines_of(s, line_code)
        lines = store.lines_gdf(s)
        markers = store.markers_gdf(s, line_ids=[x.id for x in sections])
    lines = lines[lines["id"].isin([x.id for x in sections])]
    if markers.empty:
        raise click.ClickException(f"line {line_code} has no markers")
    metric = markers.to_crs(4545)
    key = markers["group_key"].fillna(markers["number"])
    grouped = metric.dissolve(by=key, aggfunc="first").centroid.to_crs(4490)
    pts = gpd.GeoDataFrame(
        {"number": [_label(k, markers) for k in grouped.index]}, geometry=list(grouped.values), crs=4490
    )
    legs = describe_line(lines.geometry, pts)
    emit({"line_code": line_code, "legs": legs}, fmt, lambda r: "\n".join(leg["text"] for leg in r["legs"]))


def _label(key: str, markers) -> str:
    members = markers.loc[markers["group_key"] == key, "number"]
    return key if not len(members) else f"{key}{''.join(sorted(n[-1] for n in members))}"


@boundaries_group.command("markers")
@click.option("--line", "line_code", help="GB/T line code or section code.")
@click.option("--number", help="One marker by number.")
@format_option
@pass_cli
def markers_cmd(cli: CliContext, line_code: str | None, number: str | None, fmt: str) -> None:
    """List markers (number, type, group, status, coordinates)."""
    with cli.session() as s:
        ids = [x.id for x in store.lines_of(s, line_code)] if line_code else None
        gdf = store.markers_gdf(s, line_ids=ids)
    if number:
        gdf = gdf[gdf["number"] == number.strip().upper()]
        if gdf.empty:
            raise click.ClickException(f"no marker {number}")
    rows = [
        {
            "number": r.number,
            "type": r.marker_type,
            "group": r.group_key,
            "side_code": r.side_code,
            "status": r.status,
            "material": r.material,
            "smart": r.smart,
            "lon": round(r.geometry.x, 7),
            "lat": round(r.geometry.y, 7),
            "elevation_m": r.elevation_m,
            "reference_objects": r.reference_objects,
            "photos": r.photos,
            "source": r.source,
            "version": r.version,
        }
        for r in gdf.itertuples()
    ]
    rows = [{k: _none_if_nan(v) for k, v in row.items()} for row in rows]
    emit(
        rows,
        fmt,
        lambda rs: table(rs, ["number", "type", "group", "status", "material", "lon", "lat", "elevation_m"]),
    )


@boundaries_group.command("add-marker")
@click.argument("number")
@click.option("--line", "line_code", required=True, help="Section code the marker stands on.")
@click.option("--lon", type=float, required=True)
@click.option("--lat", type=float, required=True)
@click.option("--side-code", help="Division the marker stands in (twin/triple markers).")
@click.option("--material")
@click.option("--elevation", "elevation_m", type=float)
@format_option
@pass_cli
def add_marker_cmd(
    cli: CliContext,
    number: str,
    line_code: str,
    lon: float,
    lat: float,
    side_code: str | None,
    material: str | None,
    elevation_m: float | None,
    fmt: str,
) -> None:
    """Register a marker (number validated per GB/T 17796 against the line code)."""
    with cli.session() as s:
        try:
            line = store.line_by_code(s, line_code)
            m = store.add_marker(
                s,
                actor=cli.actor,
                number=number,
                line_id=line.id,
                lon=lon,
                lat=lat,
                side_code=side_code,
                material=material,
                elevation_m=elevation_m,
            )
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        s.commit()
        emit({"id": m.id, "number": m.number}, fmt, lambda r: f"added marker {r['number']}")


@boundaries_group.command("update-marker")
@click.argument("number")
@click.option("--status", type=click.Choice(["intact", "damaged", "moved", "missing", "rebuilt", "planned"]))
@click.option("--material")
@click.option("--elevation", "elevation_m", type=float)
@click.option(
    "--photo", "photos", multiple=True, help="Photo file name or URL (repeatable; replaces the list)."
)
@click.option(
    "--reference", "references", multiple=True, help="方位物 as NAME:BEARING_DEG:DISTANCE_M (repeatable)."
)
@click.option("--expected-version", type=int, help="Refuse if the marker changed since this version.")
@click.option("--reason")
@format_option
@pass_cli
def update_marker_cmd(
    cli: CliContext, number, status, material, elevation_m, photos, references, expected_version, reason, fmt
):
    """Change a marker's status, material, elevation, photos or reference objects (recorded in history)."""
    changes = {
        k: v
        for k, v in (("status", status), ("material", material), ("elevation_m", elevation_m))
        if v is not None
    }
    if photos:
        changes["photos"] = list(photos)
    if references:
        try:
            changes["reference_objects"] = [
                {"name": n, "bearing_deg": float(b), "distance_m": float(d)}
                for n, b, d in (r.rsplit(":", 2) for r in references)
            ]
        except ValueError as exc:
            raise click.ClickException(f"--reference must be NAME:BEARING_DEG:DISTANCE_M ({exc})") from exc
    if not changes:
        raise click.UsageError("nothing to change")
    with cli.session() as s:
        m = _run(
            lambda: store.update_marker(
                s, actor=cli.actor, number=number, expected_version=expected_version, reason=reason, **changes
            )
        )
        s.commit()
        emit(
            {"number": m.number, "version": m.version, "status": m.status},
            fmt,
            lambda r: f"marker {r['number']} now at version {r['version']}",
        )


@boundaries_group.command("divisions")
@click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]), help="Divisions valid on this date.")
@click.option("--level", multiple=True, help="Only these levels (city, district, town, community, village).")
@format_option
@pass_cli
def divisions_cmd(cli: CliContext, as_of, level: tuple[str, ...], fmt: str) -> None:
    """Divisions as of a date (default today)."""
    with cli.session() as s:
        gdf = store.divisions_gdf(
            s, levels=level or None, as_of=as_of.date() if as_of else None, in_wuhai=True
        )
    rows = [
        {
            "code": r.code,
            "name": r.name,
            "level": r.level,
            "parent_code": r.parent_code,
            "valid_from": r.valid_from,
            "valid_to": r.valid_to,
        }
        for r in gdf.itertuples()
    ]
    emit(rows, fmt, lambda rs: table(rs))


@boundaries_group.command("history")
@click.argument("code", required=False)
@format_option
@pass_cli
def history_cmd(cli: CliContext, code: str | None, fmt: str) -> None:
    """Dated division events (created, abolished, renamed, recoded...)."""
    with cli.session() as s:
        rows = store.division_events(s, code=code)
    emit(rows, fmt, lambda rs: table(rs, ["event_date", "event", "division_code", "old_name", "new_name"]))


@boundaries_group.command("due")
@click.option("--year", type=int, help="Year to check (default this year).")
@format_option
@pass_cli
def due_cmd(cli: CliContext, year: int | None, fmt: str) -> None:
    """Lines due for joint inspection (five-year cycle)."""
    with cli.session() as s:
        rows = inspections.due_lines(s, year=year)
    emit(
        rows,
        fmt,
        lambda rs: table(rs, ["line_code", "line_name", "level", "last_completed_year", "due_year", "due"]),
    )


@boundaries_group.group("rounds", invoke_without_command=True)
@format_option
@click.pass_context
def rounds_group(ctx: click.Context, fmt: str) -> None:
    """Joint inspection rounds (without a sub-command: list them)."""
    if ctx.invoked_subcommand:
        return
    from sqlalchemy import select

    from boundaries.models import InspectionRound

    cli = ctx.find_object(CliContext) or CliContext()
    with cli.session() as s:
        rows = [
            {
                "id": r.id,
                "round_no": r.round_no,
                "title": r.title,
                "parties": r.parties,
                "start_date": r.start_date,
                "end_date": r.end_date,
                "status": r.status,
                "markers": len(r.marker_ids),
            }
            for r in s.scalars(select(InspectionRound).order_by(InspectionRound.id))
        ]
    emit(
        rows,
        fmt,
        lambda rs: table(rs, ["id", "round_no", "title", "status", "start_date", "end_date", "markers"]),
    )


@rounds_group.command("create")
@click.option("--line", "line_code", required=True)
@click.option("--round-no", type=int, required=True)
@click.option("--title", required=True)
@click.option("--party", "parties", multiple=True, required=True)
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]))
@click.option("--tolerance-m", type=float, default=1.0, show_default=True)
@format_option
@pass_cli
def rounds_create(cli: CliContext, line_code, round_no, title, parties, start, tolerance_m, fmt) -> None:
    """Plan a round covering every section and marker of a line."""
    with cli.session() as s:
        r = _run(
            lambda: inspections.create_round(
                s,
                actor=cli.actor,
                line_code=line_code,
                round_no=round_no,
                title=title,
                parties=list(parties),
                start_date=start.date() if start else None,
                tolerance_m=tolerance_m,
            )
        )
        s.commit()
        emit(
            {"id": r.id, "markers": len(r.marker_ids)},
            fmt,
            lambda x: f"round {x['id']} planned, {x['markers']} markers",
        )


@rounds_group.command("start")
@click.argument("round_id", type=int)
@format_option
@pass_cli
def rounds_start(cli: CliContext, round_id: int, fmt: str) -> None:
    """Move a planned round to in progress."""
    with cli.session() as s:
        r = _run(lambda: inspections.set_status(s, actor=cli.actor, round_id=round_id, status="in_progress"))
        s.commit()
        _emit_round(r, fmt)


@rounds_group.command("sign")
@click.argument("round_id", type=int)
@click.option("--party", required=True)
@click.option("--signer", required=True)
@click.option("--on", "on", type=click.DateTime(["%Y-%m-%d"]), required=True)
@format_option
@pass_cli
def rounds_sign(cli: CliContext, round_id: int, party: str, signer: str, on, fmt: str) -> None:
    """Record a party's sign-off."""
    with cli.session() as s:
        r = _run(
            lambda: inspections.sign_off(
                s, actor=cli.actor, round_id=round_id, party=party, signer=signer, on=on.date()
            )
        )
        s.commit()
        _emit_round(r, fmt)


@rounds_group.command("note")
@click.argument("round_id", type=int)
@click.option("--segment", required=True)
@click.option("--kind", type=click.Choice(["landform", "construction", "other"]), required=True)
@click.option("--note", required=True)
@format_option
@pass_cli
def rounds_note(cli: CliContext, round_id: int, segment: str, kind: str, note: str, fmt: str) -> None:
    """Note a change along a segment (landform, construction across the line)."""
    with cli.session() as s:
        r = _run(
            lambda: inspections.add_segment_note(
                s, actor=cli.actor, round_id=round_id, segment=segment, kind=kind, note=note
            )
        )
        s.commit()
        _emit_round(r, fmt)


@rounds_group.command("complete")
@click.argument("round_id", type=int)
@click.option("--on", "on", type=click.DateTime(["%Y-%m-%d"]), required=True)
@format_option
@pass_cli
def rounds_complete(cli: CliContext, round_id: int, on, fmt: str) -> None:
    """Complete a round (all markers inspected, all parties signed); it becomes read-only."""
    with cli.session() as s:
        r = _run(lambda: inspections.complete_round(s, actor=cli.actor, round_id=round_id, on=on.date()))
        s.commit()
        _emit_round(r, fmt)


@boundaries_group.command("inspect")
@click.argument("round_id", type=int)
@click.argument("marker", required=False)
@click.option("--condition", type=click.Choice(inspections.CONDITIONS), default=None)
@click.option("--lon", type=float)
@click.option("--lat", type=float)
@click.option("--elevation", "elevation_m", type=float)
@click.option("--notes")
@click.option("--photo", "photos", multiple=True, help="Photo file name or URL (repeatable).")
@click.option(
    "--file", "gnss_file", type=click.Path(exists=True, dir_okay=False), help="GNSS export (.csv or .gpx)."
)
@click.option("--supersedes", type=int, help="Record this finding corrects.")
@format_option
@pass_cli
def inspect_cmd(
    cli: CliContext,
    round_id,
    marker,
    condition,
    lon,
    lat,
    elevation_m,
    notes,
    photos,
    gnss_file,
    supersedes,
    fmt,
) -> None:
    """Record a marker's finding (typed) or import measured positions from a GNSS CSV/GPX file."""
    with cli.session() as s:
        if gnss_file:
            content = Path(gnss_file).read_bytes()
            recs = _run(
                lambda: inspections.import_fixes(
                    s,
                    actor=cli.actor,
                    round_id=round_id,
                    content=content,
                    filename=gnss_file,
                    condition=condition or "found",
                )
            )
        else:
            if not marker or not condition:
                raise click.UsageError("give MARKER and --condition, or --file")
            recs = [
                _run(
                    lambda: inspections.record_finding(
                        s,
                        actor=cli.actor,
                        round_id=round_id,
                        marker_number=marker,
                        condition=condition,
                        lon=lon,
                        lat=lat,
                        elevation_m=elevation_m,
                        notes=notes,
                        photos=list(photos),
                        supersedes_id=supersedes,
                    )
                )
            ]
        s.commit()
        rows = [
            {
                "id": r.id,
                "marker_id": r.marker_id,
                "condition": r.condition,
                "displacement_m": r.displacement_m,
                "flagged": r.flagged,
            }
            for r in recs
        ]
    emit(rows, fmt, lambda rs: table(rs))


@boundaries_group.command("report")
@click.argument("round_id", type=int)
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=".", show_default=True)
@format_option
@pass_cli
def report_cmd(cli: CliContext, round_id: int, out_dir: str, fmt: str) -> None:
    """Write the round's report: overview map PNG, HTML and PDF."""
    from boundaries.round_report import write_round_report

    with cli.session() as s:
        summary = _run(lambda: inspections.summary(s, round_id))
        paths = write_round_report(s, round_id, out_dir)
    result = {**paths, "stats": summary["stats"]}
    emit(result, fmt, lambda r: f"wrote {r['html']}, {r['pdf']}, {r['png']}")


def _emit_round(r, fmt: str) -> None:
    result = {
        "id": r.id,
        "round_no": r.round_no,
        "title": r.title,
        "status": r.status,
        "start_date": r.start_date,
        "end_date": r.end_date,
        "signoffs": r.signoffs,
        "segment_notes": r.segment_notes,
        "version": r.version,
    }
    emit(
        result,
        fmt,
        lambda x: (
            f"round {x['id']} ({x['title']}): {x['status']}, signed by "
            + (", ".join(s["party"] for s in x["signoffs"]) or "nobody yet")
        ),
    )


def _none_if_nan(value):
    """Missing values from pandas (NaN) as ``None`` (JSON ``null``)."""
    return None if isinstance(value, float) and value != value else value


def _run(fn):
    try:
        return fn()
    except (ValueError, PermissionError, RuntimeError) as exc:
        raise click.ClickException(str(exc)) from exc


boundaries_group.add_command(telemetry_group)
boundaries_group.add_command(alarms_group)
boundaries_group.add_command(disputes_group)

commands = [boundaries_group]
