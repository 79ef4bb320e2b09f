"""The shared in-memory name index of each database, and the check that it is current.

Each search sends, in the same statement as its prefix ranges, a few primary-key lookups and one
short range count (:data:`GENERATION_SQL`): the highest ids of ``audit_log``, ``place_name`` and
``former_name``, the time of the audit entry the index was last brought up to (its *anchor*), and
how many audit entries have an id above ``anchor - WINDOW``. The index is current when these are
what it recorded, so a search costs one round trip. Otherwise it is refreshed from one consistent
snapshot of the audit entries above ``anchor - WINDOW``:

- entries above the anchor name the places to re-read (``row_key``); ``place_name`` and
  ``former_name`` rows above the recorded highest ids name places written without an entry;
- an entry below the anchor that appeared (its transaction committed after a later one) or
  vanished (its transaction rolled back after a search had seen it) re-reads its places;
- a vanished or replaced anchor (rolled back; SQLite reuses ids), shrinking ids, a bulk load
  (``row_key`` ``*``) or more than :data:`INCREMENTAL_LIMIT` places rebuild the index.

Not noticed: a transaction committing or rolling back audit entries that lie more than
:data:`WINDOW` ids below the anchor (it stayed open while that many later entries were written).

Besides the n-grams the index holds each place's display fields (:class:`Place`), so a search
without a spatial filter returns its results without another query.
"""

from __future__ import annotations

import math
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from sqlalchemy import bindparam
from sqlalchemy import literal_column
from sqlalchemy import select
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from placenames.models import FormerName
from placenames.models import PlaceName
from placenames.romanize import pinyin_key
from placenames.search.index import Entry
from placenames.search.index import NameIndex
from placenames.search.index import Place

#: Audit ids below the anchor whose appearance or disappearance is noticed (concurrent writers).
WINDOW = 500
#: Most changed places applied incrementally to the in-memory index (more: rebuild).
INCREMENTAL_LIMIT = 2000
#: Rows ``(k, id, txt)`` appended with ``UNION ALL`` to a search's query; parameters from :func:`params`.
GENERATION_SQL = (
    "SELECT 'ga' AS k, (SELECT max(id) FROM audit_log) AS id, "
    "(SELECT CAST(at AS VARCHAR(40)) FROM audit_log WHERE id = :g_anchor) AS txt UNION ALL "
    "SELECT 'gw', (SELECT count(*) FROM audit_log WHERE id > :g_low), NULL UNION ALL "
    "SELECT 'gp', (SELECT max(id) FROM place_name), NULL UNION ALL "
    "SELECT 'gf', (SELECT max(id) FROM former_name), NULL"
)
KINDS = frozenset(("ga", "gw", "gp", "gf"))
_GENERATION = sql_text(GENERATION_SQL)
_TOP_AUDIT = sql_text("SELECT max(id) FROM audit_log")
#: One snapshot: the generation as it will be recorded, the audit entries above ``since`` and the
#: places or former names above the recorded highest ids.
_SNAPSHOT = sql_text(
    "SELECT 'ga' AS k, id, CAST(at AS VARCHAR(40)) AS txt, NULL AS tbl FROM audit_log "
    "WHERE id = (SELECT max(id) FROM audit_log) UNION ALL "
    "SELECT 'gp', (SELECT max(id) FROM place_name), NULL, NULL UNION ALL "
    "SELECT 'gf', (SELECT max(id) FROM former_name), NULL, NULL UNION ALL "
    "SELECT 'a', id, row_key, table_name FROM audit_log WHERE id > :since UNION ALL "
    "SELECT 'p', id, NULL, NULL FROM place_name WHERE id > :place UNION ALL "
    "SELECT 'f', place_name_id, NULL, NULL FROM former_name WHERE id > :former"
)
_NONE_ABOVE = 2**31 - 1
_LABEL_POINT = literal_column("ST_AsBinary(ST_PointOnSurface(place_name.geom))")
_LOCK = threading.Lock()


@dataclass
class _State:
    """An index and what it was brought up to."""

    index: NameIndex
    #: ``(audit max id, its time as text, audit ids above max - WINDOW, place max id, former max id)``
    seen: tuple
    #: Audit ids above ``max - WINDOW`` and the places each touched.
    window: dict[int, tuple[int, ...]]


_STATES: dict[str, _State] = {}


def cache_key(session: Session) -> str:
    """The database a session works on."""
    return session.get_bind().engine.url.render_as_string(hide_password=True)


def cached(key: str) -> _State | None:
    """The state of the index of database ``key`` (possibly out of date), if any."""
    return _STATES.get(key)


def params(state: _State | None) -> dict[str, int]:
    """Parameters of :data:`GENERATION_SQL` for an index in ``state``."""
    anchor = (state.seen[0] or 0) if state is not None else 0
    return {"g_anchor": anchor, "g_low": anchor - WINDOW}


def generation(rows: Iterable[Any]) -> tuple:
    """The generation from the :data:`GENERATION_SQL` rows ``(k, id, txt)`` of a result."""
    got = {k: (value, txt) for k, value, txt in rows}
    return (got["ga"][0], got["ga"][1], got["gw"][0], got["gp"][0], got["gf"][0])


def current_index(session: Session, key: str, state: _State | None, now: tuple) -> NameIndex:
    """The index of ``key``, refreshed unless ``now`` (read with ``params(state)``) shows it is current."""
    if state is not None and now == state.seen:
        return state.index
    with _LOCK:
        latest = _STATES.get(key)
        if latest is not state:  # another thread moved it on: compare afresh
            state = latest
            now = _read_generation(session, state)
            if state is not None and now == state.seen:
                return state.index
        fresh = _refresh(session, state, now) if state is not None else None
        if fresh is None:
            fresh = _build(session)
        _STATES[key] = fresh
    return fresh.index


def name_index(session: Session) -> NameIndex:
    """The n-gram index of the session's database, brought up to date when the registry changed."""
    if session.autoflush:
        session.flush()
    key = cache_key(session)
    state = _STATES.get(key)
    return current_index(session, key, state, _read_generation(session, state))


def invalidate() -> None:
    """Forget every cached index (after bulk loads that bypass the audit log)."""
    _STATES.clear()


def forget(session: Session, place_ids: set[int]) -> bool:
    """Drop vanished places from the cached index; whether there was anything to drop."""
    state = _STATES.get(cache_key(session))
    if state is None:
        return False
    present = {pid for pid in place_ids if pid in state.index.by_place or pid in state.index.places}
    if present:
        with _LOCK:
            state.index.replace(present, [])
    return bool(present)


def load(session: Session, *, place_ids: list[int] | None = None) -> tuple[list[Entry], dict[int, Place]]:
    """Index entries and display fields of every place (or of ``place_ids``)."""
    names = select(
        PlaceName.id, PlaceName.name, PlaceName.pinyin_key, PlaceName.aliases, PlaceName.romanized,
        PlaceName.category_code, PlaceName.division_code, PlaceName.status, _LABEL_POINT,
    )  # fmt: skip
    formers = select(FormerName.place_name_id, FormerName.name)
    if place_ids is not None:
        names = names.where(PlaceName.id.in_(place_ids))
        formers = formers.where(FormerName.place_name_id.in_(place_ids))
    names, formers = (
        names.order_by(PlaceName.id),
        formers.order_by(FormerName.id),
    )  # the same index every time
    rows = session.execute(names).all()
    entries: list[Entry] = []
    for pid, name, key, aliases, *_ in rows:
        entries.append(Entry(pid, name, "name", key or pinyin_key(name)))
        for alias in aliases or []:
            entries.append(Entry(pid, alias, "alias", pinyin_key(alias)))
    for pid, name in session.execute(formers):
        entries.append(Entry(pid, name, "former", pinyin_key(name)))
    points = shapely.from_wkb(
        np.array([None if r[8] is None else bytes(r[8]) for r in rows] or [None], dtype=object)
    )
    xs, ys = shapely.get_x(points).tolist(), shapely.get_y(points).tolist()
    intern = sys.intern
    places = {
        r[0]: Place(
            r[1], r[4], r[5] and intern(r[5]), r[6] and intern(r[6]), intern(r[7]), _coord(x), _coord(y)
        )
        for r, x, y in zip(rows, xs, ys, strict=False)
    }
    return entries, places


def _coord(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 6)


def _read_generation(session: Session, state: _State | None) -> tuple:
    return generation(session.connection().execute(_GENERATION, params(state)))


def _build(session: Session) -> _State:
    conn = session.connection()
    top = conn.execute(_TOP_AUDIT).scalar() or 0
    seen, audit, _ = _snapshot(session, since=top - WINDOW, place=_NONE_ABOVE, former=_NONE_ABOVE)
    index = NameIndex.build(*load(session))
    return _State(index, seen, _window(seen, audit, {}, _places_by_entry(session, audit)))


def _refresh(session: Session, state: _State, now: tuple) -> _State | None:
    """Apply the changes since ``state`` to its index, or ``None`` when a rebuild is due."""
    anchor, at, _count, place, former = state.seen
    if anchor is not None and now[1] != at:
        return None  # the anchor entry was rolled back (or its id reused)
    if any(
        old is not None and (new is None or new < old) for old, new in ((place, now[3]), (former, now[4]))
    ):
        return None  # rows vanished: rolled back or rewritten
    anchor = anchor or 0
    seen, audit, added = _snapshot(session, since=anchor - WINDOW, place=place or 0, former=former or 0)
    if anchor and anchor not in audit:
        return None
    known = state.window
    changed = [aid for aid in audit if aid > anchor or aid not in known]  # new, or committed late
    vanished = [aid for aid in known if aid not in audit]  # rolled back after a search saw it
    if any(audit[aid][0] == "*" for aid in changed):
        return None  # bulk load
    touched = _places_by_entry(session, {aid: audit[aid] for aid in changed})
    place_ids = added.union(*touched.values(), *(known[aid] for aid in vanished))
    if len(place_ids) > INCREMENTAL_LIMIT:
        return None
    if place_ids:
        state.index.replace(place_ids, *load(session, place_ids=sorted(place_ids)))
    return _State(state.index, seen, _window(seen, audit, known, touched))


def _snapshot(session: Session, *, since: int, place: int, former: int) -> tuple[tuple, dict, set[int]]:
    """Generation, audit entries above ``since`` (id -> (row_key, table)) and places added above ids."""
    top = at = place_max = former_max = None
    audit: dict[int, tuple[str, str]] = {}
    added: set[int] = set()
    for k, value, txt, table in session.connection().execute(
        _SNAPSHOT, {"since": since, "place": place, "former": former}
    ):
        if k == "a":
            audit[value] = (txt, table)
        elif k in ("p", "f"):
            added.add(value)
        elif k == "ga":
            top, at = value, txt
        elif k == "gp":
            place_max = value
        else:
            former_max = value
    low = (top or 0) - WINDOW
    count = sum(1 for aid in audit if aid > low)
    return (top, at, count, place_max, former_max), audit, added


def _window(seen: tuple, audit: dict, known: dict, touched: dict) -> dict[int, tuple[int, ...]]:
    """The audit entries of the new window and their places (recorded before, or just looked up)."""
    low = (seen[0] or 0) - WINDOW
    return {aid: known[aid] if aid in known else touched[aid] for aid in audit if aid > low}


def _places_by_entry(session: Session, entries: dict[int, tuple[str, str]]) -> dict[int, tuple[int, ...]]:
    """The place ids each audit entry ``(row_key, table)`` touched."""
    out: dict[int, tuple[int, ...]] = {}
    formers: dict[int, list[int]] = {}
    for aid, (row_key, table) in entries.items():
        out[aid] = ()
        if not row_key.isdigit():
            continue
        if table == "place_name":
            out[aid] = (int(row_key),)
        elif table == "former_name":
            formers.setdefault(int(row_key), []).append(aid)
    if formers:
        stmt = select(FormerName.id, FormerName.place_name_id).where(
            FormerName.id.in_(bindparam("ids", expanding=True))
        )
        for fid, pid in session.execute(stmt, {"ids": sorted(formers)}):
            for aid in formers[fid]:
                out[aid] = (pid,)
    return out
