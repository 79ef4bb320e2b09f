"""Bulk inserts of validated rows: PostgreSQL ``COPY`` and SQLite ``executemany``, in the caller's transaction.

The ORM and even Core ``insert()`` spend most of a 34,000-row import compiling and binding
parameters row by row. Here each distinct value of a column is converted once with
SQLAlchemy's own bind processors (SQLite), or the rows go through psycopg's binary ``COPY``
(PostgreSQL, see :mod:`data.pgcopy`), geometries travel as WKB, and primary keys are taken beforehand (``nextval`` on
PostgreSQL; ``max(id)`` inside the write transaction on SQLite, where a concurrent writer makes
the insert fail instead of colliding). A batch at least as large as the table gets the table's
indexes built after its rows (:func:`_indexes_rebuilt_after`, which says which lock that takes).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from contextlib import contextmanager
from contextlib import nullcontext
from typing import Any

import numpy as np
import psycopg
import shapely
from sqlalchemy import Column
from sqlalchemy import Table
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from data.pgcopy import copy_rows
from gis.crs import STORAGE_SRID
from gis.dialects import dialect_name

#: Up to this many rows in the table, its indexes are rebuilt without parallel workers.
SERIAL_BUILD_ROWS = 50_000
#: The table's indexes that enforce nothing: not unique and not backing a constraint.
_PG_PLAIN_INDEXES = """
SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), pg_get_indexdef(i.indexrelid)
FROM pg_index AS i
JOIN pg_class AS c ON c.oid = i.indexrelid
JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE i.indrelid = CAST(:t AS regclass) AND NOT i.indisunique AND NOT i.indisprimary AND i.indisvalid
  AND NOT EXISTS (SELECT 1 FROM pg_constraint AS k WHERE k.conindid = i.indexrelid)
ORDER BY c.relname
"""
#: The table's unique constraints that no foreign key depends on.
_PG_UNIQUE_CONSTRAINTS = """
SELECT quote_ident(c.conname), pg_get_constraintdef(c.oid)
FROM pg_constraint AS c
WHERE c.conrelid = CAST(:t AS regclass) AND c.contype = 'u'
  AND NOT EXISTS (SELECT 1 FROM pg_constraint AS f WHERE f.contype = 'f' AND f.conindid = c.conindid)
ORDER BY c.conname
"""


def insert_rows(
    session: Session,
    table: Table,
    columns: dict[str, Sequence[Any]],
    geoms: np.ndarray,
    *,
    geometry_column: str = "geom",
) -> list[Any]:
    """Insert ``len(geoms)`` rows into ``table``; return their primary keys in row order.

    Parameters
    ----------
    session
        Session whose transaction receives the rows.
    table
        Target table (one integer or text primary-key column).
    columns
        Values per column name; ``None`` (or a column left out) takes the column's default.
    geoms
        Shapely geometries in the storage CRS, already in the column's type.
    geometry_column
        Name of the geometry column.
    """
    n = len(geoms)
    if n == 0:
        return []
    conn = session.connection()
    pk = table.primary_key.columns.values()[0]
    data = {name: list(values) for name, values in columns.items()}
    if pk.name not in data or all(v is None for v in data[pk.name]):
        data[pk.name] = _new_ids(session, table, pk, n)
    names = [c.name for c in table.c if c.name != geometry_column]
    filled = {name: _with_default(table.c[name], data.get(name), n) for name in names}
    if dialect_name(session) == "postgresql":
        with _indexes_rebuilt_after(conn, table.name, n):
            copy_rows(
                conn.connection.dbapi_connection,
                table.name,
                names,
                [filled[name] for name in names],
                geoms,
                geometry_column,
            )
    else:
        for name in names:
            process = table.c[name].type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
            if process is not None:
                filled[name] = _processed(filled[name], process)
        wkb = shapely.to_wkb(geoms)
        rows = list(zip(*(filled[name] for name in names), wkb, strict=True))
        column_list = ", ".join(f'"{name}"' for name in [*names, geometry_column])
        marks = ", ".join("?" for _ in names)
        sql = f'INSERT INTO "{table.name}" ({column_list}) VALUES ({marks}, GeomFromWKB(?, {STORAGE_SRID}))'
        with (
            _indexes_rebuilt_after(conn, table.name, n),
            _deferred_spatial_index(conn, table.name, geometry_column),
        ):
            conn.exec_driver_sql(sql, rows)
    return list(data[pk.name])


@contextmanager
def _indexes_rebuilt_after(conn: Connection, table: str, n: int):
    """For a batch at least as large as the table, build its indexes after the rows.

    Building an index over all rows at once costs less than inserting ``n`` entries one by one
    (for 34,000 signs on PostgreSQL about a quarter of the server's ``COPY`` work; little on
    SQLite, whose R*Tree is filled afterwards anyway). Dropped before the rows and recreated from
    their own definitions after them: the indexes that enforce nothing (on ``sign`` three
    B-trees, and the GiST on PostgreSQL) and, on PostgreSQL, unique constraints that no foreign
    key depends on (re-adding one checks every row, so a duplicate still fails the insert). All
    in the same transaction, so a failure anywhere rolls the drop back with the rows. Primary
    keys, foreign keys and checks stay in place and check every row as usual.

    Locks: SQLite's write transaction already excludes other writers, and readers keep seeing
    the committed table with its indexes. On PostgreSQL the drop takes an ``ACCESS EXCLUSIVE``
    lock on the table until the transaction ends, so readers of the table wait for the import
    to commit; it is requested with ``NOWAIT``, and if anyone holds a lock on the table the rows
    go in with the indexes in place instead.
    """
    raw = conn.connection.dbapi_connection
    postgres = conn.dialect.name == "postgresql"
    if not postgres and not raw.in_transaction:  # pysqlite would autocommit DDL outside a transaction
        raw.execute("BEGIN")
    rebuilt = _rebuildable(conn, table) if _rows_up_to(conn, table, n) <= n else []
    if rebuilt and postgres and not _locked_nowait(raw, table):
        rebuilt = []
    for drop, _create in rebuilt:
        conn.exec_driver_sql(drop)
    try:
        yield
    except BaseException:
        # A failed statement aborts a PostgreSQL transaction (its rollback restores the indexes);
        # SQLite's goes on, so put them back before the error reaches the caller.
        if not postgres:
            for _drop, create in rebuilt:
                conn.exec_driver_sql(create)
        raise
    with _serial_builds(conn, n) if rebuilt and postgres else nullcontext():
        for _drop, create in rebuilt:
            conn.exec_driver_sql(create)


@contextmanager
def _serial_builds(conn: Connection, n: int):
    """PostgreSQL: index builds without parallel workers for a table of up to :data:`SERIAL_BUILD_ROWS`.

    Starting a worker costs more than it saves on a small table: for the 34,000 signs the four
    B-trees and the GiST take about 0.12 s built serially against 0.13-0.15 s with the worker
    PostgreSQL asks for by default; at 68,000 rows the two are even, and at 136,000 the worker
    saves 0.06-0.13 s, so larger tables keep it. The setting is put back afterwards; it is local
    to the transaction, so a rollback puts it back too.
    """
    if n > SERIAL_BUILD_ROWS:
        yield
        return
    get = text("SELECT current_setting('max_parallel_maintenance_workers')")
    before = conn.execute(get).scalar_one()
    put = text("SELECT set_config('max_parallel_maintenance_workers', :v, true)")
    conn.execute(put, {"v": "0"})
    yield
    # After a failure the transaction is aborted, and its rollback restores the setting.
    conn.execute(put, {"v": before})


def _rows_up_to(conn: Connection, table: str, limit: int) -> int:
    """The table's row count, counted no further than ``limit + 1``."""
    query = text(f'SELECT count(*) FROM (SELECT 1 FROM "{table}" LIMIT :n) AS s')
    return conn.execute(query, {"n": limit + 1}).scalar_one()


def _rebuildable(conn: Connection, table: str) -> list[tuple[str, str]]:
    """``(drop, create)`` statements of the indexes :func:`_indexes_rebuilt_after` builds afterwards."""
    if conn.dialect.name == "postgresql":
        unique = conn.execute(text(_PG_UNIQUE_CONSTRAINTS), {"t": f'"{table}"'}).all()
        plain = conn.execute(text(_PG_PLAIN_INDEXES), {"t": f'"{table}"'}).all()
        return [
            *(
                (
                    f'ALTER TABLE "{table}" DROP CONSTRAINT {name}',
                    f'ALTER TABLE "{table}" ADD CONSTRAINT {name} {d}',
                )
                for name, d in unique
            ),
            *((f"DROP INDEX {name}", definition) for name, definition in plain),
        ]
    # SQLite: indexes made for UNIQUE/PRIMARY KEY constraints have no SQL; CREATE UNIQUE INDEX stays too.
    rows = conn.execute(
        text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :t AND sql IS NOT NULL"
        ),
        {"t": table},
    ).all()
    return [
        (f'DROP INDEX "{name}"', sql)
        for name, sql in rows
        if not re.match(r"\s*CREATE\s+UNIQUE\b", sql, re.IGNORECASE)
    ]


def _locked_nowait(raw: Any, table: str) -> bool:
    """PostgreSQL: take an ``ACCESS EXCLUSIVE`` lock on ``table`` if nobody holds any lock on it."""
    with raw.cursor() as cursor:
        cursor.execute("SAVEPOINT bulk_index_lock")
        try:
            cursor.execute(f'LOCK TABLE "{table}" IN ACCESS EXCLUSIVE MODE NOWAIT')
        except psycopg.errors.LockNotAvailable:
            cursor.execute("ROLLBACK TO SAVEPOINT bulk_index_lock")
            return False
        finally:
            cursor.execute("RELEASE SAVEPOINT bulk_index_lock")
    return True


@contextmanager
def _deferred_spatial_index(conn: Connection, table: str, column: str):
    """SpatiaLite: check the geometries and fill the R*Tree once, after the rows, not by a trigger per row.

    The per-row triggers that check geometry type and SRID (``ggi_``), maintain the spatial
    index (``gii_``) and the layer's last-insert time (``tmi_``) are dropped and recreated from
    their own SQL around the insert, inside the same transaction (SQLite DDL is transactional),
    so other connections never see the table without them. Afterwards one statement applies
    SpatiaLite's own ``GeometryConstraints`` to the new rows (raising if any fails, as the
    trigger would have), one fills the index with the rows' bounding boxes (as the trigger's ``RTreeAlign``), and
    one stamps the insert time.
    """
    raw = conn.connection.dbapi_connection
    if not raw.in_transaction:  # pysqlite would autocommit DDL outside a transaction
        raw.execute("BEGIN")
    check, index, stamp = (f"{kind}_{table}_{column}" for kind in ("ggi", "gii", "tmi"))
    triggers = dict(
        conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? AND name IN (?, ?, ?)",
            (table, check, index, stamp),
        ).all()
    )
    if not triggers:
        yield
        return
    last = conn.exec_driver_sql(f'SELECT coalesce(max(rowid), 0) FROM "{table}"').scalar_one()
    for name in triggers:
        conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
    try:
        yield
        if check in triggers:
            meta = "FROM geometry_columns WHERE lower(f_table_name) = lower(?) AND lower(f_geometry_column) = lower(?)"
            bad = conn.exec_driver_sql(
                f'SELECT min(rowid) FROM "{table}" WHERE rowid > ? AND GeometryConstraints("{column}", '
                f"(SELECT geometry_type {meta}), (SELECT srid {meta})) IS NOT 1",
                (last, table, column, table, column),
            ).scalar()
            if bad is not None:
                raise ValueError(
                    f"{table}.{column} violates its geometry constraint [geom-type or SRID] (rowid {bad})"
                )
        if index in triggers:
            # SQLite's R*Tree rounds minima down and maxima up to its 32-bit floats, which is
            # what RTreeAlign ensures row by row.
            conn.exec_driver_sql(
                f'INSERT INTO "idx_{table}_{column}" (pkid, xmin, xmax, ymin, ymax) '
                f'SELECT rowid, MbrMinX("{column}"), MbrMaxX("{column}"), MbrMinY("{column}"), MbrMaxY("{column}") '
                f'FROM "{table}" WHERE rowid > ? AND "{column}" IS NOT NULL',
                (last,),
            )
        if stamp in triggers:
            conn.exec_driver_sql(
                "UPDATE geometry_columns_time SET last_insert = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') "
                "WHERE lower(f_table_name) = lower(?) AND lower(f_geometry_column) = lower(?)",
                (table, column),
            )
    finally:
        for sql in triggers.values():
            conn.exec_driver_sql(sql)


def reserve_ids(session: Session, table: Table, n: int) -> list[int] | None:
    """PostgreSQL: ``n`` new primary keys from ``table``'s sequence, for an insert to come.

    ``None`` on SQLite (where keys follow ``max(id)`` inside the write transaction) and for a
    table whose key has no sequence. Like any ``nextval``, the keys are used up even if the
    transaction rolls back: a refused import leaves a gap in the numbering, nothing else.
    """
    if dialect_name(session) != "postgresql":
        return None
    pk = table.primary_key.columns.values()[0]
    sequence = session.execute(
        text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": pk.name}
    ).scalar()
    if sequence is None:
        return None
    # One array, not n rows: the rows' result processing would cost more than the sequence.
    query = text("SELECT array_agg(nextval(CAST(:s AS regclass))) FROM generate_series(1, :n)")
    return list(session.execute(query, {"s": sequence, "n": n}).scalar_one())


def _new_ids(session: Session, table: Table, pk: Column, n: int) -> list[int]:
    if dialect_name(session) == "postgresql":
        ids = reserve_ids(session, table, n)
        if ids is None:
            raise ValueError(f"{table.name}.{pk.name} has no sequence")
        return ids
    start = session.execute(select(func.coalesce(func.max(pk), 0))).scalar_one()
    return list(range(int(start) + 1, int(start) + 1 + n))


def _with_default(column: Column, values: list[Any] | None, n: int) -> list[Any]:
    """``values`` with the column's default where they are ``None`` (all of them when left out)."""
    default = column.default
    if default is None:
        return values if values is not None else [None] * n
    fill = default.arg(None) if default.is_callable else default.arg
    if values is None:
        return [fill] * n
    try:
        missing = None in values  # one pass in C; most columns have no gaps
    except TypeError:  # a value whose comparison has no truth value (pandas.NA, arrays)
        missing = True
    return [fill if v is None else v for v in values] if missing else values


def _processed(values: list[Any], process) -> list[Any]:
    """Apply a bind processor once per distinct value (once in all for a column holding one object)."""
    first = values[0] if values else None
    if all(v is first for v in values):
        return [None if first is None else process(first)] * len(values)
    kinds = set(map(type, values))
    kinds.discard(type(None))
    if len(kinds) != 1 or next(iter(kinds)).__hash__ is None:
        return [None if v is None else process(v) for v in values]
    done = {v: process(v) for v in dict.fromkeys(values) if v is not None}
    done[None] = None
    return list(map(done.__getitem__, values))
