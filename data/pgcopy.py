"""PostgreSQL ``COPY ... FROM STDIN`` of Python columns through psycopg's own ``COPY`` support.

Rows go in the binary format, with the column types given to psycopg (``Copy.set_types``) and
each row written by ``Copy.write_row``, when every value has an exact binary form for its
column's type: the Python types psycopg's binary dumpers write exactly, integers within the
column's range (psycopg's compiled dumpers would wrap an out-of-range one round), time stamps
with a time zone. These checks run over each column before the ``COPY`` starts. If any value
fails them the whole batch goes in the text format instead, dumped by psycopg's adapters for
the values' own Python types and parsed by the server, which then refuses what does not fit.

Either way an error fails the ``COPY`` and with it the caller's transaction: nothing is
half-written. Geometries travel as EWKB (binary; the geometry column receives the bytes as its
binary form) or its hexadecimal text. A second thread sends the rows while the next are dumped
(psycopg's ``QueuedLibpqWriter``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from collections.abc import Sequence
from datetime import date
from datetime import datetime
from typing import Any

import numpy as np
import shapely
from psycopg.copy import QueuedLibpqWriter
from psycopg.types.json import Json
from psycopg.types.json import Jsonb

from gis.crs import STORAGE_SRID

_COLUMN_TYPES = """
SELECT a.attname, a.atttypid::regtype::text
FROM pg_attribute AS a
WHERE a.attrelid = CAST(%s AS regclass) AND a.attnum > 0 AND NOT a.attisdropped
"""
_INTEGER_RANGES = {
    "smallint": (-(2**15), 2**15 - 1),
    "integer": (-(2**31), 2**31 - 1),
    "bigint": (-(2**63), 2**63 - 1),
}
#: PostgreSQL type -> the Python types psycopg's binary dumpers write exactly for it.
_EXACT: dict[str, set[type]] = {
    **dict.fromkeys(_INTEGER_RANGES, {int}),
    "real": {float, int},
    "double precision": {float, int},
    "character varying": {str},
    "text": {str},
    "boolean": {bool},
    "date": {date},
    "timestamp with time zone": {datetime},
}
_JSON = {"json": Json, "jsonb": Jsonb}


def copy_rows(
    raw: Any,
    table: str,
    names: list[str],
    columns: list[Sequence[Any]],
    geoms: np.ndarray,
    geometry_column: str,
) -> str:
    """``COPY table (names..., geometry_column) FROM STDIN``: ``columns`` in ``names`` order, then ``geoms``.

    Parameters
    ----------
    raw
        The psycopg connection (inside the caller's transaction).
    table
        Table name.
    names, columns
        Column names and their values (``None`` for NULL; JSON columns as Python objects).
    geoms
        Shapely geometries in the storage CRS.
    geometry_column
        Name of the geometry column.

    Returns
    -------
    str
        The format used: ``"binary"`` or ``"text"``.
    """
    with raw.cursor() as cursor:
        types = dict(cursor.execute(_COLUMN_TYPES, (f'"{table}"',)).fetchall())
    pg_types = [types[name] for name in names]
    columns = [_json_wrapped(values, _JSON.get(t)) for values, t in zip(columns, pg_types, strict=True)]
    target = ", ".join(f'"{name}"' for name in [*names, geometry_column])
    with_srid = shapely.set_srid(geoms, STORAGE_SRID)
    if all(_binary_exact(t, values) for t, values in zip(pg_types, columns, strict=True)):
        ewkb = shapely.to_wkb(with_srid, include_srid=True)
        sql = f'COPY "{table}" ({target}) FROM STDIN WITH (FORMAT binary)'
        _copy(raw, sql, [*pg_types, "bytea"], zip(*columns, ewkb.tolist(), strict=True))
        return "binary"
    hexed = shapely.to_wkb(with_srid, hex=True, include_srid=True)
    _copy(raw, f'COPY "{table}" ({target}) FROM STDIN', None, zip(*columns, hexed.tolist(), strict=True))
    return "text"


def _copy(raw: Any, sql: str, types: list[str] | None, rows) -> None:
    """Run ``sql`` (a ``COPY ... FROM STDIN``) writing ``rows``, typed by ``types`` when given."""
    with raw.cursor() as cursor, cursor.copy(sql, writer=QueuedLibpqWriter(cursor)) as copy:
        if types is not None:
            copy.set_types(types)
        for row in rows:
            copy.write_row(row)


def _binary_exact(pg_type: str, values: Sequence[Any]) -> bool:
    """Whether every non-NULL value has an exact binary form for ``pg_type``."""
    if pg_type in _JSON:
        return True
    accepted = _EXACT.get(pg_type)
    if accepted is None:
        return False
    kinds = set(map(type, values))
    nulls = type(None) in kinds
    kinds.discard(type(None))
    if not kinds <= accepted:
        return False
    if pg_type in _INTEGER_RANGES and kinds:
        low, high = _INTEGER_RANGES[pg_type]
        present = [v for v in values if v is not None] if nulls else values
        return low <= min(present) and max(present) <= high
    # A naive time means the session's time zone: left to the text format.
    if pg_type == "timestamp with time zone" and kinds:
        return all(v.utcoffset() is not None for v in set(values) - {None})
    return True


def _json_wrapped(values: Sequence[Any], wrapper: Callable | None) -> Sequence[Any]:
    """JSON values wrapped for psycopg's JSON dumpers (other columns as they are)."""
    if wrapper is None:
        return values
    return [None if v is None else wrapper(v, dumps=_json_text) for v in values]


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
