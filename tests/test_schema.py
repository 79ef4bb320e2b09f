"""The migrations build the schema the models describe, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from conftest import only_backends
from sqlalchemy import inspect
from sqlalchemy import text

from data import schema
from data.migrations_filter import include_object


def test_migrations_reach_the_one_head(engine):
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(schema.alembic_config(engine)).get_heads()
    assert len(heads) == 1, f"several migration heads: {heads}"
    assert schema.current_revision(engine) == heads[0]


def test_migrations_match_models(engine):
    with engine.connect() as connection:
        mc = MigrationContext.configure(
            connection, opts={"include_object": include_object, "compare_type": False}
        )
        diff = compare_metadata(mc, schema.metadata)
    assert diff == [], (
        f"models and migrations differ; add a migration with `python -m data.schema MESSAGE`: {diff}"
    )


def test_every_geometry_column_has_a_spatial_index(engine, backend):
    geometry_tables = [
        t
        for t in schema.metadata.sorted_tables
        if any(c.type.__class__.__name__ == "Geometry" for c in t.columns)
    ]
    assert len(geometry_tables) >= 9
    with engine.connect() as connection:
        for table in geometry_tables:
            for column in (c for c in table.columns if c.type.__class__.__name__ == "Geometry"):
                if backend == "spatialite":
                    enabled = connection.execute(
                        text(
                            "SELECT spatial_index_enabled FROM geometry_columns WHERE f_table_name=:t AND f_geometry_column=:c"
                        ),
                        {"t": table.name, "c": column.name},
                    ).scalar()
                    assert enabled == 1, f"{table.name}.{column.name} has no R*Tree index"
                else:
                    indexes = inspect(connection).get_indexes(table.name)
                    assert any(column.name in ix["column_names"] for ix in indexes), (
                        f"{table.name}.{column.name}"
                    )


def test_storage_srid_is_registered(engine, backend):
    if backend == "spatialite":
        with engine.connect() as connection:
            names = (
                connection.execute(text("SELECT srid FROM spatial_ref_sys WHERE srid IN (4490, 4545)"))
                .scalars()
                .all()
            )
        assert sorted(names) == [4490, 4545]


def _sign_indexes(engine) -> dict[str, str]:
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            query = "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'sign'"
        else:
            query = (
                "SELECT name, coalesce(sql, '') FROM sqlite_master WHERE type = 'index' AND tbl_name = 'sign'"
            )
        return dict(connection.execute(text(query)).all())


def test_migration_0002_goes_down_and_up_again(engine, backend):
    head = _sign_indexes(engine)
    assert "ix_sign_kind" not in head
    schema.downgrade(engine, "0001")
    try:
        assert schema.current_revision(engine) == "0001"
        before = _sign_indexes(engine)
        assert "ix_sign_kind" in before
        if backend == "postgis":
            assert "WHERE" not in before["ix_sign_condition"]
            assert "pattern_ops" not in before["ix_sign_division_code"]
    finally:
        schema.upgrade(engine)
    assert _sign_indexes(engine) == head
    if backend == "postgis":
        assert "WHERE" in head["ix_sign_condition"] and "good" in head["ix_sign_condition"]
        assert "varchar_pattern_ops" in head["ix_sign_division_code"]


@only_backends("postgis")
def test_signs_of_a_division_are_found_through_the_index(conn):
    """``division_code LIKE 'prefix%'`` is an index range on PostgreSQL whatever the collation."""
    conn.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(
        conn.execute(
            text("EXPLAIN SELECT id FROM sign WHERE division_code LIKE :p"), {"p": "150302001%"}
        ).scalars()
    )
    assert "ix_sign_division_code" in plan and "Index Cond" in plan, plan


def _audit_compression(engine) -> dict[str, str]:
    query = (
        "SELECT attname, attcompression FROM pg_attribute "
        "WHERE attrelid = 'audit_log'::regclass AND attname IN ('before', 'after')"
    )
    with engine.connect() as connection:
        return dict(connection.execute(text(query)).all())


@only_backends("postgis")
def test_migration_0003_compresses_the_audit_json_with_lz4_and_goes_back(engine):
    assert _audit_compression(engine) == {"before": "l", "after": "l"}
    schema.downgrade(engine, "0002")
    try:
        assert _audit_compression(engine) == {"before": "", "after": ""}  # the server default again
    finally:
        schema.upgrade(engine)
    assert _audit_compression(engine) == {"before": "l", "after": "l"}
