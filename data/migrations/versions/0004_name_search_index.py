"""name search index in the database: one row per searchable text, n-grams under a GIN or FTS5 index

Every standard name, alias and former name becomes a row of ``name_entry`` (place, kind, text,
pinyin key). Its n-grams (the characters and character bigrams of the text, the letter trigrams
of the pinyin key) are indexed: on PostgreSQL as a ``text[]`` column under a GIN index, on
SQLite in a contentless FTS5 table (``detail=none``) whose rowid is the entry id, with its
vocabulary (``fts5vocab``: how many entries hold an n-gram). Triggers on
``place_name`` and ``former_name`` keep the entries current in the writing transaction, so a
rolled-back write leaves no trace and a bulk load without audit entries is indexed too.

The pinyin key of a name is the stored ``place_name.pinyin_key``; aliases and former names get
theirs in SQL from ``name_char_pinyin`` (each character's most common toneless reading).

On SQLite a later migration that rebuilds ``place_name`` or ``former_name`` (a batch operation
copying the table) drops these triggers with the old table and must create them again.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 16:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

#: Longest text whose characters the SQLite triggers walk (``place_name.name`` is VARCHAR(100)).
MAX_CHARS = 200
_CJK = (range(0x3400, 0x4DC0), range(0x4E00, 0xA000))


def upgrade() -> None:
    bind = op.get_bind()
    op.create_table(
        "name_entry",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("place_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(6), nullable=False),
        sa.Column("source_id", sa.Integer, nullable=True),
        sa.Column("text", sa.String(200), nullable=False),
        sa.Column("pinyin", sa.String(400), nullable=False),
    )
    op.create_index("ix_name_entry_place_id", "name_entry", ["place_id"])
    op.create_index("ix_name_entry_source_id", "name_entry", ["source_id"])
    chars = op.create_table(
        "name_char_pinyin",
        sa.Column("ch", sa.String(1), primary_key=True),
        sa.Column("py", sa.String(8), nullable=False),
    )
    op.bulk_insert(chars, _char_rows())
    postgres = bind.dialect.name == "postgresql"
    if postgres:
        for statement in _POSTGRES:
            op.execute(statement)
    else:
        for statement in _sqlite_statements():
            op.execute(statement)
    for statement in backfill(_pg_pinyin if postgres else _sqlite_pinyin):
        op.execute(statement)
    if postgres:
        op.execute("CREATE INDEX ix_name_entry_grams ON name_entry USING gin (grams)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in _POSTGRES_DROP:
            op.execute(statement)
    else:
        for name in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS name_entry_vocab")
        op.execute("DROP TABLE IF EXISTS name_entry_fts")
        op.execute("DROP TABLE IF EXISTS name_pos")
    op.drop_table("name_char_pinyin")
    op.drop_index("ix_name_entry_source_id", table_name="name_entry")
    op.drop_index("ix_name_entry_place_id", table_name="name_entry")
    op.drop_table("name_entry")


def _char_rows() -> list[dict]:
    from placenames.romanize import pinyin_key

    rows = []
    for block in _CJK:
        for code in block:
            ch = chr(code)
            py = pinyin_key(ch)
            if py and py != ch and py.isascii() and len(py) <= 8:
                rows.append({"ch": ch, "py": py})
    return rows


# --- PostgreSQL: SQL functions, an n-gram array under GIN, plpgsql triggers -------------------

_POSTGRES = (
    "ALTER TABLE name_entry ADD COLUMN grams text[] NOT NULL DEFAULT '{}'",
    """CREATE FUNCTION name_pinyin(t text) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT coalesce(string_agg(coalesce(c.py, lower(substr(t, i, 1))), '' ORDER BY i), '')
        FROM generate_series(1, length(t)) AS i
        LEFT JOIN name_char_pinyin AS c ON c.ch = substr(t, i, 1)
        WHERE substr(t, i, 1) !~ '\\s' $$""",
    """CREATE FUNCTION name_grams(t text, p text) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT coalesce(array_agg(DISTINCT g), '{}') FROM (
            SELECT substr(t, i, 1) AS g FROM generate_series(1, length(t)) AS i
            UNION ALL SELECT substr(t, i, 2) FROM generate_series(1, length(t) - 1) AS i
            UNION ALL SELECT substr(p, i, 3) FROM generate_series(1, length(p) - 2) AS i
            UNION ALL SELECT p WHERE length(p) BETWEEN 1 AND 2
        ) AS s $$""",
    """CREATE FUNCTION name_entry_grams() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.grams := name_grams(NEW.text, NEW.pinyin);
            RETURN NEW;
        END $$""",
    """CREATE TRIGGER name_entry_grams BEFORE INSERT OR UPDATE OF text, pinyin ON name_entry
        FOR EACH ROW EXECUTE FUNCTION name_entry_grams()""",
    """CREATE FUNCTION name_entry_place() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP <> 'INSERT' THEN
                DELETE FROM name_entry WHERE place_id = OLD.id AND kind IN ('name', 'alias');
            END IF;
            IF TG_OP <> 'DELETE' THEN
                INSERT INTO name_entry (place_id, kind, text, pinyin)
                VALUES (NEW.id, 'name', NEW.name, coalesce(NEW.pinyin_key, name_pinyin(NEW.name)));
                IF json_typeof(NEW.aliases) = 'array' THEN
                    INSERT INTO name_entry (place_id, kind, text, pinyin)
                    SELECT NEW.id, 'alias', a, name_pinyin(a)
                    FROM json_array_elements_text(NEW.aliases) WITH ORDINALITY AS e(a, n)
                    WHERE a <> '' ORDER BY n;
                END IF;
            END IF;
            RETURN NULL;
        END $$""",
    """CREATE TRIGGER name_entry_place_insert AFTER INSERT ON place_name
        FOR EACH ROW EXECUTE FUNCTION name_entry_place()""",
    """CREATE TRIGGER name_entry_place_update AFTER UPDATE OF name, pinyin_key, aliases ON place_name
        FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name
            OR OLD.pinyin_key IS DISTINCT FROM NEW.pinyin_key
            OR OLD.aliases::text IS DISTINCT FROM NEW.aliases::text)
        EXECUTE FUNCTION name_entry_place()""",
    """CREATE TRIGGER name_entry_place_delete AFTER DELETE ON place_name
        FOR EACH ROW EXECUTE FUNCTION name_entry_place()""",
    """CREATE FUNCTION name_entry_former() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP <> 'INSERT' THEN
                DELETE FROM name_entry WHERE source_id = OLD.id AND kind = 'former';
            END IF;
            IF TG_OP <> 'DELETE' THEN
                INSERT INTO name_entry (place_id, kind, source_id, text, pinyin)
                VALUES (NEW.place_name_id, 'former', NEW.id, NEW.name, name_pinyin(NEW.name));
            END IF;
            RETURN NULL;
        END $$""",
    """CREATE TRIGGER name_entry_former_insert AFTER INSERT ON former_name
        FOR EACH ROW EXECUTE FUNCTION name_entry_former()""",
    """CREATE TRIGGER name_entry_former_update AFTER UPDATE OF name, place_name_id ON former_name
        FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.place_name_id <> NEW.place_name_id)
        EXECUTE FUNCTION name_entry_former()""",
    """CREATE TRIGGER name_entry_former_delete AFTER DELETE ON former_name
        FOR EACH ROW EXECUTE FUNCTION name_entry_former()""",
)
_POSTGRES_DROP = (
    "DROP TRIGGER IF EXISTS name_entry_former_delete ON former_name",
    "DROP TRIGGER IF EXISTS name_entry_former_update ON former_name",
    "DROP TRIGGER IF EXISTS name_entry_former_insert ON former_name",
    "DROP TRIGGER IF EXISTS name_entry_place_delete ON place_name",
    "DROP TRIGGER IF EXISTS name_entry_place_update ON place_name",
    "DROP TRIGGER IF EXISTS name_entry_place_insert ON place_name",
    "DROP FUNCTION IF EXISTS name_entry_former()",
    "DROP FUNCTION IF EXISTS name_entry_place()",
    "DROP TRIGGER IF EXISTS name_entry_grams ON name_entry",
    "DROP FUNCTION IF EXISTS name_entry_grams()",
    "DROP FUNCTION IF EXISTS name_grams(text, text)",
    "DROP FUNCTION IF EXISTS name_pinyin(text)",
)


def backfill(pinyin) -> tuple[str, str]:
    """Entries of every place (name, then aliases) and of every former name; ``pinyin(expr)`` is
    the SQL of the pinyin key of a text expression."""
    if pinyin is _pg_pinyin:
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
        f"SELECT place_id, kind, NULL, text, pinyin FROM ("
        f"SELECT id AS place_id, 'name' AS kind, name AS text, coalesce(pinyin_key, {pinyin('name')}) AS pinyin, "
        f"-1 AS n FROM place_name UNION ALL "
        f"SELECT p.id, 'alias', e.value, {pinyin('e.value')}, e.key FROM place_name AS p, {aliases} WHERE {texts}"
        ") AS s ORDER BY place_id, n",
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


def _sqlite_grams(text: str, pinyin: str) -> str:
    """Space-separated n-grams of an entry, as the FTS5 document."""
    return (
        f"(SELECT coalesce(group_concat(g, ' '), '') FROM ("
        f"SELECT substr({text}, i, 1) AS g FROM name_pos WHERE i <= length({text}) UNION "
        f"SELECT substr({text}, i, 2) FROM name_pos WHERE i < length({text}) UNION "
        f"SELECT substr({pinyin}, i, 3) FROM name_pos WHERE i <= length({pinyin}) - 2 UNION "
        f"SELECT {pinyin} WHERE length({pinyin}) BETWEEN 1 AND 2))"
    )


_SQLITE_TRIGGERS = (
    "name_entry_fts_insert",
    "name_entry_fts_delete",
    "name_entry_place_insert",
    "name_entry_place_update",
    "name_entry_place_delete",
    "name_entry_former_insert",
    "name_entry_former_update",
    "name_entry_former_delete",
)


def _sqlite_statements() -> list[str]:
    py = _sqlite_pinyin
    place_entries = (
        "INSERT INTO name_entry (place_id, kind, text, pinyin) "
        f"VALUES (NEW.id, 'name', NEW.name, coalesce(NEW.pinyin_key, {py('NEW.name')})); "
        "INSERT INTO name_entry (place_id, kind, text, pinyin) "
        f"SELECT NEW.id, 'alias', e.value, {py('e.value')} FROM json_each(CASE WHEN json_valid(NEW.aliases) "
        "AND json_type(NEW.aliases) = 'array' THEN NEW.aliases ELSE '[]' END) AS e "
        "WHERE e.type = 'text' AND e.value <> '' ORDER BY e.key;"
    )
    former_entry = (
        "INSERT INTO name_entry (place_id, kind, source_id, text, pinyin) "
        f"VALUES (NEW.place_name_id, 'former', NEW.id, NEW.name, {py('NEW.name')});"
    )
    positions = ", ".join(f"({i})" for i in range(1, MAX_CHARS + 1))
    return [
        "CREATE TABLE name_pos (i INTEGER PRIMARY KEY)",
        f"INSERT INTO name_pos (i) VALUES {positions}",
        "CREATE VIRTUAL TABLE name_entry_fts USING fts5(g, content='', detail=none, columnsize=0)",
        "CREATE VIRTUAL TABLE name_entry_vocab USING fts5vocab(name_entry_fts, 'row')",
        "CREATE TRIGGER name_entry_fts_insert AFTER INSERT ON name_entry BEGIN "
        f"INSERT INTO name_entry_fts (rowid, g) VALUES (NEW.id, {_sqlite_grams('NEW.text', 'NEW.pinyin')}); END",
        "CREATE TRIGGER name_entry_fts_delete AFTER DELETE ON name_entry BEGIN "
        "INSERT INTO name_entry_fts (name_entry_fts, rowid, g) "
        f"VALUES ('delete', OLD.id, {_sqlite_grams('OLD.text', 'OLD.pinyin')}); END",
        f"CREATE TRIGGER name_entry_place_insert AFTER INSERT ON place_name BEGIN {place_entries} END",
        "CREATE TRIGGER name_entry_place_update AFTER UPDATE OF name, pinyin_key, aliases ON place_name "
        "WHEN OLD.name IS NOT NEW.name OR OLD.pinyin_key IS NOT NEW.pinyin_key "
        "OR OLD.aliases IS NOT NEW.aliases BEGIN "
        f"DELETE FROM name_entry WHERE place_id = OLD.id AND kind IN ('name', 'alias'); {place_entries} END",
        "CREATE TRIGGER name_entry_place_delete AFTER DELETE ON place_name BEGIN "
        "DELETE FROM name_entry WHERE place_id = OLD.id; END",
        f"CREATE TRIGGER name_entry_former_insert AFTER INSERT ON former_name BEGIN {former_entry} END",
        "CREATE TRIGGER name_entry_former_update AFTER UPDATE OF name, place_name_id ON former_name "
        "WHEN OLD.name IS NOT NEW.name OR OLD.place_name_id IS NOT NEW.place_name_id BEGIN "
        f"DELETE FROM name_entry WHERE source_id = OLD.id AND kind = 'former'; {former_entry} END",
        "CREATE TRIGGER name_entry_former_delete AFTER DELETE ON former_name BEGIN "
        "DELETE FROM name_entry WHERE source_id = OLD.id AND kind = 'former'; END",
    ]
