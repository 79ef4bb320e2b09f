"""``wuhai-gis boundaries ...``: lines, topology, markers, divisions history, inspections and reports."""

from __future__ import annotations

import json
from pathlib import Path

import click
import geopandas as gpd

from boundaries import divisions
from boundaries import store
from boundaries import topology
from boundaries import usecases
from boundaries.lines import describe as describe_line
from cli.context import CliContext
from cli.context import emit
from cli.context import format_option
from cli.context import pass_cli
from cli.context import table
from cli.disputes import disputes_group
from cli.inspections import due_cmd
from cli.inspections import inspect_cmd
from cli.inspections import report_cmd
from cli.inspections import rounds_group
from cli.telemetry import alarms_group
from cli.telemetry import telemetry_group
from gis.errors import InvalidInput
from gis.errors import NotFound


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
        divs = divisions.divisions_gdf(s, in_wuhai=None)
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
        raise InvalidInput(f"line {line_code} has no markers", field="line")
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
            raise NotFound(f"no boundary marker {number[:30]!r}", field="number")
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
@click.option(
    "--justification",
    help="Why the marker stands farther than the tolerance from its line (kept in its history).",
)
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
    justification: str | None,
    fmt: str,
) -> None:
    """Register a marker (number validated per GB/T 17796 against the line code)."""
    with cli.session() as s:
        m = usecases.add_marker(
            s,
            cli.actor,
            number=number,
            line_code=line_code,
            lon=lon,
            lat=lat,
            side_code=side_code,
            material=material,
            elevation_m=elevation_m,
            justification=justification,
        )
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
    refs = None
    if references:
        try:
            refs = [
                {"name": n, "bearing_deg": float(b), "distance_m": float(d)}
                for n, b, d in (r.rsplit(":", 2) for r in references)
            ]
        except ValueError:
            raise InvalidInput("--reference must be NAME:BEARING_DEG:DISTANCE_M", field="reference") from None
    with cli.session() as s:
        m = usecases.update_marker(
            s,
            cli.actor,
            number=number,
            expected_version=expected_version,
            reason=reason,
            status=status,
            material=material,
            elevation_m=elevation_m,
            photos=list(photos) or None,
            reference_objects=refs,
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
        gdf = divisions.divisions_gdf(s, levels=level or None, as_of=as_of.date() if as_of else None)
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


def _none_if_nan(value):
    """Missing values from pandas (NaN) as ``None`` (JSON ``null``)."""
    return None if isinstance(value, float) and value != value else value


for _group in (rounds_group, due_cmd, inspect_cmd, report_cmd, telemetry_group, alarms_group, disputes_group):
    boundaries_group.add_command(_group)

commands = [boundaries_group]
