"""sign indexes: none on kind, the condition index only for signs needing attention, prefix-searchable division codes

The index on ``kind`` (eight values, half of all signs house-number plates) was never chosen
by PostgreSQL's planner for the common kinds and cost every bulk write. On PostgreSQL the
``condition`` index keeps only the signs that are not in good order (a fifth of them: the
maintenance lists and counts), and the ``division_code`` index uses ``varchar_pattern_ops`` so
that ``division_code LIKE '150302%'`` (signs of a district, town or community) can use it under
any database collation, not only "C". SQLite keeps plain indexes on both (its planner cannot
use a partial index for ``condition = 'missing'``).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 18:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_sign_kind", table_name="sign")
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_sign_condition", table_name="sign")
    op.create_index(
        "ix_sign_condition", "sign", ["condition"], postgresql_where=sa.text("condition <> 'good'")
    )
    op.drop_index("ix_sign_division_code", table_name="sign")
    op.create_index(
        "ix_sign_division_code",
        "sign",
        ["division_code"],
        postgresql_ops={"division_code": "varchar_pattern_ops"},
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_sign_division_code", table_name="sign")
        op.create_index("ix_sign_division_code", "sign", ["division_code"])
        op.drop_index("ix_sign_condition", table_name="sign")
        op.create_index("ix_sign_condition", "sign", ["condition"])
    op.create_index("ix_sign_kind", "sign", ["kind"])
