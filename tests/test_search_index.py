"""The name index in the database: triggers keep ``name_entry`` current; a rebuild gives the same entries."""

from __future__ import annotations

import pytest
from names_fixtures import TOWN
from names_fixtures import seed_divisions
from shapely.geometry import Point
from sqlalchemy import insert
from sqlalchemy import text

from placenames import search
from placenames import store
from placenames.models import FormerName
from placenames.models import PlaceName
from placenames.search import entries
from placenames.search.entries import similar
from placenames.search.entries import substring
from placenames.search.grams import cover
from tests.conftest import only_backends


def _entries(session) -> list[tuple]:
    rows = session.execute(text("SELECT place_id, kind, source_id, text, pinyin FROM name_entry ORDER BY id"))
    return [tuple(r) for r in rows]


@pytest.fixture
def registry(session):
    seed_divisions(session)
    made = {}
    for name, category, aliases in (("海勃湾区", "213", ["海区"]), ("甘德尔山", "131", ["甘德尔", "长安山"]),
                                    ("人民路", "253", [])):  # fmt: skip
        made[name] = store.propose(session, actor="t", name=name, category_code=category, division_code=TOWN,
                                   geom=Point(106.81, 39.68), aliases=aliases)  # fmt: skip
    return session, made


def test_writes_keep_the_entries_current(registry):
    session, made = registry
    hill = made["甘德尔山"]
    assert [(e.kind, e.text, e.pinyin) for e in search.entries_of(session, hill.id)] == [
        ("name", "甘德尔山", "gandeershan"),
        ("alias", "甘德尔", "gandeer"),
        ("alias", "长安山", "zhanganshan"),  # aliases: each character's most common reading
    ]
    store.rename(session, hill.id, actor="t", new_name="甘德山", reason="x", justification="x")
    kinds = [(e.kind, e.text) for e in search.entries_of(session, hill.id)]
    assert sorted(kinds) == [
        ("alias", "甘德尔"),
        ("alias", "长安山"),
        ("former", "甘德尔山"),
        ("name", "甘德山"),
    ]
    hill.aliases = ["德山"]
    session.flush()
    assert sorted(e.text for e in search.entries_of(session, hill.id) if e.kind == "alias") == ["德山"]
    session.query(FormerName).filter_by(place_name_id=hill.id).delete()
    session.flush()
    assert [e.kind for e in search.entries_of(session, hill.id)].count("former") == 0
    road = made["人民路"]
    session.execute(text("DELETE FROM name_event WHERE place_name_id = :p"), {"p": road.id})
    session.delete(road)
    session.flush()
    assert search.entries_of(session, road.id) == []


def test_a_bulk_insert_is_indexed(registry):
    session, _ = registry
    session.execute(insert(PlaceName), [{"name": "乌达路", "category_code": "253", "status": "announced",
                                         "pinyin_key": "wudalu", "initials": "wdl", "aliases": ["乌达"],
                                         "author": "t"}])  # fmt: skip
    assert [r["name"] for r in search.search(session, "达路")] == ["乌达路"]
    assert [h.text for h in substring(session, "乌达")] == ["乌达", "乌达路"]


def test_rebuild_gives_the_entries_the_triggers_wrote(registry):
    session, made = registry
    store.rename(session, made["人民路"].id, actor="t", new_name="人民大街", reason="x", justification="x")
    before = sorted(_entries(session))
    assert search.rebuild(session) == len(before)
    assert sorted(_entries(session)) == before
    assert [h.text for h in substring(session, "德尔")] == ["甘德尔", "甘德尔山"]  # the n-grams too
    assert [h.text for h in substring(session, "deer", pinyin=True)] == ["甘德尔", "甘德尔山"]


def test_lookups_match_a_scan(registry):
    session, _ = registry
    for query, pinyin in (("海", False), ("德尔山", False), ("人民路", False), ("区", False), ("haibo", True),
                          ("anshan", True), ("'; --", False)):  # fmt: skip
        column = "pinyin" if pinyin else "text"
        scan = session.execute(
            text(f"SELECT id FROM name_entry WHERE {column} LIKE :p ORDER BY length({column}), id"),
            {"p": f"%{query}%"},
        ).scalars()
        assert [h.id for h in substring(session, query, pinyin=pinyin)] == list(scan), query


def test_typo_candidates_share_most_grams_first(registry):
    session, _ = registry
    found = similar(session, "海勃弯区")
    assert found[0][0].text == "海勃湾区"
    assert [n for _, n in found] == sorted((n for _, n in found), reverse=True)


@pytest.mark.parametrize(
    ("query", "n", "expected"),
    [("人民", 2, ["人民"]), ("人民北路", 2, ["人民", "北路"]), ("海勃湾区街", 2, ["海勃", "湾区", "区街"]),
     ("haibowan", 3, ["hai", "bow", "wan"]), ("路", 2, ["路"]), ("", 2, [])],
)  # fmt: skip
def test_cover(query, n, expected):
    assert cover(query, n) == sorted(expected)


def test_the_triggers_exist_at_head(session, backend):
    """A later migration rebuilding ``place_name`` or ``former_name`` on SQLite must recreate them."""
    if backend == "spatialite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'name_entry%'"
    else:
        sql = "SELECT DISTINCT tgname FROM pg_trigger WHERE tgname LIKE 'name_entry%'"
    names = set(session.execute(text(sql)).scalars())
    expected = {
        f"name_entry_{table}_{op}" for table in ("place", "former") for op in ("insert", "update", "delete")
    }
    assert expected <= names


@only_backends("postgis")
def test_postgres_asks_the_index_for_the_rarest_grams(registry):
    session, _ = registry
    rows = [{"name": f"{a}{b}花园小区", "category_code": "241", "status": "announced", "author": "t",
             "aliases": []} for a in "金银华锦富嘉瑞祥和泰" for b in "康宁安盛鑫隆兴昌源丰"]  # fmt: skip
    session.execute(insert(PlaceName), rows)
    session.execute(text("ANALYZE name_entry"))
    entries._STATS.clear()
    query = "甘德尔山花园小区"
    chosen = entries._Postgres.selective(session, query, 2)
    assert len(chosen) == entries.SELECTIVE_GRAMS
    assert "花园" not in chosen and "小区" not in chosen  # in 100 names each: left to the check
    scan = session.execute(
        text("SELECT id FROM name_entry WHERE text LIKE :p ORDER BY length(text), id"), {"p": "%花园小区%"}
    ).scalars()
    assert [h.id for h in substring(session, "花园小区")] == list(scan)[:200]
