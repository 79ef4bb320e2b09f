"""Rebuilding the name index from the registry (after a restore, or to time a full build)."""

from __future__ import annotations

from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

_TRIGGER_SQL = sql_text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = :name")


def rebuild(session: Session) -> int:
    """Replace every ``name_entry`` row by those of the current names, aliases and former names.

    The triggers keep the entries current on every write, so this is needed only when they were
    bypassed (a restore of ``place_name`` without ``name_entry``). Returns the number of entries.
    """
    conn = session.connection()
    postgres = conn.dialect.name == "postgresql"
    if postgres:
        conn.execute(sql_text("DROP INDEX IF EXISTS ix_name_entry_grams"))
        conn.execute(sql_text("TRUNCATE name_entry RESTART IDENTITY"))
    else:  # empty both at once, without the trigger deleting entry by entry from FTS5
        trigger = conn.execute(_TRIGGER_SQL, {"name": "name_entry_fts_delete"}).scalar_one()
        conn.execute(sql_text("DROP TRIGGER name_entry_fts_delete"))
        conn.execute(sql_text("DELETE FROM name_entry"))
        conn.execute(sql_text("INSERT INTO name_entry_fts (name_entry_fts) VALUES ('delete-all')"))
        conn.execute(sql_text(trigger))
    for statement in fill_statements(postgres=postgres):
        conn.execute(sql_text(statement))
    if postgres:
        conn.execute(sql_text("CREATE INDEX ix_name_entry_grams ON name_entry USING gin (grams)"))
    return conn.execute(sql_text("SELECT count(*) FROM name_entry")).scalar_one()


def fill_statements(*, postgres: bool) -> tuple[str, str]:
    """``INSERT … SELECT`` of the entries of every place (name, then aliases), then of every former name."""
    pinyin = _pg_pinyin if postgres else _sqlite_pinyin
    if postgres:
        aliases = (
            "json_array_elements_text(CASE WHEN json_typeof(p.aliases) = 'array' THEN p.aliases "
            "ELSE '[]' END) WITH ORDINALITY AS e(value, key)"
        )
        texts = "e.value <> ''"
    else:
        aliases = (
            "json_each(CASE WHEN json_valid(p.aliases) AND json_type(p.aliases) = 'array' "
            "THEN p.aliases ELSE '[]' END) AS e"
        )
        texts = "e.type = 'text' AND e.value <> ''"
    return (
        "INSERT INTO name_entry (place_id, kind, source_id, text, pinyin) "
        "SELECT place_id, kind, NULL, text, pinyin FROM ("
        f"SELECT id AS place_id, 'name' AS kind, name AS text, coalesce(pinyin_key, {pinyin('name')}) "
        "AS pinyin, -1 AS n FROM place_name UNION ALL "
        f"SELECT p.id, 'alias', e.value, {pinyin('e.value')}, e.key FROM place_name AS p, {aliases} "
        f"WHERE {texts}) AS s ORDER BY place_id, n",
        "INSERT INTO name_entry (place_id, kind, source_id, text, pinyin) "
        f"SELECT place_name_id, 'former', id, name, {pinyin('name')} FROM former_name ORDER BY id",
    )


def _pg_pinyin(expr: str) -> str:
    return f"name_pinyin({expr})"


def _sqlite_pinyin(expr: str) -> str:
    ch = f"substr({expr}, p_.i, 1)"
    return (
        f"(SELECT coalesce(group_concat(py, ''), '') FROM (SELECT coalesce(c_.py, lower({ch})) AS py "
        f"FROM name_pos AS p_ LEFT JOIN name_char_pinyin AS c_ ON c_.ch = {ch} "
        f"WHERE p_.i <= length({expr}) AND {ch} NOT IN (' ', char(9), char(10), char(13), char(12288)) "
        "ORDER BY p_.i))"
    )
