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

import time
from typing import NamedTuple

from sqlalchemy import bindparam
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from placenames.search.grams import cover
from placenames.search.grams import grams

#: How many candidates a typo lookup returns at most (the best-sharing entries).
TYPO_CANDIDATES = 300
#: Postings a typo lookup reads at most (rarest n-grams first).
FUZZY_POSTINGS = 6_000
#: n-grams a substring lookup asks the GIN index for at most (PostgreSQL; the rarest ones).
SELECTIVE_GRAMS = 5
#: How long a process keeps PostgreSQL's n-gram statistics before reading them again.
STATS_SECONDS = 300.0
_STATS: dict[str, tuple] = {}
_STATS_SQL = sql_text(
    "SELECT greatest(c.reltuples, 0), s.most_common_elems::text::text[], s.most_common_elem_freqs "
    "FROM pg_class AS c LEFT JOIN pg_stats AS s ON s.tablename = 'name_entry' AND s.attname = 'grams' "
    "AND s.schemaname = current_schema() WHERE c.oid = CAST('name_entry' AS regclass)"
)


class Hit(NamedTuple):
    """One entry found: the entry id, its place, kind (``name``, ``alias``, ``former``), text, pinyin key."""

    id: int
    place_id: int
    kind: str
    text: str
    pinyin: str


def substring(session: Session, query: str, *, pinyin: bool = False, limit: int = 200) -> list[Hit]:
    """Entries whose text (or pinyin key) contains ``query``, shortest first, then oldest entry first."""
    found = substring_sql(session, query, pinyin=pinyin)
    if found is None:
        return []
    sql, values = found
    rows = session.connection().execute(sql_text(sql), {**values, "sn": limit})
    return [Hit(*row) for row in rows]


def substring_sql(session: Session, query: str, *, pinyin: bool = False) -> tuple[str, dict] | None:
    """The SQL of :func:`substring` (columns of :class:`Hit`, at most ``:sn`` rows) and its
    parameters, to run alone or inside a larger statement; ``None`` for an empty query."""
    dialect = _dialect(session)
    selected = dialect.selective(session, query, 3 if pinyin else 2)
    if not selected:
        return None
    column = "pinyin" if pinyin else "text"
    where = dialect.having(selected)
    if where is None:  # no indexable n-gram (punctuation only): verify every entry
        where = "1 = 1"
    sql = (
        f"SELECT e.id, e.place_id, e.kind, e.text, e.pinyin FROM name_entry AS e WHERE {where} "
        f"AND {dialect.contains(column)} ORDER BY length(e.{column}), e.id LIMIT :sn"
    )
    return sql, {**dialect.params(selected), "q": query}


def similar(session: Session, query: str, *, pinyin: bool = False) -> list[tuple[Hit, int]]:
    """Entries sharing n-grams with ``query``, with how many they share; most shared first.

    Chinese text: character bigrams (single characters below three characters); pinyin keys:
    letter trigrams. The rarest n-grams select the candidates (a typo spoils few of them, and
    common ones such as 路, 小区 or ``uan`` would only add noise at a high cost): their postings
    are read, rarest first, until :data:`FUZZY_POSTINGS` are spent.
    """
    short = not pinyin and len(query) <= 2
    wanted = set(query) if short else grams(query, 3 if pinyin else 2)
    dialect = _dialect(session)
    counts = dialect.frequencies(session, sorted(g for g in wanted if dialect.indexable(g)))
    parts, values, budget = [], {}, FUZZY_POSTINGS
    for gram in sorted(counts, key=lambda g: (counts[g], g)):
        if budget <= 0:
            break
        i = len(parts)
        parts.append(dialect.postings(i))
        values[f"g{i}"], values[f"b{i}"] = dialect.term(gram), budget
        budget -= max(counts[gram], 1)
    if not parts:
        return []
    stmt = sql_text(
        "SELECT e.id, e.place_id, e.kind, e.text, e.pinyin, t.n FROM (SELECT id, count(*) AS n FROM ("
        + " UNION ALL ".join(parts)
        + ") AS c GROUP BY id ORDER BY count(*) DESC, id LIMIT :top) AS t "
        "JOIN name_entry AS e ON e.id = t.id ORDER BY t.n DESC, e.id"
    )
    rows = session.connection().execute(stmt, {**values, "top": TYPO_CANDIDATES})
    return [(Hit(*row[:5]), row[5]) for row in rows]


def entries_of(session: Session, place_id: int) -> list[Hit]:
    """The entries of one place, oldest first."""
    stmt = sql_text("SELECT id, place_id, kind, text, pinyin FROM name_entry WHERE place_id = :p ORDER BY id")
    return [Hit(*row) for row in session.connection().execute(stmt, {"p": place_id})]


def _read_stats(session: Session) -> tuple[float, dict[str, float], float]:
    """Rows of ``name_entry``, the frequency of its most common n-grams, and the least of those."""
    row = session.connection().execute(_STATS_SQL).first()
    if row is None or row[1] is None:
        return float(row[0] if row else 0), {}, 0.0
    rows, elems, freqs = row
    common = dict(zip(elems, freqs[: len(elems)], strict=True))
    return float(rows), common, min(common.values(), default=0.0) / 2


def _dialect(session: Session) -> _Postgres | _Sqlite:
    return _POSTGRES if session.get_bind().dialect.name == "postgresql" else _SQLITE


class _Postgres:
    """n-grams as a ``text[]`` column under GIN."""

    @classmethod
    def selective(cls, session: Session, query: str, n: int) -> list[str]:
        """The query's rarest n-grams, overlapping or not (any of them selects every entry holding the query).

        The candidates are what the n-grams share, each fetched from the table to be checked, so the
        rarest few narrow them more than a non-overlapping cover whose n-grams may all be common
        (``uan``, ``yua``); statistics from :meth:`frequencies`.
        """
        if len(query) <= n:
            return [query] if query else []
        counts = cls.frequencies(session, sorted(grams(query, n)))
        ranked = sorted(counts, key=lambda g: (counts[g], g))
        return sorted(ranked[:SELECTIVE_GRAMS])

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
        return f"(SELECT id FROM name_entry WHERE grams @> ARRAY[CAST(:g{i} AS text)] LIMIT :b{i})"

    @staticmethod
    def frequencies(session: Session, selected: list[str]) -> dict[str, int]:
        """Estimated entries holding each n-gram, from the planner's statistics of ``grams``
        (its most common elements; any other n-gram counts as rarer than the rarest of them)."""
        key = session.get_bind().engine.url.render_as_string(hide_password=True)
        now = time.monotonic()
        cached = _STATS.get(key)
        if cached is None or now - cached[0] > STATS_SECONDS:
            cached = (now, *_read_stats(session))
            _STATS[key] = cached
        _, rows, common, floor = cached
        return {g: int(common.get(g, floor) * rows) for g in selected}

    @staticmethod
    def term(gram: str) -> str:
        return gram


class _Sqlite:
    """n-grams as the tokens of a contentless FTS5 table (its rowid is the entry id)."""

    @staticmethod
    def selective(session: Session, query: str, n: int) -> list[str]:
        """Non-overlapping n-grams covering the query (FTS5 intersects its doclists cheaply)."""
        return cover(query, n)

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
        return f"SELECT * FROM (SELECT rowid AS id FROM name_entry_fts WHERE name_entry_fts MATCH :g{i} LIMIT :b{i})"

    @staticmethod
    def frequencies(session: Session, selected: list[str]) -> dict[str, int]:
        """Entries holding each n-gram, from FTS5's vocabulary (its tokens are case-folded)."""
        if not selected:
            return {}
        folded = {g: g.lower() for g in selected}
        stmt = sql_text("SELECT term, doc FROM name_entry_vocab WHERE term IN :terms").bindparams(
            bindparam("terms", expanding=True)
        )
        docs = dict(session.connection().execute(stmt, {"terms": sorted(set(folded.values()))}).all())
        return {g: docs.get(folded[g], 0) for g in selected}

    @staticmethod
    def term(gram: str) -> str:
        return '"' + gram.replace('"', '""') + '"'


_POSTGRES = _Postgres()
_SQLITE = _Sqlite()
