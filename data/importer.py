"""Importing a GIS file into a layer: read, validate every row, then write all rows or none.

A file is checked completely before anything is written: geometries, fields, hostile text,
duplicate keys within the file and against the database, references to other tables. If any row
has a problem the whole file is refused with :class:`ImportRefused` (an invalid-input domain
error whose details name each bad row, field and problem, with the whole report beside them),
and nothing has been written. Otherwise all rows are inserted in bulk
(PostgreSQL ``COPY``, SQLite ``executemany``: :mod:`data.bulk`) inside the caller's transaction.
On PostgreSQL the session's connection is opened and the new rows' keys are reserved in a second
thread while the file is checked (:func:`_database_ahead`).

Audit: one ``audit_log`` entry per imported file (action ``import``), whose ``after`` holds the
file name, format, source CRS, the row count, the new row ids and the rows' keys. One entry per
row would double the cost of a 34,000-sign import and say nothing the batch entry does not; the
rows themselves carry the importing actor in ``author`` and ``import:<file>`` in ``source``.
"""

from __future__ import annotations

import codecs
import gc
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyogrio.errors
from pyproj import Transformer
from pyproj.exceptions import CRSError
from pyproj.exceptions import ProjError
from sqlalchemy import any_
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import literal
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from data.bulk import insert_rows
from data.bulk import reserve_ids
from data.layers import Layer
from data.layers import get_layer
from data.spreadsheet import companion_path
from data.spreadsheet import scan
from data.validation import Problem
from data.validation import check_fields
from data.validation import check_geometries
from data.validation import duplicate_keys
from data.validation import map_columns
from gis.crs import STORAGE_CRS
from gis.dialects import dialect_name
from gis.errors import InvalidInput
from gis.errors import require_actor
from gis.io import FileError
from gis.io import ReadResult
from gis.io import parse_crs
from gis.io import read_vector
from gis.models import AuditLog
from gis.models import utcnow

#: Rows per ``IN (...)`` query when checking keys against the database.
CHUNK = 900
#: Table-name endings of a GeoPackage exported one table per geometry type (data.exporter).
_GEOMETRY_PARTS = ("point", "line", "polygon")


@dataclass
class ImportReport:
    """What an import found and did."""

    file: str
    layer: str
    rows: int = 0
    imported: int = 0
    format: str | None = None
    source_crs: str | None = None
    encoding: str | None = None
    dry_run: bool = False
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    ids: list[Any] = field(default_factory=list)
    update: bool = False
    outcomes: list[Any] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Rows by outcome under ``--update`` (new, changed, unchanged, refused)."""
        out = dict.fromkeys(("new", "changed", "unchanged", "refused"), 0)
        for outcome in self.outcomes:
            out[outcome.status] += 1
        return out

    @property
    def ok(self) -> bool:
        """No problems."""
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (problems as ``{row, field, message}``)."""
        out = asdict(self)
        out["ok"] = self.ok
        out.pop("ids")
        if self.update:
            out["counts"] = self.counts()
            out["outcomes"] = [o.as_dict() for o in self.outcomes]
        else:
            out.pop("outcomes")
        return out

    def render(self, *, limit: int = 200) -> str:
        """A text report for people."""
        head = f"{self.file} -> {self.layer}: {self.rows} rows"
        if self.format:
            head += f" ({self.format}, {self.source_crs}{', ' + self.encoding if self.encoding else ''})"
        lines = [head, *(f"note: {n}" for n in self.notes)]
        if self.update and self.outcomes:
            counts = self.counts()
            lines.append(", ".join(f"{n} {status}" for status, n in counts.items()))
            shown = [o for o in self.outcomes if o.status != "unchanged"]
            for o in shown[:limit]:
                detail = f" ({', '.join(o.fields)})" if o.fields else ""
                lines.append(
                    f"row {o.row} {o.key}: {o.status}{detail}{': ' + o.message if o.message else ''}"
                )
        if self.problems:
            bad_rows = len({p.row for p in self.problems if p.row})
            lines.append(f"REFUSED: {len(self.problems)} problems in {bad_rows} rows; nothing was written")
            lines.extend(str(p) for p in self.problems[:limit])
            if len(self.problems) > limit:
                lines.append(f"... and {len(self.problems) - limit} more (use --report json for all)")
        elif self.dry_run:
            lines.append(f"dry run: all {self.rows} rows are valid; nothing was written")
        elif self.update:
            lines.append(f"applied: {self.imported} new rows, {self.counts()['changed']} changed rows")
        else:
            lines.append(f"imported {self.imported} rows")
        return "\n".join(lines)


class ImportRefused(InvalidInput):
    """The file was refused, nothing written: ``details`` are its problems, ``report`` the whole report.

    ``field`` and ``row`` are those of the first problem (row 0: the file as a whole). As plain
    data (:meth:`as_dict`, what ``--report json`` prints) the error carries the report as well.
    """

    def __init__(self, report: ImportReport):
        first = report.problems[0] if report.problems else None
        super().__init__(
            report.render(limit=20),
            field=first.field if first else None,
            row=first.row if first else None,
            details=report.problems,
        )
        self.report = report

    def as_dict(self) -> dict[str, Any]:
        """The error as plain data, with the import's report under ``report``."""
        return {**super().as_dict(), "report": self.report.to_dict()}


def import_file(
    session: Session,
    path: str | Path,
    *,
    layer: str | Layer,
    actor: str,
    crs: str | int | None = None,
    encoding: str | None = None,
    dry_run: bool = False,
    reason: str | None = None,
    timings: dict[str, float] | None = None,
    on_phase: Callable[[str], None] | None = None,
    update: bool = False,
    max_bytes: int | None = None,
) -> ImportReport:
    """Validate ``path`` and insert its features into ``layer`` (all or nothing).

    Parameters
    ----------
    session
        Session whose transaction receives the rows; the caller commits (or rolls back).
    path
        A GeoJSON, GeoPackage, Shapefile, CSV or XLSX file.
    layer
        Layer name (see :data:`data.layers.LAYERS`) or a :class:`~data.layers.Layer`.
    actor
        Who imports (recorded as author and in the audit log).
    crs, encoding
        Passed to :func:`gis.io.read_vector` (CRS for files without one; text encoding).
    dry_run
        Validate only.
    reason
        Recorded in the audit log.
    timings
        If given, filled with the seconds spent reading, validating and writing (benchmarks).
    on_phase
        Called with the name of each finished phase (``read``, ``validate``, ``check_database``,
        ``insert``, ``audit``): a progress bar.
    update
        Rows whose key is stored are compared and their changes applied through the domain at
        the version the file carries (:mod:`data.roundtrip`); without it they are refused.
    max_bytes
        Largest accepted file (``IMPORT_MAX_BYTES``).

    Returns
    -------
    ImportReport

    Raises
    ------
    ImportRefused
        When the file or any row has a problem; nothing was written.
    gis.errors.Forbidden
        Without an actor.
    """
    require_actor(actor)
    lyr = get_layer(layer) if isinstance(layer, str) else layer
    path = Path(path)
    report = ImportReport(file=path.name, layer=lyr.name, dry_run=dry_run, update=update)
    crs = _checked_crs(crs)
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InvalidInput(
                f"unknown text encoding {encoding!r} (e.g. utf-8, gbk)", field="encoding"
            ) from None
    if path.is_file() and max_bytes is not None and path.stat().st_size > max_bytes:
        raise InvalidInput(
            f"{path.name}: {path.stat().st_size} bytes, more than the limit of {max_bytes} (IMPORT_MAX_BYTES)",
            field="file",
            row=0,
        )
    if path.is_file() and path.suffix.lower() in (".csv", ".xlsx"):
        _header, file_crs = scan(path)
        if crs is None and file_crs is not None:
            crs = _checked_crs(file_crs)
            report.notes.append(f"CRS {file_crs} from the file's crs column")
    with _collector_paused():
        _import(
            session,
            path,
            lyr,
            report,
            _Clock(timings, on_phase),
            actor=actor,
            crs=crs,
            encoding=encoding,
            reason=reason,
        )
    return report


def _import(
    session: Session,
    path: Path,
    lyr: Layer,
    report: ImportReport,
    clock: _Clock,
    *,
    actor: str,
    crs: str | int | None,
    encoding: str | None,
    reason: str | None,
) -> None:
    try:
        read = _read(path, crs=crs, encoding=encoding)
    except FileError as exc:
        report.problems.append(Problem(0, None, str(exc)))
        raise ImportRefused(report) from exc
    report.format, report.source_crs, report.encoding = read.format, read.source_crs, read.encoding
    report.notes.extend(read.notes)
    report.rows = len(read.gdf)
    if report.rows == 0:
        report.problems.append(Problem(0, None, "the file holds no rows"))
        raise ImportRefused(report)
    _fill_companion(read.gdf, path, report)
    clock.lap("read")
    if report.update:
        _update(session, path, lyr, read.gdf, report, clock, actor=actor, reason=reason)
        return
    with _database_ahead(session, lyr, report.rows, reserve=not report.dry_run) as ahead:
        # The file's own checks run while the database connection is opened and keys reserved.
        values, geoms, problems = _check_file(read.gdf, lyr, report)
        clock.lap("validate")
        ids = ahead()
    problems += _check_database(session, values, lyr)
    clock.lap("check_database")
    report.problems = sorted(problems, key=_problem_order)
    if report.problems:
        raise ImportRefused(report)
    if report.dry_run:
        return
    order = _parents_first(values, lyr)
    if order is not None:
        values, geoms = values.iloc[order], geoms[order]
    report.ids = _insert(session, lyr, values, geoms, actor=actor, source=f"import:{path.name}"[:64], ids=ids)
    report.imported = len(report.ids)
    clock.lap("insert")
    _audit(session, lyr, values, report, actor=actor, reason=reason)
    session.flush()
    clock.lap("audit")


def _update(
    session: Session,
    path: Path,
    lyr: Layer,
    gdf: pd.DataFrame,
    report: ImportReport,
    clock: _Clock,
    *,
    actor: str,
    reason: str | None,
) -> None:
    """``--update``: new rows inserted, changed rows applied through the domain, all or nothing."""
    from data import roundtrip

    values, geoms, problems = _check_file(gdf, lyr, report)
    clock.lap("validate")
    problems += _references(session, values, lyr)
    report.problems = sorted(problems, key=_problem_order)
    if report.problems:
        raise ImportRefused(report)
    keys = roundtrip.file_keys(lyr, gdf, _file_keys(values, lyr) if lyr.key else [])
    plan = roundtrip.plan_update(session, lyr, values, geoms, keys, roundtrip.file_versions(gdf))
    report.outcomes = plan.outcomes
    clock.lap("check_database")
    if plan.problems:
        report.problems = plan.problems
        raise ImportRefused(report)
    if report.dry_run:
        return
    why = reason or f"import --update of {report.file}"
    report.problems = roundtrip.apply_changes(
        session, lyr, plan, actor=actor, reason=why, justification=reason
    )
    if report.problems:
        raise ImportRefused(report)
    if plan.new.any():
        new_values, new_geoms = values[plan.new], geoms[plan.new]
        order = _parents_first(new_values, lyr)
        if order is not None:
            new_values, new_geoms = new_values.iloc[order], new_geoms[order]
        report.ids = _insert(
            session, lyr, new_values, new_geoms, actor=actor, source=f"import:{path.name}"[:64]
        )
        report.imported = len(report.ids)
        _audit(session, lyr, new_values, report, actor=actor, reason=reason)
    session.flush()
    clock.lap("insert")


def _read(path: Path, *, crs: str | int | None, encoding: str | None) -> ReadResult:
    """The file's features; every geometry type's table of a GeoPackage exported in parts.

    A layer holding several geometry types (place names) is exported to a GeoPackage as one table
    per type (``<layer>_point``, ``<layer>_line``, ``<layer>_polygon``). Such a file is read whole:
    its tables one after the other, rows numbered on across them (each table's rows in a note).
    Any other GeoPackage is read from its first table, as :func:`gis.io.read_vector` does.
    """
    parts = _typed_tables(path)
    if len(parts) <= 1:
        return read_vector(path, crs=crs, encoding=encoding)
    reads = [read_vector(path, crs=crs, encoding=encoding, layer=name) for name in parts]
    gdf = pd.concat([r.gdf for r in reads], ignore_index=True)
    gdf = gpd.GeoDataFrame(gdf, geometry=reads[0].gdf.geometry.name, crs=reads[0].gdf.crs)
    gdf.index = pd.RangeIndex(1, len(gdf) + 1, name="row")
    spans, first = [], 1
    for name, r in zip(parts, reads, strict=True):
        spans.append(f"{name} (rows {first}-{first + len(r.gdf) - 1})" if len(r.gdf) else f"{name} (no rows)")
        first += len(r.gdf)
    notes = list(dict.fromkeys(n for r in reads for n in r.notes))
    notes.append(f"tables read one after the other: {', '.join(spans)}")
    head = reads[0]
    return ReadResult(
        gdf=gdf, format=head.format, source_crs=head.source_crs, encoding=head.encoding, notes=notes
    )


def _typed_tables(path: Path) -> list[str]:
    """The spatial tables of a GeoPackage exported one table per geometry type, in the export's order.

    Empty for any other file, or a GeoPackage whose spatial tables are not all ``<stem>_<type>``.
    """
    if not path.is_file() or path.suffix.lower() != ".gpkg":
        return []
    try:
        listed = pyogrio.list_layers(path)
    except (pyogrio.errors.DataSourceError, OSError):
        return []  # read_vector names the problem
    spatial = [str(name) for name, geometry_type in listed if geometry_type]
    stems = {name.rpartition("_")[0] for name in spatial}
    suffixes = [name.rpartition("_")[2] for name in spatial]
    if len(spatial) < 2 or len(stems) != 1 or not set(suffixes) <= set(_GEOMETRY_PARTS):
        return []
    return sorted(spatial, key=lambda name: _GEOMETRY_PARTS.index(name.rpartition("_")[2]))


def _checked_crs(crs: str | int | None) -> str | int | None:
    """``crs`` if it can be turned into the storage CRS; :class:`InvalidInput` (field ``crs``) otherwise."""
    if crs is None:
        return None
    try:
        parsed = parse_crs(crs)
    except InvalidInput as exc:
        raise InvalidInput(str(exc), field="crs") from None
    if isinstance(parsed, str):
        return crs
    try:
        Transformer.from_crs(parsed, STORAGE_CRS, always_xy=True).transform(106.8, 39.7, errcheck=True)
    except (CRSError, ProjError) as exc:
        raise InvalidInput(f"CRS {crs!r} cannot be converted to {STORAGE_CRS}: {exc}", field="crs") from None
    return crs


def _fill_companion(gdf: pd.DataFrame, path: Path, report: ImportReport) -> None:
    """Geometries of a spreadsheet that did not fit a cell, from its companion GeoPackage."""
    companion = companion_path(path)
    geometry = gdf.geometry
    if path.suffix.lower() not in (".csv", ".xlsx") or not companion.exists() or geometry.notna().all():
        return
    ids = next((gdf[c] for c in gdf.columns if str(c).strip().lower() in ("id", "记录id")), None)
    if ids is None:
        return
    extra = read_vector(companion).gdf
    by_id = dict(zip(extra["id"].astype("int64"), extra.geometry, strict=True))
    filled = list(geometry)
    for i in np.flatnonzero(geometry.isna().to_numpy()):
        try:
            key = int(float(ids.iat[i]))
        except (TypeError, ValueError):
            continue
        filled[i] = by_id.get(key)
    gdf[geometry.name] = gpd.GeoSeries(filled, index=gdf.index, crs=geometry.crs)
    report.notes.append(f"geometries too long for a cell read from {companion.name}")


def validate(
    session: Session | None,
    gdf: pd.DataFrame,
    lyr: Layer,
    report: ImportReport,
    *,
    clock: _Clock | None = None,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Run every check on ``gdf`` (rows indexed from 1), appending problems to ``report``.

    With a ``session`` the keys and references are also checked against the database.
    Returns the clean field values and the storage geometries.
    """
    values, geoms, problems = _check_file(gdf, lyr, report)
    if clock is not None:
        clock.lap("validate")
    if session is not None:
        problems += _check_database(session, values, lyr)
        if clock is not None:
            clock.lap("check_database")
    report.problems = sorted(problems, key=_problem_order)
    return values, geoms


def _check_file(
    gdf: pd.DataFrame, lyr: Layer, report: ImportReport
) -> tuple[pd.DataFrame, np.ndarray, list[Problem]]:
    """The checks that need only the file: columns, fields, geometries and keys within the file."""
    frame, ignored, problems = map_columns(gdf, lyr)
    if ignored:
        report.notes.append(f"ignored columns: {', '.join(ignored)}")
    values, field_problems = check_fields(frame, lyr)
    exempt = None
    if lyr.extent_exempt and lyr.extent_exempt in values:  # e.g. divisions with in_wuhai = False
        exempt = (values[lyr.extent_exempt] == False).to_numpy(dtype=bool)  # noqa: E712
    geoms, geom_problems = check_geometries(gdf.geometry.to_numpy(), lyr, gdf.index, extent_exempt=exempt)
    return values, geoms, problems + field_problems + geom_problems + duplicate_keys(values, lyr)


def _check_database(session: Session, values: pd.DataFrame, lyr: Layer) -> list[Problem]:
    """Keys already stored, and references to rows that do not exist."""
    return _stored_duplicates(session, values, lyr) + _references(session, values, lyr)


def _problem_order(p: Problem) -> tuple[int, str, str]:
    return (p.row, p.field or "", p.message)


@contextmanager
def _database_ahead(session: Session, lyr: Layer, n: int, *, reserve: bool):
    """On PostgreSQL, open the session's connection and reserve ``n`` keys in a second thread.

    Yields a function that waits for that work and returns the keys (``None`` when not
    reserved: SQLite, a dry run, a key without a sequence). Until it is called the session
    belongs to the thread, so the body must not use it; on leaving, the thread is waited for
    in any case. The connection's round trips then overlap the file's checks (pure Python, whose
    thread lets go of the interpreter while the other waits on the network).
    """
    if dialect_name(session) != "postgresql":
        yield lambda: None
        return

    def work() -> list[int] | None:
        session.connection()
        return reserve_ids(session, lyr.table, n) if reserve and n else None

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-db") as pool:
        future = pool.submit(work)
        yield future.result


def _stored_duplicates(session: Session, values: pd.DataFrame, lyr: Layer) -> list[Problem]:
    if not lyr.key or any(k not in values for k in lyr.key):
        return []
    table = lyr.table
    cols = [table.c[k] for k in lyr.key]
    first = {v for v in values[lyr.key[0]].tolist() if v is not None}
    stored: set[str] = set()
    n = len(first)
    if _rows_up_to(session, table, n) <= n:  # a table no larger than the file: read all its keys
        stored.update(_key_strings(session.execute(select(*cols)).all()))
    else:
        for condition in _in_chunks(session, cols[0], sorted(first)):
            stored.update(_key_strings(session.execute(select(*cols).where(condition)).all()))
    if not stored:
        return []
    keys = _file_keys(values, lyr)
    label = "/".join(lyr.key)
    return [
        Problem(int(row), label, f"key {key!r} already exists in the database")
        for row, key in zip(values.index, keys, strict=True)
        if key in stored
    ]


def _rows_up_to(session: Session, table, limit: int) -> int:
    """The table's row count, counted no further than ``limit + 1``."""
    return session.execute(
        select(func.count()).select_from(select(literal(1)).select_from(table).limit(limit + 1).subquery())
    ).scalar_one()


def _parents_first(values: pd.DataFrame, lyr: Layer) -> np.ndarray | None:
    """Row order putting parents before children when the layer refers to itself (divisions)."""
    for f in lyr.fields:
        if f.references is None or f.references[0] is not lyr.model or f.name not in values:
            continue
        key = f.references[1]
        if key not in values:
            return None
        parent_of = dict(zip(values[key], values[f.name], strict=True))
        return np.argsort([_depth(code, parent_of) for code in values[key]], kind="stable")
    return None


def _depth(code: Any, parent_of: dict[Any, Any]) -> int:
    """Ancestors of ``code`` within the file (cycles stop the count)."""
    depth, seen = 0, {code}
    while (code := parent_of.get(code)) in parent_of and code not in seen:
        seen.add(code)
        depth += 1
    return depth


def _in_chunks(session: Session, column, values: list):
    """``column IN values`` as few conditions: one ``= ANY(array)`` on PostgreSQL, chunks on SQLite."""
    if dialect_name(session) == "postgresql":
        if values:
            yield column == any_(literal(values, ARRAY(column.type)))
        return
    for start in range(0, len(values), CHUNK):
        yield column.in_(values[start : start + CHUNK])


def _key_strings(rows) -> list[str]:
    """Keys as ``'a|b'`` strings (``None`` as empty), comparable between file and database."""
    return ["|".join("" if v is None else str(v) for v in row) for row in rows]


def _file_keys(values: pd.DataFrame, lyr: Layer) -> list[str]:
    """The file's keys as :func:`_key_strings` makes them, row by row."""
    if len(lyr.key) == 1:
        return [v if type(v) is str else ("" if v is None else str(v)) for v in values[lyr.key[0]].tolist()]
    return _key_strings(zip(*(values[k].tolist() for k in lyr.key), strict=True))


def _references(session: Session, values: pd.DataFrame, lyr: Layer) -> list[Problem]:
    problems: list[Problem] = []
    for f in lyr.fields:
        target = f.lookup or f.references
        if target is None or f.name not in values:
            continue
        model, column = target
        col = model.__table__.c[column]
        wanted = sorted({v for v in values[f.name] if v is not None})
        found: dict[Any, Any] = {}
        pk = model.__table__.primary_key.columns.values()[0]
        for condition in _in_chunks(session, col, wanted):
            found.update(session.execute(select(col, pk).where(condition)).all())
        if model is lyr.model and column in values:  # a parent in the same file (inserted first)
            found.update({v: v for v in values[column] if v is not None and v not in found})
        missing = values[f.name].notna() & ~values[f.name].isin(list(found))
        problems.extend(
            Problem(
                int(r), f.column, f"{values[f.name][r]!r} does not exist in {model.__tablename__}.{column}"
            )
            for r in values.index[missing]
        )
        if f.lookup is not None:
            values[f.name] = pd.Series(
                [found.get(v) for v in values[f.name]], index=values.index, dtype=object
            )
    return problems


def _insert(
    session: Session,
    lyr: Layer,
    values: pd.DataFrame,
    geoms: np.ndarray,
    *,
    actor: str,
    source: str,
    ids: list[int] | None = None,
) -> list[Any]:
    now = utcnow()
    n = len(geoms)
    columns: dict[str, list[Any]] = {name: values[name].tolist() for name in values.columns}
    if ids is not None:
        columns[lyr.table.primary_key.columns.values()[0].name] = ids
    columns.update(
        {
            "author": [actor] * n,
            "source": [source] * n,
            "created_at": [now] * n,
            "updated_at": [now] * n,
            "version": [1] * n,
        }
    )
    return insert_rows(session, lyr.table, columns, geoms, geometry_column=lyr.geometry_column)


def _audit(
    session: Session,
    lyr: Layer,
    values: pd.DataFrame,
    report: ImportReport,
    *,
    actor: str,
    reason: str | None,
) -> None:
    keys = _file_keys(values, lyr) if lyr.key and all(k in values for k in lyr.key) else []
    first, last = (report.ids[0], report.ids[-1]) if report.ids else ("", "")
    # A Core insert, like the rows': the ORM's unit of work adds nothing for one row.
    session.execute(
        insert(AuditLog.__table__).values(
            actor=actor,
            action="import",
            table_name=lyr.table.name,
            row_key=f"import:{first}-{last}"[:64],
            before=None,
            after={
                "file": report.file,
                "format": report.format,
                "source_crs": report.source_crs,
                "encoding": report.encoding,
                "rows": report.imported,
                "id_ranges": _ranges(report.ids),
                "keys": keys,
            },
            reason=reason or f"import of {report.file}",
        )
    )


@contextmanager
def _collector_paused():
    """Pause Python's cyclic garbage collector for the import.

    Reading, validating and writing 34,000 rows allocates a few hundred thousand tracked
    objects (geometries, lists), which would set off collections that each walk every live
    object in the process: 0.1-0.2 s of CPU for nothing, as the import makes no reference cycles
    worth collecting before it ends. Collection resumes afterwards (if it was on).
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


class _Clock:
    """Laps of ``time.perf_counter`` written into an optional dict."""

    def __init__(self, sink: dict[str, float] | None, on_lap: Callable[[str], None] | None = None):
        self.sink = sink
        self.on_lap = on_lap
        self.last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        if self.sink is not None:
            self.sink[name] = round(self.sink.get(name, 0.0) + now - self.last, 3)
        if self.on_lap is not None:
            self.on_lap(name)
        self.last = now


def _ranges(ids: list[Any]) -> list[list[Any]]:
    """Integer ids as ``[[first, last], ...]`` runs (text keys listed as they are)."""
    if ids and all(type(v) is int for v in ids):
        values = np.asarray(ids, dtype=np.int64)
        breaks = np.flatnonzero(np.diff(values) != 1) + 1
        starts = np.concatenate(([0], breaks))
        ends = np.concatenate((breaks - 1, [len(values) - 1]))
        return [[int(values[a]), int(values[b])] for a, b in zip(starts, ends, strict=True)]
    out: list[list[Any]] = []
    for value in ids:
        if out and isinstance(value, int) and isinstance(out[-1][1], int) and value == out[-1][1] + 1:
            out[-1][1] = value
        else:
            out.append([value, value])
    return out
