"""The order of the items: the features that show each field's type first, then the others by key.

QGIS 3.22 (and any client without schema support) types its fields from the first page of ten
items; a field empty in all of them becomes text. So an unfiltered listing starts with, for each
nullable number, boolean or date property, the first feature (by key) where it has a value,
then goes on by key. The order is the same on every page, so paging stays consistent.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import case
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from webmap.ogcapi.collections import Collection

_CACHE: dict[str, tuple[float, tuple[Any, ...]]] = {}


def page_keys(
    session: Session, coll: Collection, where: list[Any], *, limit: int, offset: int, typed_first: bool
) -> list[Any]:
    """The keys of one page of the features matching ``where``, in the served order."""
    key = coll.table.c[coll.id_column]
    first = exemplars(session, coll) if typed_first else ()
    head = list(first[offset : offset + limit])
    rest_limit = limit - len(head)
    if rest_limit <= 0:
        return head
    stmt = select(key).where(*where).order_by(key).limit(rest_limit).offset(max(offset - len(first), 0))
    if first:
        stmt = stmt.where(key.not_in(first))
    return head + list(session.scalars(stmt))


def exemplars(session: Session, coll: Collection, *, ttl: float = 300.0) -> tuple[Any, ...]:
    """For each nullable typed property, the first key where it has a value (cached ``ttl`` seconds)."""
    cache_key = f"{session.get_bind().url}:{coll.id}"
    hit = _CACHE.get(cache_key)
    if hit and time.monotonic() - hit[0] < ttl:
        return hit[1]
    t = coll.table
    key = t.c[coll.id_column]
    typed = [
        p
        for p in coll.properties
        if p != coll.id_column and t.c[p].nullable and coll.column_type(p) != "string"
    ]
    found: tuple[Any, ...] = ()
    if typed:
        firsts = [func.min(case((t.c[p].is_not(None), key))) for p in typed]
        where = [*coll.public_filters(), t.c[coll.geometry_column].is_not(None)]
        row = session.execute(select(*firsts).where(*where)).one()
        found = tuple(sorted({v for v in row if v is not None}))
    _CACHE[cache_key] = (time.monotonic(), found)
    return found
