"""``wuhai-gis names …``: the naming procedure, search, romanization, products and exchange."""

from __future__ import annotations

import json
from pathlib import Path

import click
from shapely import wkt as shapely_wkt

from cli.context import CliContext
from cli.context import emit
from cli.context import format_option
from cli.context import pass_cli
from cli.context import table
from gis.errors import InvalidInput
from placenames import categories
from placenames import queries
from placenames import renaming
from placenames import store
from placenames import usecases
from placenames.romanize import romanization

_version_option = click.option(
    "--expected-version",
    type=int,
    default=None,
    help="Refuse the change if the name changed since this version.",
)


def _date_option(flag: str, dest: str, *, help: str):
    """A ``YYYY-MM-DD`` option given to the use case as a date (``None`` when left out)."""
    return click.option(
        flag,
        dest,
        type=click.DateTime(formats=["%Y-%m-%d"]),
        default=None,
        callback=lambda _ctx, _param, value: value.date() if value else None,
        help=help,
    )


@click.group("names")
def names_group() -> None:
    """Standard place names (标准地名): naming procedure, search, products."""


def _run(cli: CliContext, fmt: str, action, render=None):
    """Run ``action(session)`` in one transaction, commit, and print its result."""
    with cli.session() as session:
        result = action(session)
        session.commit()
    emit(result, fmt, render)


def _act(cli: CliContext, fmt: str, act, render=None):
    """Run one use case (``act(session)`` returns its :class:`~placenames.usecases.Outcome`) and print it."""
    _run(cli, fmt, lambda session: act(session).as_dict(session), render or _summary)


def _summary(d: dict) -> str:
    bits = [
        f"#{d['id']} {d['name']} ({d.get('romanized') or ''})",
        f"category {d.get('category_label')}",
        f"status {d['status']} v{d['version']}",
    ]
    if d.get("work_orders"):
        bits.append(f"{len(d['work_orders'])} sign work orders opened")
    return " | ".join(bits)


@names_group.command("romanize")
@click.argument("text")
@click.option(
    "--category", "category", default=None, help="Category code, e.g. 253 (streets), 242 (natural villages)."
)
@click.option("--caps", is_flag=True, help="All capitals, as on signs.")
@click.option(
    "--origin",
    default=None,
    help="Language of origin (mn, bo, ug...): flags a form spelt from the characters.",
)
@format_option
def romanize_cmd(text: str, category: str | None, caps: bool, origin: str | None, fmt: str) -> None:
    """Print the GB/T 16159 romanized form of TEXT (one line)."""
    result = romanization(text, category=category, caps=caps, origin=origin)
    emit(
        {
            "name": text,
            "romanized": result.text,
            "sources": list(result.sources),
            "needs_review": result.needs_review,
        },
        fmt,
        lambda r: r["romanized"] + ("  (no registered transcription: review)" if r["needs_review"] else ""),
    )


@names_group.command("propose")
@click.argument("name")
@click.option("--category", "category_code", required=True, help="Category code (see `names categories`).")
@click.option("--division", "division_code", default=None, help="12-digit code of the containing division.")
@click.option("--wkt", "wkt_text", default=None, help="Geometry as WKT in EPSG:4490 (lon lat).")
@click.option("--romanized", default=None, help="Override of the romanized form (needs --romanized-reason).")
@click.option("--romanized-reason", default=None)
@click.option("--meaning", default=None)
@click.option("--history", "history_text", default=None)
@click.option("--location", "location_desc", default=None, help="Location description.")
@click.option("--alias", "aliases", multiple=True)
@click.option("--origin-language", default=None, help="Language the name comes from (zh, mn...).")
@click.option("--reason", default=None)
@click.option("--document", default=None)
@format_option
@pass_cli
def propose_cmd(cli: CliContext, wkt_text: str | None, aliases: tuple[str, ...], fmt: str, **opts) -> None:
    """Propose (申报) a standard name; prints the rule findings."""
    geom = _parse_wkt(wkt_text)
    _act(
        cli,
        fmt,
        lambda s: usecases.propose(s, actor=cli.actor, geom=geom, aliases=list(aliases), **opts),
        _with_findings,
    )


@names_group.command("review")
@click.argument("place_id", type=int)
@click.option("--reason", default=None)
@_version_option
@format_option
@pass_cli
def review_cmd(cli: CliContext, place_id: int, fmt: str, **opts) -> None:
    """Start the review (审核) of a proposed name; re-runs the rule checks."""
    _act(cli, fmt, lambda s: usecases.review(s, place_id, actor=cli.actor, **opts), _with_findings)


@names_group.command("approve")
@click.argument("place_id", type=int)
@click.option("--authority", required=True, help="Approving authority, e.g. 乌海市人民政府.")
@click.option("--document", required=True, help="Approval document number.")
@_date_option("--date", "approval_date", help="Approval date (default today).")
@click.option("--justification", default=None, help="Recorded justification for rule warnings.")
@_version_option
@format_option
@pass_cli
def approve_cmd(cli: CliContext, place_id: int, fmt: str, **opts) -> None:
    """Approve (批准) a name under review (blocked by blocking findings)."""
    _act(cli, fmt, lambda s: usecases.approve(s, place_id, actor=cli.actor, **opts))


@names_group.command("announce")
@click.argument("place_id", type=int)
@_date_option("--date", "announcement_date", help="Announcement date (default today).")
@click.option("--document", default=None)
@_version_option
@format_option
@pass_cli
def announce_cmd(cli: CliContext, place_id: int, fmt: str, **opts) -> None:
    """Announce (公告) an approved name."""
    _act(cli, fmt, lambda s: usecases.announce(s, place_id, actor=cli.actor, **opts))


@names_group.command("rename")
@click.argument("place_id", type=int)
@click.argument("new_name")
@click.option("--reason", required=True)
@click.option("--document", default=None)
@_date_option("--date", "effective", help="Date the old name ends (default today).")
@click.option("--justification", default=None, help="Recorded justification for rule warnings.")
@click.option("--romanized", default=None)
@click.option("--romanized-reason", default=None)
@_version_option
@format_option
@pass_cli
def rename_cmd(cli: CliContext, place_id: int, fmt: str, **opts) -> None:
    """Rename (更名) a place; the old name stays as a searchable former name.

    Every sign still showing the old name gets a work order.
    """
    _act(cli, fmt, lambda s: usecases.rename(s, place_id, actor=cli.actor, **opts))


@names_group.command("retire")
@click.argument("place_id", type=int)
@click.option("--reason", required=True)
@click.option("--document", default=None)
@click.option("--successor", "successor_id", type=int, default=None, help="Id of the name that replaces it.")
@_version_option
@format_option
@pass_cli
def retire_cmd(cli: CliContext, place_id: int, fmt: str, **opts) -> None:
    """Retire (注销) a name."""
    _act(cli, fmt, lambda s: usecases.retire(s, place_id, actor=cli.actor, **opts))


@names_group.command("edit")
@click.argument("place_id", type=int)
@click.option("--meaning", default=None)
@click.option("--history", default=None)
@click.option("--location", "location_desc", default=None, help="Location description.")
@click.option("--alias", "aliases", multiple=True, help="Replaces the aliases (repeat for several).")
@click.option("--mongolian", default=None, help="Name in Mongolian script.")
@click.option("--mongolian-source", default=None)
@click.option("--origin-language", default=None, help="Language the name comes from (zh, mn...).")
@click.option("--wkt", "wkt_text", default=None, help="New geometry as WKT in EPSG:4490.")
@click.option("--romanized", default=None, help="Override of the romanized form (needs --romanized-reason).")
@click.option("--romanized-reason", default=None)
@click.option("--reason", default=None)
@_version_option
@format_option
@pass_cli
def edit_cmd(
    cli: CliContext,
    place_id: int,
    wkt_text: str | None,
    aliases: tuple[str, ...],
    romanized: str | None,
    romanized_reason: str | None,
    reason: str | None,
    expected_version: int | None,
    fmt: str,
    **given,
) -> None:
    """Edit descriptive attributes of a name (recorded in its history)."""
    values = {k: v for k, v in given.items() if v is not None}
    if aliases:
        values["aliases"] = list(aliases)
    geom = _parse_wkt(wkt_text)
    _act(
        cli,
        fmt,
        lambda s: usecases.edit(
            s,
            place_id,
            actor=cli.actor,
            reason=reason,
            expected_version=expected_version,
            geom=geom,
            romanized=romanized,
            romanized_reason=romanized_reason,
            **values,
        ),
    )


@names_group.command("show")
@click.argument("place_id", type=int)
@format_option
@pass_cli
def show_cmd(cli: CliContext, place_id: int, fmt: str) -> None:
    """Show one standard name with its former names."""

    def render(d: dict) -> str:
        lines = [_summary(d)]
        keys = (
            "proper_part",
            "generic_part",
            "division_code",
            "location_desc",
            "meaning",
            "history",
            "approving_authority",
            "approval_doc_no",
            "approval_date",
            "announcement_date",
            "aliases",
        )
        lines += [f"  {key}: {d[key]}" for key in keys if d.get(key)]
        for f in d["former_names"]:
            lines.append(f"  former name: {f['name']} ({f['valid_from'] or '?'} – {f['valid_to'] or '?'})")
        return "\n".join(lines)

    _run(cli, fmt, lambda s: queries.to_dict(s, store.get(s, place_id)), render)


@names_group.command("history")
@click.argument("place_id", type=int)
@format_option
@pass_cli
def history_cmd(cli: CliContext, place_id: int, fmt: str) -> None:
    """The append-only history of a name: who, when, what, why, document."""

    def render(rows):
        return table(
            [
                {
                    "at": r["at"][:19],
                    "actor": r["actor"],
                    "action": r["action"],
                    "status": f"{r['from_status'] or ''}→{r['to_status'] or ''}",
                    "changes": json.dumps(r["changes"], ensure_ascii=False)[:60],
                    "reason": r["reason"],
                    "document": r["document"],
                    "findings": len(r["findings"]),
                }
                for r in rows
            ]
        )

    _run(cli, fmt, lambda s: queries.events(s, store.get(s, place_id).id), render)


@names_group.command("search")
@click.argument("query", default="")
@click.option("--limit", type=int, default=20, show_default=True)
@click.option("--category", default=None)
@click.option("--division", default=None)
@click.option("--status", default=None)
@click.option("--bbox", default=None, help="min_lon,min_lat,max_lon,max_lat (EPSG:4490).")
@click.option(
    "--near", default=None, help="lon,lat: nearest names (with an empty QUERY) or distance ranking."
)
@format_option
@pass_cli
def search_cmd(cli, query, limit, category, division, status, bbox, near, fmt) -> None:
    """Search names by Chinese, pinyin, initials, former name or alias (typos tolerated)."""
    from placenames.search import search

    box = _floats(bbox, 4, "--bbox")
    point = _floats(near, 2, "--near")
    _run(
        cli,
        fmt,
        lambda s: search(
            s, query, limit=limit, category=category, division=division, status=status, bbox=box, near=point
        ),
        lambda rows: table(
            rows,
            [
                "id",
                "name",
                "romanized",
                "category_code",
                "division_code",
                "status",
                "match",
                "score",
                *(["distance_m"] if point else []),
            ],
        ),
    )


@names_group.command("geocode")
@click.argument("address")
@format_option
@pass_cli
def geocode_cmd(cli: CliContext, address: str, fmt: str) -> None:
    """Point of a standard address, e.g. 海勃湾区人民路12号."""
    from placenames.signs.geocode import geocode

    _run(
        cli,
        fmt,
        lambda s: geocode(s, address),
        lambda r: (
            f"{r['lon']},{r['lat']}  {r['district'] or ''}{r['road']}{r['house_number']}号"
            + ("" if r["exact"] else " (nearest plate)")
        ),
    )


@names_group.command("reverse-geocode")
@click.argument("lon", type=float)
@click.argument("lat", type=float)
@format_option
@pass_cli
def reverse_cmd(cli: CliContext, lon: float, lat: float, fmt: str) -> None:
    """Nearest standard address to LON LAT (EPSG:4490)."""
    from placenames.signs.geocode import reverse_geocode

    _run(cli, fmt, lambda s: reverse_geocode(s, lon, lat), lambda r: f"{r['address']} ({r['distance_m']} m)")


@names_group.command("categories")
@format_option
def categories_cmd(fmt: str) -> None:
    """List the place-name categories and their generics."""
    rows = [
        {
            "code": c.code,
            "label": categories.label(c.code),
            "scope": c.scope,
            "generics": "、".join(g.replace(" ", "") for g in c.generics[:10]),
        }
        for c in categories.CATEGORIES.values()
        if len(c.code) == 3
    ]
    emit(rows, fmt, table)


@names_group.command("gazetteer")
@click.option("-o", "--output", "out_dir", type=click.Path(path_type=Path), required=True, help="Folder.")
@click.option("--no-pdf", is_flag=True, help="Only the HTML edition.")
@format_option
@pass_cli
def gazetteer_cmd(cli: CliContext, out_dir: Path, no_pdf: bool, fmt: str) -> None:
    """Write the gazetteer 《乌海市地名志》 (HTML, PDF, overview maps) to a folder."""
    from cli.progress import progress_bar
    from placenames.gazetteer import write_gazetteer

    with cli.session() as session, progress_bar("gazetteer") as progress:
        result = write_gazetteer(session, out_dir, pdf=not no_pdf, progress=progress)
    emit(result, fmt, lambda r: "\n".join(f"{k}: {v}" for k, v in r.items()))


@names_group.command("map")
@click.option("--kind", type=click.Choice(["names", "divisions"]), default="names", show_default=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Output .png or .pdf",
)
@click.option("--dpi", type=int, default=300, show_default=True)
@format_option
@pass_cli
def map_cmd(cli: CliContext, kind: str, output: Path, dpi: int, fmt: str) -> None:
    """The standard place-name map (标准地名图) or the administrative division map (行政区划图)."""
    from placenames.mapping import write_map

    with cli.session() as session:
        result = write_map(session, output, kind=kind, dpi=dpi)
    emit(result, fmt, lambda r: f"{r['path']} ({r['features']} features)")


@names_group.command("export")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help=".xlsx, .csv or .gpkg",
)
@format_option
@pass_cli
def export_cmd(cli: CliContext, output: Path, fmt: str) -> None:
    """Export standard names in the national place-name database layout."""
    from placenames.exchange import export_names

    with cli.session() as session:
        result = export_names(session, output)
    emit(result, fmt, lambda r: f"{r['rows']} names → {r['path']}")


@names_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--confirm", is_flag=True, help="Apply the changes (default: report only).")
@format_option
@pass_cli
def import_cmd(cli: CliContext, path: Path, confirm: bool, fmt: str) -> None:
    """Compare a national-database file with the registry; apply it only with --confirm."""
    from placenames.exchange import import_names

    def render(r):
        lines = [
            f"new {len(r['new'])}, changed {len(r['changed'])}, retired {len(r['retired'])}, "
            f"unchanged {r['unchanged']}"
            + (" — applied" if r["applied"] else " — not applied (use --confirm)")
        ]
        lines += [f"  + {x['name']} ({x['code']})" for x in r["new"][:50]]
        lines += [f"  ~ {x['name']} ({x['code']}): {', '.join(x['fields'])}" for x in r["changed"][:50]]
        lines += [f"  - {x['name']} ({x['code']})" for x in r["retired"][:50]]
        return "\n".join(lines)

    _run(cli, fmt, lambda s: import_names(s, path, actor=cli.actor, confirm=confirm), render)


def _with_findings(d: dict) -> str:
    lines = [_summary(d)]
    for f in d.get("findings", []):
        lines.append(f"  [{f['severity']}] {f['rule']}: {f['message']}")
    return "\n".join(lines)


def _parse_wkt(text: str | None):
    if not text:
        return None
    try:
        return shapely_wkt.loads(text)
    except Exception as exc:  # shapely raises several types for bad WKT
        raise InvalidInput(f"--wkt is not valid WKT: {exc}", field="wkt") from None


def _floats(text: str | None, n: int, option: str) -> tuple[float, ...] | None:
    if not text:
        return None
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        raise InvalidInput(f"{option} needs {n} comma-separated numbers", field=option[2:]) from None
    if len(values) != n:
        raise InvalidInput(f"{option} needs {n} comma-separated numbers", field=option[2:])
    return values


commands: list[click.Command] = [names_group]


# -- renamings: proposed, reviewed, approved, announced ------------------------------------------


@names_group.group("renaming")
def renaming_group() -> None:
    """Renamings (更名): 申报 → 审核 → 批准 → 公告; the old name stays standard until announced."""


def _renaming_line(d: dict) -> str:
    return f"renaming #{d['id']} of #{d['place_name_id']}: {d['old_name']} → {d['new_name']} | {d['status']} v{d['version']}"


def _renaming_act(cli: CliContext, fmt: str, act) -> None:
    _run(cli, fmt, lambda s: renaming.to_dict(act(s)), _renaming_line)


@renaming_group.command("propose")
@click.argument("place_id", type=int)
@click.argument("new_name")
@click.option("--reason", required=True)
@click.option("--romanized", default=None, help="Override of the romanized form (needs --romanized-reason).")
@click.option("--romanized-reason", default=None)
@format_option
@pass_cli
def renaming_propose_cmd(cli: CliContext, place_id: int, fmt: str, **opts) -> None:
    """Propose renaming the standard name PLACE_ID to NEW_NAME."""
    _renaming_act(cli, fmt, lambda s: usecases.propose_renaming(s, place_id, actor=cli.actor, **opts))


@renaming_group.command("review")
@click.argument("renaming_id", type=int)
@_version_option
@format_option
@pass_cli
def renaming_review_cmd(cli: CliContext, renaming_id: int, fmt: str, **opts) -> None:
    """Start the review (审核) of a proposed renaming."""
    _renaming_act(cli, fmt, lambda s: usecases.review_renaming(s, renaming_id, actor=cli.actor, **opts))


@renaming_group.command("approve")
@click.argument("renaming_id", type=int)
@click.option("--authority", required=True, help="Approving authority, e.g. 乌海市人民政府.")
@click.option("--document", required=True, help="Approval document number.")
@_date_option("--date", "approval_date", help="Approval date (default today).")
@click.option("--justification", default=None, help="Recorded justification for rule warnings.")
@_version_option
@format_option
@pass_cli
def renaming_approve_cmd(cli: CliContext, renaming_id: int, fmt: str, **opts) -> None:
    """Approve (批准) a renaming under review with its own authority, document and date."""
    _renaming_act(cli, fmt, lambda s: usecases.approve_renaming(s, renaming_id, actor=cli.actor, **opts))


@renaming_group.command("announce")
@click.argument("renaming_id", type=int)
@_date_option("--date", "announcement_date", help="Announcement date (default today).")
@click.option("--document", default=None, help="Announcement document.")
@_version_option
@format_option
@pass_cli
def renaming_announce_cmd(cli: CliContext, renaming_id: int, fmt: str, **opts) -> None:
    """Announce (公告) a renaming: the name, road segments and sign work orders follow."""
    _act(cli, fmt, lambda s: usecases.announce_renaming(s, renaming_id, actor=cli.actor, **opts))


@renaming_group.command("list")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(renaming.STATUSES),
    help="Only renamings of this status (repeat for several; default: those in progress).",
)
@format_option
@pass_cli
def renaming_list_cmd(cli: CliContext, statuses: tuple[str, ...], fmt: str) -> None:
    """List renamings, oldest first: by default those in progress (proposed, under review, approved)."""
    columns = [
        "id",
        "place_name_id",
        "old_name",
        "new_name",
        "status",
        "version",
        "approval_doc_no",
        "reason",
    ]
    _run(
        cli,
        fmt,
        lambda s: usecases.list_renamings(s, statuses=list(statuses)),
        lambda rows: table(rows, columns),
    )


@renaming_group.command("show")
@click.argument("renaming_id", type=int)
@format_option
@pass_cli
def renaming_show_cmd(cli: CliContext, renaming_id: int, fmt: str) -> None:
    """Show one renaming: its place, steps, approval and the new name's rule findings."""

    def render(d: dict) -> str:
        lines = [
            _renaming_line(d),
            f"  place: #{d['place_name_id']} {d['place_name']} ({d['category_code']})",
        ]
        keys = (
            "romanized",
            "reason",
            "justification",
            "approving_authority",
            "approval_doc_no",
            "approval_date",
            "announcement_date",
            "announcement_doc",
            "author",
        )
        lines += [f"  {key}: {d[key]}" for key in keys if d.get(key)]
        lines += [f"  [{f['severity']}] {f['rule']}: {f['message']}" for f in d["findings"]]
        return "\n".join(lines)

    _run(cli, fmt, lambda s: usecases.show_renaming(s, renaming_id), render)
