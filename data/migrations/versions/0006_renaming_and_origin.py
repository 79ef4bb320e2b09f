"""place names: language of origin, and renamings with their own approval

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 17:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("place_name", sa.Column("origin_language", sa.String(length=8), nullable=True))
    op.create_table(
        "name_renaming",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("place_name_id", sa.Integer(), nullable=False),
        sa.Column("old_name", sa.String(length=100), nullable=False),
        sa.Column("new_name", sa.String(length=100), nullable=False),
        sa.Column("romanized", sa.String(length=200), nullable=True),
        sa.Column("romanized_reason", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("justification", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=14), nullable=False),
        sa.Column("approving_authority", sa.String(length=100), nullable=True),
        sa.Column("approval_doc_no", sa.String(length=100), nullable=True),
        sa.Column("approval_date", sa.Date(), nullable=True),
        sa.Column("announcement_date", sa.Date(), nullable=True),
        sa.Column("announcement_doc", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            "status IN ('proposed','under_review','approved','announced','withdrawn')",
            name=op.f("ck_name_renaming_status"),
        ),
        sa.ForeignKeyConstraint(
            ["place_name_id"],
            ["place_name.id"],
            name=op.f("fk_name_renaming_place_name_id_place_name"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_name_renaming")),
    )
    op.create_index("ix_name_renaming_place_name_id", "name_renaming", ["place_name_id"])
    op.create_index("ix_name_renaming_status", "name_renaming", ["status"])


def downgrade() -> None:
    op.drop_index("ix_name_renaming_status", table_name="name_renaming")
    op.drop_index("ix_name_renaming_place_name_id", table_name="name_renaming")
    op.drop_table("name_renaming")
    # A plain DROP COLUMN (SQLite 3.35+ has it): a batch rebuild of place_name would trip the
    # foreign keys that point at it and drop the search index's triggers with the old table.
    op.execute("ALTER TABLE place_name DROP COLUMN origin_language")
