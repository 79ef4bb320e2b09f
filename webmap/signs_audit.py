"""The sign audit's findings kept per data generation, shared by the audit page and its API.

Auditing the whole city reads every sign, road and standard name and takes seconds, while the
findings change only when the data does. The findings of each division (``""`` for the whole
city) are therefore kept in the application for as long as

- the data generation (:func:`gis.history.generation`, the latest audit entry) is unchanged:
  every write recorded by the application moves it, in this process or any other; and
- they are younger than :data:`MAX_AGE_S`, which bounds how long a change the application did not
  record (SQL typed by hand, another tool writing to the tables) stays invisible.

Filters (kind, severity) and pages apply to the kept findings, so changing a filter or a page
costs no audit. The generation is read in the request's own session before the audit, so the
findings are never newer than the generation they are kept under (never older on SQLite, whose
read transaction is one snapshot; on PostgreSQL a write committed in between only makes the next
request audit again).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

import geopandas as gpd
from flask import current_app

from gis.history import generation as data_generation
from placenames.signs import queries as sign_queries
from webmap.db import get_session

#: Divisions whose findings are kept at once (the whole city counts as one), least recently used
#: dropped first.
MAX_ENTRIES = 8
#: Seconds after which kept findings are audited again even without a recorded write.
MAX_AGE_S = 600.0
_KEY = "wuhai_signs_audit"
_LOCK = threading.Lock()


def audit_findings(division_code: str | None = None) -> gpd.GeoDataFrame:
    """The audit findings of the whole city (``None``) or of one division, at the current data
    generation: kept from an earlier request when the data has not changed since.

    The frame returned is shared between requests: filter it (``audit.filter_findings`` makes a
    new frame), never change it in place.
    """
    session = get_session()
    generation = data_generation(session)
    key = division_code or ""
    store, compute_lock = _store(key)
    found = _fresh(store["findings"].get(key), generation)
    if found is not None:
        return found
    with compute_lock:  # one audit per division at a time; the others wait for its result
        found = _fresh(store["findings"].get(key), generation)
        if found is None:
            found = sign_queries.run_audit(session, division_code=division_code or None)
            _keep(store, key, (generation, time.monotonic(), found))
    return found


def _store(key: str) -> tuple[dict, threading.Lock]:
    """This application's kept findings and the lock under which ``key`` is audited."""
    with _LOCK:
        store = current_app.extensions.setdefault(_KEY, {"findings": OrderedDict(), "locks": {}})
        return store, store["locks"].setdefault(key, threading.Lock())


def _keep(store: dict, key: str, entry: tuple) -> None:
    with _LOCK:
        kept, locks = store["findings"], store["locks"]
        kept[key] = entry
        kept.move_to_end(key)
        while len(kept) > MAX_ENTRIES:
            kept.popitem(last=False)
        for other in [k for k, lock in locks.items() if k not in kept and not lock.locked()]:
            del locks[other]


def _fresh(entry: tuple | None, generation: str) -> gpd.GeoDataFrame | None:
    if entry is None:
        return None
    at_generation, created, found = entry
    if at_generation != generation or time.monotonic() - created >= MAX_AGE_S:
        return None
    return found
