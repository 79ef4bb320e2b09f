"""Search results come from the index in the database: a few statements, no index held in the
process, and every write (here or in another connection, committed, committed late or rolled
back) shows in the next search."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from names_fixtures import HBW
from names_fixtures import HN
from names_fixtures import TOWN
from names_fixtures import seed_divisions
from shapely.geometry import Point
from sqlalchemy import event

from gis import history
from gis.db import make_engine
from gis.db import make_session_factory
from placenames import search
from placenames import store
from placenames.models import PlaceName
from tests.conftest import only_backends

SPECS = (("人民路", "253", TOWN, Point(106.80, 39.67)), ("甘德尔山", "131", HBW, Point(106.87, 39.75)),
         ("海北大街", "253", HN, Point(106.82, 39.69)))  # fmt: skip


def _propose(session, name: str, category: str = "253", division: str = TOWN, geom=None) -> PlaceName:
    return store.propose(session, actor="t", name=name, category_code=category, division_code=division,
                         geom=geom or Point(106.81, 39.68))  # fmt: skip


@contextmanager
def _statements(engine):
    """The SQL statements sent to ``engine`` inside the block."""
    sent: list[str] = []

    def on_execute(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)


def _recategorise(session, pn: PlaceName, code: str) -> None:
    """An audited edit of the category (no store function changes it)."""
    before = history.snapshot(pn)
    pn.category_code = code
    session.flush()
    history.record(session, actor="t", action="update", obj=pn, before=before, reason="re-classified")


def _found(session, q: str, **filters) -> dict[str, dict]:
    return {r["name"]: r for r in search.search(session, q, **filters)}


def _matching(session, q: str) -> set[str]:
    """Names found other than as typos."""
    return {r["name"] for r in search.search(session, q) if r["match"] != "typo"}


@pytest.fixture
def registry(session):
    seed_divisions(session)
    made = {name: _propose(session, name, cat, div, geom) for name, cat, div, geom in SPECS}
    return session, made


@pytest.fixture
def shared(fresh_db_url):
    """Two engines on one database (two connections, as two processes would have), with names committed."""
    engines = [make_engine(fresh_db_url) for _ in range(3)]
    factories = [make_session_factory(e) for e in engines]
    with factories[0]() as session:
        seed_divisions(session)
        ids = {name: _propose(session, name, cat, div, geom).id for name, cat, div, geom in SPECS}
        session.commit()
    yield factories, ids
    for e in engines:
        e.dispose()


def test_a_search_without_typos_or_bbox_is_one_statement(registry):
    """Prefixes, the n-gram lookup (run only when the prefixes found too little) and the display
    fields in one statement; typo candidates and a bounding box add their own."""
    session, _ = registry
    engine = session.connection().engine
    session.flush()
    for q, filters in (("人民", {}), ("德尔", {}), ("rml", {}), ("人民", {"category": "25"}),
                       ("德尔", {"status": "proposed", "division": HBW}), ("人民路", {"limit": 1})):  # fmt: skip
        with _statements(engine) as sent:
            assert search.search(session, q, **filters), (q, filters)
        assert len(sent) == 1, (q, filters, sent)
        assert not any("audit_log" in statement for statement in sent)
    with _statements(engine) as sent:
        assert search.search(session, "人民", bbox=(106.79, 39.66, 106.83, 39.68))
    assert len(sent) == 2  # a bounding box describes the candidates in SQL
    with _statements(engine) as sent:
        assert search.search(session, "甘德儿山")[0]["match"] == "typo"
    assert len(sent) <= 4  # typo candidates (on SQLite after the n-grams' counts), then described


def test_status_category_division_and_place_changes_show_without_a_describe_query(registry):
    session, made = registry
    engine = session.connection().engine
    road = made["人民路"]
    before = search.search(session, "人民路")[0]
    assert (before["status"], before["category_code"], before["lon"], before["lat"]) == (
        "proposed",
        "253",
        106.8,
        39.67,
    )
    store.retire(session, road.id, actor="t", reason="merged")
    _recategorise(session, road, "254")
    store.update(session, road.id, actor="t", division_code=HBW, geom=Point(106.8111114, 39.6722226))
    session.flush()
    with _statements(engine) as sent:
        after = search.search(session, "人民路")[0]
    assert len(sent) == 1
    assert (after["id"], after["status"], after["category_code"], after["division_code"]) == (
        road.id,
        "retired",
        "254",
        HBW,
    )
    assert after["category_label"].startswith("254 ")
    assert (after["lon"], after["lat"]) == (106.811111, 39.672223)  # label point rounded to 6 decimals
    assert after["score"] == before["score"] - 15  # retired names rank lower
    assert search.search(session, "人民路", category="253") == []
    assert _found(session, "人民路", category="25")["人民路"]["category_code"] == "254"
    assert search.search(session, "人民路", status="proposed") == []
    assert _found(session, "人民路", status="retired")
    assert _found(session, "人民路", division=HBW) and not search.search(session, "人民路", division=TOWN)


def test_filters_in_memory_match_the_sql_filters(registry):
    session, _ = registry
    box = (106.0, 39.0, 107.5, 40.0)  # everything: the SQL path, for comparison
    for q in ("人民", "德尔山", "海北", "renmin", "hbdj", "甘德儿山"):
        for filters in ({}, {"category": "25"}, {"category": "131"}, {"division": HBW}, {"division": TOWN},
                        {"status": "proposed"}, {"status": "announced"}):  # fmt: skip
            assert search.search(session, q, **filters) == search.search(session, q, bbox=box, **filters), (
                q,
                filters,
            )


def test_committed_writes_of_another_connection_show_in_the_next_search(shared):
    (reader, writer, _), ids = shared
    with reader() as r:
        assert _found(r, "人民路")["人民路"]["status"] == "proposed"
        with writer() as w:
            store.retire(w, ids["人民路"], actor="t", reason="merged")
            store.rename(w, ids["甘德尔山"], actor="t", new_name="甘德山", reason="x", justification="x")
            _recategorise(w, w.get(PlaceName, ids["海北大街"]), "254")
            _propose(w, "乌达路")
            w.commit()
        r.commit()  # a new transaction, as the next request would have
        assert _found(r, "人民路")["人民路"]["status"] == "retired"
        assert _found(r, "德山")["甘德山"]["id"] == ids["甘德尔山"]
        assert _found(r, "甘德尔山")["甘德山"]["match"] == "former_exact"
        assert _found(r, "海北大街")["海北大街"]["category_code"] == "254"
        assert "乌达路" in _found(r, "达路")


def test_rolled_back_writes_are_not_returned(shared, backend):
    (reader, writer, _), ids = shared
    with writer() as w:
        search.search(w, "人民路")
        ghost = _propose(w, "乌达路")
        store.retire(w, ids["人民路"], actor="t", reason="merged")
        store.rename(w, ids["甘德尔山"], actor="t", new_name="甘德山", reason="x", justification="x")
        assert "乌达路" in _found(w, "达路")  # the writer sees its own writes
        assert _found(w, "人民路")["人民路"]["status"] == "retired"
        w.rollback()
    with reader() as r:
        assert "乌达路" not in _found(r, "达路")
        assert _found(r, "人民路")["人民路"]["status"] == "proposed"
        assert "甘德尔山" in _found(r, "德尔山") and "甘德山" not in _found(r, "德山")
    with writer() as w:  # later writes: PostgreSQL moves past the rolled-back ids, SQLite reuses them
        _propose(w, "海达路")
        w.commit()
    with reader() as r:
        found = _found(r, "达路")
        assert "海达路" in found and "乌达路" not in found
        assert found["海达路"]["id"] != ghost.id or backend == "spatialite"
        assert _found(r, "人民路")["人民路"]["status"] == "proposed"


def test_a_rolled_back_write_replaced_by_a_committed_one_with_the_same_ids(shared):
    (reader, writer, _), _ids = shared
    with writer() as w:
        _propose(w, "乌达路")
        assert "乌达路" in _found(w, "达路")
        w.rollback()
    with writer() as w:  # nobody searched in between: SQLite gives this write the same ids
        _propose(w, "海达路")
        w.commit()
    with reader() as r:
        found = _found(r, "达路")
        assert "海达路" in found and "乌达路" not in found


@only_backends("postgis")
def test_a_write_committed_after_a_later_one_is_found(shared):
    (reader, first, second), _ids = shared
    with first() as slow, second() as quick, reader() as r:
        _propose(slow, "乌达路")
        slow.flush()  # takes the lower audit id, commits last
        _propose(quick, "海达路")
        quick.commit()
        assert _matching(r, "达路") == {"海达路"}
        r.commit()
        slow.commit()
        assert _matching(r, "达路") == {"海达路", "乌达路"}


@only_backends("postgis")
def test_a_rolled_back_write_below_a_committed_one_is_forgotten(shared):
    (reader, first, second), ids = shared
    with first() as doomed, second() as quick, reader() as r:
        _propose(doomed, "乌达路")
        store.retire(doomed, ids["人民路"], actor="t", reason="merged")
        doomed.flush()  # its audit ids lie below the committed write's
        _propose(quick, "海达路")
        quick.commit()
        assert _matching(doomed, "达路") == {"海达路", "乌达路"}  # its own write and the committed one
        doomed.rollback()
        assert _matching(r, "达路") == {"海达路"}
        assert _found(r, "人民路")["人民路"]["status"] == "proposed"


def test_bulk_insert_without_audit_entries_is_indexed(shared):
    (reader, writer, _), _ids = shared
    with reader() as r:
        assert "乌达路" not in _found(r, "达路")
        r.commit()
        with writer() as w:
            w.add(PlaceName(name="乌达路", category_code="253", division_code=TOWN, status="announced",
                            pinyin_key="wudalu", initials="wdl", aliases=[], author="t"))  # fmt: skip
            w.commit()
        assert _found(r, "达路")["乌达路"]["status"] == "announced"
        assert _found(r, "wdl")["乌达路"]["lon"] is None  # no geometry
