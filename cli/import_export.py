"""The ``wuhai-gis import`` and ``wuhai-gis export`` commands.

``--format`` of ``export`` is the file format; the machine-readable report of both commands is
``--report json`` (``--report text`` by default). A refused import is a domain error like any
other (:mod:`cli.errors`): under ``--report json`` its JSON error object carries every problem
(row, field, message) in ``details`` and the import's whole report under ``report``.
"""

from __future__ import annotations

import click
from tqdm import tqdm

from cli.context import CliContext
from cli.context import emit
from cli.context import pass_cli
from cli.context import remember_format
from data.exporter import export_layer
from data.exporter import parse_where
from data.importer import import_file
from data.layers import LAYERS
from data.layers import Layer
from data.layers import get_layer
from gis import settings
from gis.io import FORMATS

report_option = click.option(
    "--report",
    "report_fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    is_eager=True,
    callback=remember_format,
    help="Report for people (text) or scripts (json).",
)


def _layer(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Layer | None:
    """Option callback: the layer named by ``--layer`` (an unknown one is invalid input)."""
    return None if value is None else get_layer(value)


layer_option = click.option(
    "--layer",
    "lyr",
    required=True,
    callback=_layer,
    help=f"Layer: {', '.join(LAYERS)} (Chinese names and singulars accepted).",
)


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@layer_option
@click.option(
    "--crs", default=None, help="CRS of the data when the file has none (EPSG:4490, 4326, 4545, gcj02...)."
)
@click.option(
    "--encoding", default=None, help="Text encoding of a .dbf or CSV (default: detected; utf-8, gbk...)."
)
@click.option(
    "--update",
    is_flag=True,
    help="Rows whose key exists are compared and their changes applied (at the version the file carries).",
)
@click.option("--dry-run", is_flag=True, help="Validate only; write nothing.")
@click.option("--reason", default=None, help="Reason recorded in the audit log.")
@report_option
@pass_cli
def import_cmd(
    cli: CliContext,
    file: str,
    lyr: Layer,
    crs: str | None,
    encoding: str | None,
    update: bool,
    dry_run: bool,
    reason: str | None,
    report_fmt: str,
) -> None:
    """Import FILE (GeoJSON, GeoPackage, Shapefile, CSV with lon/lat, XLSX) into a layer.

    Every row is validated first; if any row is bad the whole file is refused, the report names
    each bad row and its problem, nothing is written and the exit status is 1. With --update an
    edited export is applied back: rows are matched by key and reported as new, changed,
    unchanged or refused (changed in the database since the export).
    """
    bar = tqdm(total=3 if dry_run else 5, desc=f"import {lyr.name}", unit="step", disable=None, leave=False)

    def step(name: str) -> None:
        bar.set_postfix_str(name)
        bar.update(1)

    with cli.session() as session, bar:
        report = import_file(
            session,
            file,
            layer=lyr,
            actor=cli.actor,
            crs=crs,
            encoding=encoding,
            dry_run=dry_run,
            reason=reason,
            on_phase=step,
            update=update,
            max_bytes=int(settings.get("IMPORT_MAX_BYTES")),
        )
        if dry_run:
            session.rollback()
        else:
            session.commit()
    emit(report.to_dict(), report_fmt, lambda _r: report.render())


@click.command("export")
@layer_option
@click.option(
    "--format",
    "file_format",
    type=click.Choice(list(FORMATS)),
    default=None,
    help="File format (default: from the output file's suffix).",
)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Output file.")
@click.option(
    "--where", "where", multiple=True, help="Filter field=value[,value...] (repeatable; AND across fields)."
)
@click.option("--district", default=None, help="Only rows in this division (code or name, e.g. 海勃湾区).")
@click.option(
    "--labels",
    type=click.Choice(["en", "zh"]),
    default="en",
    show_default=True,
    help="Column headers (and, in CSV/XLSX, values) in English or Chinese.",
)
@report_option
@pass_cli
def export_cmd(
    cli: CliContext,
    lyr: Layer,
    file_format: str | None,
    output: str,
    where: tuple[str, ...],
    district: str | None,
    labels: str,
    report_fmt: str,
) -> None:
    """Export a layer to GPKG, GeoJSON, Shapefile (with .cpg), CSV (UTF-8 with BOM) or XLSX."""
    filters = parse_where(lyr, where)
    with cli.session() as session:
        result = export_layer(
            session, lyr, output, fmt=file_format, where=filters, district=district, labels=labels
        )
    emit(result, report_fmt, lambda r: f"wrote {r['rows']} {r['layer']} rows to {', '.join(r['files'])}")


commands = [import_cmd, export_cmd]
