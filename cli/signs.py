"""``wuhai-gis signs``: audit, statistics, house numbering, sign faces and maintenance work orders."""

from __future__ import annotations

from pathlib import Path

import click
import geopandas as gpd
import numpy as np

from cli.context import CliContext
from cli.context import emit
from cli.context import format_option
from cli.context import pass_cli
from cli.context import table
from gis.errors import InvalidInput
from gis.history import snapshot
from placenames.models import SIGN_CONDITIONS
from placenames.signs import queries as signs_queries
from placenames.signs import store as signs_store
from placenames.signs import usecases
from placenames.signs import workorders
from placenames.signs.audit import FINDING_KINDS
from placenames.signs.audit import FINDING_SEVERITY
from placenames.signs.audit import SEVERITIES
from placenames.signs.audit import filter_findings
from placenames.signs.audit import findings_by_kind
from placenames.signs.numbering import DIRECTIONS
from placenames.signs.numbering import NumberingRule
from placenames.signs.render import sign_face_svg
from placenames.signs.validation import MAX_STREET_DISTANCE_M

district_option = click.option(
    "--district", "district", default=None, help="12-digit division code (district or town)."
)


def _rule_options(func):
    for option in reversed(
        (
            click.option(
                "--direction",
                type=click.Choice(DIRECTIONS),
                default="as_drawn",
                show_default=True,
                help="Numbering direction: centre line start→end, or Beijing east→west / north→south.",
            ),
            click.option(
                "--odd-side",
                type=click.Choice(["left", "right"]),
                default="left",
                show_default=True,
                help="Side of the odd numbers, seen in the numbering direction.",
            ),
        )
    ):
        func = option(func)
    return func


@click.group("signs")
def signs_group() -> None:
    """Place-name signs and house numbers: audit, statistics, numbering, work orders."""


@signs_group.command("audit")
@district_option
@_rule_options
@click.option(
    "--radius",
    type=float,
    default=30.0,
    show_default=True,
    help="Metres around a node searched for its street signs.",
)
@click.option(
    "--max-gap",
    type=int,
    default=2,
    show_default=True,
    help="Largest step between consecutive numbers on a side.",
)
@click.option(
    "--max-distance",
    type=float,
    default=MAX_STREET_DISTANCE_M,
    show_default=True,
    help="Largest plate-to-street distance (m).",
)
@click.option(
    "--severity",
    type=click.Choice(SEVERITIES),
    default=None,
    help="Only findings of this severity (error: the sign misleads; warning: to plan for).",
)
@click.option("--kind", type=click.Choice(FINDING_KINDS), default=None, help="Only findings of this kind.")
@format_option
@pass_cli
def audit_cmd(
    cli: CliContext, district, direction, odd_side, radius, max_gap, max_distance, severity, kind, fmt
) -> None:
    """List sign findings by kind with their severity: text against the standard names, coverage,
    numbering."""
    rule = NumberingRule(direction=direction, odd_side=odd_side)
    with cli.session() as session:
        findings = signs_queries.run_audit(
            session,
            division_code=district,
            rule=rule,
            radius_m=radius,
            max_gap=max_gap,
            max_distance_m=max_distance,
        )
    findings = filter_findings(findings, kind=kind, severity=severity)
    by_kind = findings_by_kind(findings)
    result = {
        "district": district,
        "kind": kind,
        "severity": severity,
        "total": len(findings),
        "severities": {s: int((findings["severity"] == s).sum()) for s in SEVERITIES},
        "counts": {k: len(v) for k, v in by_kind.items()},
        "findings": by_kind,
    }

    def render(r: dict) -> str:
        counts = [
            {"kind": k, "severity": FINDING_SEVERITY.get(k), "findings": n} for k, n in r["counts"].items()
        ]
        lines = [
            table(counts),
            ", ".join(f"{n} {s}{'s' if n != 1 else ''}" for s, n in r["severities"].items()),
        ]
        for kind, items in r["findings"].items():
            lines.append(f"\n{kind}, {FINDING_SEVERITY.get(kind)} (first 5 of {len(items)})")
            lines.append(
                table(
                    items[:5],
                    ["severity", "sign_id", "street_key", "expected", "actual", "difference", "detail"],
                )
            )
        return "\n".join(lines)

    emit(result, fmt, render)


@signs_group.command("stats")
@district_option
@format_option
@pass_cli
def stats_cmd(cli: CliContext, district, fmt) -> None:
    """Signs by kind and condition per district and town."""
    with cli.session() as session:
        stats = signs_queries.statistics(session, division_code=district)
    rows = stats.astype(object).where(stats.notna(), None).to_dict("records")
    total = int(stats.loc[stats["level"] == "district", "total"].sum())
    result = {"total": total, "rows": rows}
    emit(
        result,
        fmt,
        lambda r: (
            table(
                r["rows"],
                [
                    "level",
                    "code",
                    "name",
                    "total",
                    "kind_street",
                    "kind_house_number",
                    "kind_building",
                    "kind_unit",
                    "condition_good",
                    "condition_worn",
                    "condition_damaged",
                    "condition_missing",
                ],
            )
            + f"\ntotal {r['total']}"
        ),
    )


@signs_group.command("number")
@click.option("--street", required=True, help="Street name or its place-name id.")
@district_option
@click.option(
    "--entrances",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Building entrances (points: GeoJSON, GPKG, SHP, CSV/XLSX with lon/lat).",
)
@click.option("--crs", default=None, help="CRS of the entrances file when it has none (e.g. EPSG:4490).")
@_rule_options
@click.option(
    "--spacing",
    type=float,
    default=None,
    help="Metres of frontage per number (reserves numbers on empty frontage).",
)
@click.option(
    "--sub-style", type=click.Choice(["dash", "fu"]), default="dash", show_default=True, help="12-1 or 12附1."
)
@click.option("--commit", is_flag=True, help="Write the new plates (default: dry run).")
@format_option
@pass_cli
def number_cmd(
    cli: CliContext, street, district, entrances, crs, direction, odd_side, spacing, sub_style, commit, fmt
) -> None:
    """Propose house numbers along a street; --commit writes the plates and their history."""
    rule = NumberingRule(direction=direction, odd_side=odd_side, spacing_m=spacing, sub_style=sub_style)
    points = _read_entrances(entrances, crs) if entrances is not None else None
    with cli.session() as session:
        done = usecases.number_street(
            session,
            actor=cli.actor,
            street=street,
            district=district,
            entrances=points,
            rule=rule,
            commit=commit,
        )
        session.commit()
        found, proposal, written = done.street, done.proposal, done.written
    rows = _proposal_rows(proposal)
    result = {
        "street": found["name"],
        "district": found["district"],
        "place_name_id": found["place_name_id"],
        "rule": {"direction": direction, "odd_side": odd_side, "spacing_m": spacing, "sub_style": sub_style},
        "dry_run": not commit,
        "proposal": rows,
        "written": [s.id for s in written],
    }
    emit(
        result,
        fmt,
        lambda r: table(r["proposal"]) + (f"\nwrote {len(r['written'])} plates" if commit else "\n(dry run)"),
    )


@signs_group.command("show")
@click.argument("sign_id", type=int)
@click.option("--svg", is_flag=True, help="Print the sign face as SVG instead.")
@format_option
@pass_cli
def show_cmd(cli: CliContext, sign_id, svg, fmt) -> None:
    """Show a sign with its history (or its face as SVG)."""
    with cli.session() as session:
        sign = signs_store.get_sign(session, sign_id)
        if svg:
            click.echo(
                sign_face_svg(
                    kind=sign.kind,
                    text_zh=sign.text_zh,
                    text_romanized=sign.text_romanized,
                    text_mongolian=sign.text_mongolian,
                    house_number=sign.house_number,
                )
            )
            return
        result = {
            **snapshot(sign),
            "history": workorders.sign_history(session, sign_id),
            "work_orders": workorders.orders(session, sign_id=sign_id),
        }
    emit(
        result,
        fmt,
        lambda r: (
            "\n".join(f"{k}: {v}" for k, v in r.items() if k not in ("history", "work_orders"))
            + f"\nhistory: {len(r['history'])} entries, work orders: {len(r['work_orders'])}"
        ),
    )


@signs_group.command("edit")
@click.argument("sign_id", type=int)
@click.option("--text-zh", default=None, help="The Chinese name line.")
@click.option("--text-romanized", default=None, help="The romanization line (Hanyu Pinyin, no tone marks).")
@click.option("--text-mongolian", default=None, help="The Mongolian line.")
@click.option("--house-number", default=None, help="The plate number (12, 12-1, 12附1).")
@click.option("--material", default=None)
@click.option("--size", default=None)
@click.option("--installer", default=None)
@click.option("--condition", type=click.Choice(SIGN_CONDITIONS), default=None)
@click.option("--lon", type=float, default=None, help="Move the sign (with --lat), EPSG:4490.")
@click.option("--lat", type=float, default=None)
@click.option("--reason", default=None, help="Why, kept in the sign's history.")
@click.option("--version", "version", type=int, required=True, help="The sign's version being edited.")
@format_option
@pass_cli
def edit_cmd(cli: CliContext, sign_id, lon, lat, reason, version, fmt, **fields) -> None:
    """Change a sign's text and fields, or move it, at the version shown by `signs show`."""
    changes = {k: v for k, v in fields.items() if v is not None}
    with cli.session() as session:
        sign = usecases.edit_sign(
            session,
            sign_id,
            actor=cli.actor,
            changes=changes,
            expected_version=version,
            lon=lon,
            lat=lat,
            reason=reason,
        )
        session.commit()
        result = snapshot(sign)
    emit(result, fmt, lambda r: f"sign {r['id']} saved at version {r['version']}")


@signs_group.group("workorder")
def workorder_group() -> None:
    """Maintenance work orders: report, assign, resolve, close, reject, list."""


version_option = click.option(
    "--version",
    "version",
    type=int,
    default=None,
    help="Refuse the change if the record is no longer at this version (as shown by show/list).",
)
photo_path = click.Path(exists=True, dir_okay=False, path_type=Path)


@workorder_group.command("report")
@click.option("--reason", type=click.Choice(workorders.REASONS), required=True)
@click.option("--sign", "sign_id", type=int, default=None)
@click.option("--lon", type=float, default=None)
@click.option("--lat", type=float, default=None)
@click.option("--text", "description", default=None)
@click.option("--photo", "photos", type=photo_path, multiple=True)
@click.option(
    "--public",
    is_flag=True,
    help="A report from the public (location, text and photo needed), as the web's report form.",
)
@click.option("--sign-code", default=None, help="With --public: the code read on the sign.")
@click.option("--contact", default=None, help="With --public: how to reach the reporter.")
@format_option
@pass_cli
def wo_report(
    cli: CliContext, reason, sign_id, lon, lat, description, photos, public, sign_code, contact, fmt
) -> None:
    """Report a damaged, missing or wrong sign."""
    data = [p.read_bytes() for p in photos]

    def step(session):
        if public:
            return usecases.report_damage(
                session,
                actor=cli.actor,
                reason=reason,
                description=description,
                lon=lon,
                lat=lat,
                photos=data,
                sign_code=sign_code,
                contact=contact,
            )
        return usecases.open_work_order(
            session,
            actor=cli.actor,
            reason=reason,
            sign_id=sign_id,
            lon=lon,
            lat=lat,
            description=description,
            photos=data,
        )

    _order_step(cli, fmt, step)


@workorder_group.command("assign")
@click.argument("order_id", type=int)
@click.option("--to", "assignee", required=True)
@version_option
@format_option
@pass_cli
def wo_assign(cli: CliContext, order_id, assignee, version, fmt) -> None:
    """Assign a work order."""
    _order_step(
        cli,
        fmt,
        lambda s: usecases.assign_work_order(
            s, order_id, actor=cli.actor, assignee=assignee, expected_version=version
        ),
    )


@workorder_group.command("resolve")
@click.argument("order_id", type=int)
@click.option("--action", type=click.Choice(["repaired", "replaced"]), required=True)
@click.option("--note", default=None)
@click.option("--photo", "photos", type=photo_path, multiple=True)
@version_option
@format_option
@pass_cli
def wo_resolve(cli: CliContext, order_id, action, note, photos, version, fmt) -> None:
    """Record the repair or replacement (a replaced renamed sign gets the standard name)."""
    data = [p.read_bytes() for p in photos]
    _order_step(
        cli,
        fmt,
        lambda s: usecases.resolve_work_order(
            s, order_id, actor=cli.actor, action=action, note=note, photos=data, expected_version=version
        ),
    )


@workorder_group.command("close")
@click.argument("order_id", type=int)
@click.option("--photo", type=photo_path, required=True)
@click.option("--note", default=None)
@version_option
@format_option
@pass_cli
def wo_close(cli: CliContext, order_id, photo, note, version, fmt) -> None:
    """Close a resolved work order with a photo of the finished sign."""
    data = photo.read_bytes()
    _order_step(
        cli,
        fmt,
        lambda s: usecases.close_work_order(
            s, order_id, actor=cli.actor, photo=data, note=note, expected_version=version
        ),
    )


@workorder_group.command("reject")
@click.argument("order_id", type=int)
@click.option("--reason", required=True, help="Why the report is turned down.")
@version_option
@format_option
@pass_cli
def wo_reject(cli: CliContext, order_id, reason, version, fmt) -> None:
    """Reject a report (duplicate, not a sign problem, ...)."""
    _order_step(
        cli,
        fmt,
        lambda s: usecases.reject_work_order(
            s, order_id, actor=cli.actor, reason=reason, expected_version=version
        ),
    )


@workorder_group.command("list")
@click.option("--status", type=click.Choice(workorders.STATUSES), default=None)
@format_option
@pass_cli
def wo_list(cli: CliContext, status, fmt) -> None:
    """List work orders (newest first)."""
    with cli.session() as session:
        rows = workorders.orders(session, status=status)
    emit(rows, fmt, lambda r: table(r, ["id", "sign_id", "reason", "status", "assignee", "reported_by"]))


def _order_step(cli: CliContext, fmt: str, step) -> None:
    with cli.session() as session:
        order = step(session)
        session.commit()
        result = next(r for r in workorders.orders(session, sign_id=order.sign_id) if r["id"] == order.id)
    emit(result, fmt, lambda r: f"work order {r['id']}: {r['status']} ({r['reason']})")


def _read_entrances(path: Path, crs: str | None) -> gpd.GeoDataFrame:
    from gis.io import read_vector

    gdf = read_vector(path, crs=crs).gdf
    bad = gdf.index[gdf.geometry.isna() | (gdf.geometry.geom_type != "Point")]
    if len(bad):
        raise InvalidInput(
            f"{path.name}: rows {', '.join(map(str, bad[:10]))} are not points (entrances are points)",
            field="entrances",
        )
    return gdf


def _proposal_rows(proposal: gpd.GeoDataFrame) -> list[dict]:
    pts = proposal.to_crs(4490).geometry
    frame = proposal.drop(columns="geometry").copy()
    frame["lon"], frame["lat"] = np.round(pts.x, 7), np.round(pts.y, 7)
    frame["reserved"] = frame["reserved"].map(lambda r: ",".join(map(str, r)))
    frame = frame.astype(object).where(frame.notna(), None)
    return [{"entrance": str(i), **row} for i, row in zip(frame.index, frame.to_dict("records"), strict=True)]


commands = [signs_group]
