"""The name index in the database: substring and typo-candidate lookups over ``name_entry``.

Every standard name, alias and former name is a row of ``name_entry`` (place, kind, text, pinyin
key), kept current by triggers in the writing transaction (migration 0004). Its n-grams (the
characters and character bigrams of the text, the letter trigrams of the pinyin key) are indexed:
on PostgreSQL as a ``text[]`` column under a GIN index (``grams @> ARRAY[...]``), on SQLite in a
contentless FTS5 table whose rowid is the entry id (``MATCH '"g1" "g2"'``). A substring lookup
selects the candidates through a few n-grams of the query and verifies them in SQL; a typo lookup
counts, per entry, how many of the query's n-grams it shares (each n-gram's postings read up to a
budget) and returns the best-sharing entries for scoring.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from placenames.search.grams import cover
from placenames.search.grams import grams

#: How many candidates a typo lookup returns at most (the best-sharing entries).
TYPO_CANDIDATES = 300
#: Postings a typo lookup reads at most, shared out among the query's n-grams.
FUZZY_POSTINGS = 6_000


class Hit(NamedTuple):
    """One entry found: the entry id, its place, kind (``name``, ``alias``, ``former``), text, pinyin key."""

    id: int
    place_id: int
    kind: str
    text: str
    pinyin: str


def substring(session: Session, query: str, *, pinyin: bool = False, limit: int = 200) -> list[Hit]:
    """Entries whose text (or pinyin key) contains ``query``, shortest first, then oldest entry first."""
    selected = cover(query, 3 if pinyin else 2)
    if not selected:
        return []
    column = "pinyin" if pinyin else "text"
    dialect = _dialect(session)
    where = dialect.having(selected)
    if where is None:  # no indexable n-gram (punctuation only): verify every entry
        where = "1 = 1"
    stmt = sql_text(
        f"SELECT e.id, e.place_id, e.kind, e.text, e.pinyin FROM name_entry AS e WHERE {where} "
        f"AND {dialect.contains(column)} ORDER BY length(e.{column}), e.id LIMIT :n"
    )
    rows = session.connection().execute(stmt, {**dialect.params(selected), "q": query, "n": limit})
    return [Hit(*row) for row in rows]


def similar(session: Session, query: str, *, pinyin: bool = False) -> list[tuple[Hit, int]]:
    """Entries sharing n-grams with ``query``, with how many they share; most shared first.

    Chinese text: character bigrams (single characters below three characters); pinyin keys:
    letter trigrams. Each n-gram's postings are read up to an equal share of
    :data:`FUZZY_POSTINGS`.
    """
    if pinyin:
        selected = sorted(grams(query, 3))
    else:
        selected = sorted(grams(query, 2) if len(query) > 2 else set(query))
    dialect = _dialect(session)
    parts = [dialect.postings(i) for i, gram in enumerate(selected) if dialect.indexable(gram)]
    if not parts:
        return []
    budget = max(FUZZY_POSTINGS // len(parts), 50)
    stmt = sql_text(
        "SELECT e.id, e.place_id, e.kind, e.text, e.pinyin, t.n FROM (SELECT id, count(*) AS n FROM ("
        + " UNION ALL ".join(parts)
        + ") AS c GROUP BY id ORDER BY count(*) DESC, id LIMIT :top) AS t "
        "JOIN name_entry AS e ON e.id = t.id ORDER BY t.n DESC, e.id"
    )
    values = {f"g{i}": dialect.term(gram) for i, gram in enumerate(selected)}
    rows = session.connection().execute(stmt, {**values, "b": budget, "top": TYPO_CANDIDATES})
    return [(Hit(*row[:5]), row[5]) for row in rows]


def entries_of(session: Session, place_id: int) -> list[Hit]:
    """The entries of one place, oldest first."""
    stmt = sql_text("SELECT id, place_id, kind, text, pinyin FROM name_entry WHERE place_id = :p ORDER BY id")
    return [Hit(*row) for row in session.connection().execute(stmt, {"p": place_id})]


def _dialect(session: Session) -> _Postgres | _Sqlite:
    return _POSTGRES if session.get_bind().dialect.name == "postgresql" else _SQLITE


class _Postgres:
    """n-grams as a ``text[]`` column under GIN."""

    @staticmethod
    def indexable(gram: str) -> bool:
        return bool(gram)

    @staticmethod
    def having(selected: list[str]) -> str:
        return "e.grams @> CAST(:grams AS text[])"

    @staticmethod
    def params(selected: list[str]) -> dict:
        return {"grams": selected}

    @staticmethod
    def contains(column: str) -> str:
        return f"strpos(e.{column}, :q) > 0"

    @staticmethod
    def postings(i: int) -> str:
        return f"(SELECT id FROM name_entry WHERE grams @> ARRAY[CAST(:g{i} AS text)] LIMIT :b)"

    @staticmethod
    def term(gram: str) -> str:
        return gram


class _Sqlite:
    """n-grams as the tokens of a contentless FTS5 table (its rowid is the entry id)."""

    @staticmethod
    def indexable(gram: str) -> bool:
        # FTS5's tokenizer drops separators: a gram of punctuation only has no token to look up.
        return any(ch.isalnum() for ch in gram)

    @classmethod
    def having(cls, selected: list[str]) -> str | None:
        if not any(cls.indexable(g) for g in selected):
            return None
        return "e.id IN (SELECT rowid FROM name_entry_fts WHERE name_entry_fts MATCH :m)"

    @classmethod
    def params(cls, selected: list[str]) -> dict:
        return {"m": " ".join(cls.term(g) for g in selected if cls.indexable(g))}

    @staticmethod
    def contains(column: str) -> str:
        return f"instr(e.{column}, :q) > 0"

    @staticmethod
    def postings(i: int) -> str:
        return f"SELECT * FROM (SELECT rowid AS id FROM name_entry_fts WHERE name_entry_fts MATCH :g{i} LIMIT :b)"

    @staticmethod
    def term(gram: str) -> str:
        return '"' + gram.replace('"', '""') + '"'


_POSTGRES = _Postgres()
_SQLITE = _Sqlite()
