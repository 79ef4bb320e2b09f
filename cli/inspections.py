"""``wuhai-gis boundaries rounds|inspect|report|due``: joint inspections of the boundary lines."""

from __future__ import annotations

from pathlib import Path

import click

from boundaries import inspections
from boundaries import usecases
from cli.context import CliContext
from cli.context import emit
from cli.context import format_option
from cli.context import pass_cli
from cli.context import table
from gis.errors import InvalidInput


@click.command("due")
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


@click.group("rounds", invoke_without_command=True)
@format_option
@click.pass_context
def rounds_group(ctx: click.Context, fmt: str) -> None:
    """Joint inspection rounds (without a sub-command: list them)."""
    if ctx.invoked_subcommand:
        return
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
            for r in inspections.list_rounds(s)
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
        r = usecases.create_round(
            s,
            cli.actor,
            line_code=line_code,
            round_no=round_no,
            title=title,
            parties=parties,
            start_date=start.date() if start else None,
            tolerance_m=tolerance_m,
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
        r = usecases.start_round(s, cli.actor, round_id)
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
        r = usecases.sign_round(s, cli.actor, round_id, party=party, signer=signer, on=on.date())
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
        r = usecases.note_segment(s, cli.actor, round_id, segment=segment, kind=kind, note=note)
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
        r = usecases.complete_round(s, cli.actor, round_id, on=on.date())
        s.commit()
        _emit_round(r, fmt)


@click.command("inspect")
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
    if not gnss_file and not (marker and condition):
        raise InvalidInput("give MARKER and --condition, or --file", field="marker")
    with cli.session() as s:
        if gnss_file:
            content = Path(gnss_file).read_bytes()
            recs = usecases.upload_gnss(
                s, cli.actor, round_id, content=content, filename=gnss_file, condition=condition or "found"
            )
        else:
            recs = [
                usecases.record_finding(
                    s,
                    cli.actor,
                    round_id,
                    marker_number=marker,
                    condition=condition,
                    lon=lon,
                    lat=lat,
                    elevation_m=elevation_m,
                    notes=notes,
                    photos=photos,
                    supersedes_id=supersedes,
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


@click.command("report")
@click.argument("round_id", type=int)
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=".", show_default=True)
@format_option
@pass_cli
def report_cmd(cli: CliContext, round_id: int, out_dir: str, fmt: str) -> None:
    """Write the round's report: overview map PNG, HTML and PDF."""
    from boundaries.round_report import write_round_report

    with cli.session() as s:
        summary = inspections.summary(s, round_id)
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
