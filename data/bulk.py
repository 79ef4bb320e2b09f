"""Bulk inserts of validated rows: PostgreSQL ``COPY`` and SQLite ``executemany``, in the caller's transaction.

The ORM and even Core ``insert()`` spend most of a 34,000-row import compiling and binding
parameters row by row. Here each column's values are converted once with SQLAlchemy's own bind
processors (SQLite) or psycopg's adapters (``COPY``), geometries travel as WKB, and primary keys
are taken beforehand (``nextval`` on PostgreSQL; ``max(id)`` inside the write transaction on
SQLite, where a concurrent writer makes the insert fail instead of colliding).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import shapely
from sqlalchemy import Column
from sqlalchemy import Table
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.types import JSON

from gis.crs import STORAGE_SRID
from gis.dialects import dialect_name


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
        hexes = shapely.to_wkb(shapely.set_srid(geoms, STORAGE_SRID), hex=True, include_srid=True)
        for name in names:
            if isinstance(table.c[name].type, JSON):
                filled[name] = _processed(filled[name], lambda v: json.dumps(v, ensure_ascii=False))
        rows = zip(*(filled[name] for name in names), hexes, strict=True)
        column_list = ", ".join(f'"{name}"' for name in [*names, geometry_column])
        cursor = conn.connection.dbapi_connection.cursor()
        try:
            with cursor.copy(f'COPY "{table.name}" ({column_list}) FROM STDIN') as copy:
                for row in rows:  # psycopg formats each row in C
                    copy.write_row(row)
        finally:
            cursor.close()
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
        with _deferred_spatial_index(conn, table.name, geometry_column):
            conn.exec_driver_sql(sql, rows)
    return list(data[pk.name])


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


def _new_ids(session: Session, table: Table, pk: Column, n: int) -> list[int]:
    if dialect_name(session) == "postgresql":
        sequence = session.execute(
            text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": pk.name}
        ).scalar()
        if sequence is None:
            raise ValueError(f"{table.name}.{pk.name} has no sequence")
        query = text("SELECT nextval(CAST(:s AS regclass)) FROM generate_series(1, :n)")
        return list(session.execute(query, {"s": sequence, "n": n}).scalars().all())
    start = session.execute(select(func.coalesce(func.max(pk), 0))).scalar_one()
    return list(range(int(start) + 1, int(start) + 1 + n))


def _with_default(column: Column, values: list[Any] | None, n: int) -> list[Any]:
    default = column.default
    if default is None:
        return values if values is not None else [None] * n
    if default.is_callable:
        make = default.arg
        fill = make(None)
        values = values if values is not None else [None] * n
        return [fill if v is None else v for v in values]
    fill = default.arg
    if values is None:
        return [fill] * n
    return [fill if v is None else v for v in values]


def _processed(values: list[Any], process) -> list[Any]:
    """Apply a bind processor; a column holding one value in every row is converted once."""
    first = values[0] if values else None
    if all(v is first for v in values):
        return [None if first is None else process(first)] * len(values)
    return [None if v is None else process(v) for v in values]
