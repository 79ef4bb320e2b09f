"""marker device: the highest telemetry sequence number accepted

Telemetry messages carry a per-device monotonic sequence number; the device row keeps the
highest one accepted so that replays (even with a changed timestamp) and reordered messages
are refused.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 16:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("marker_device") as batch:
        batch.add_column(sa.Column("last_seq", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("marker_device") as batch:
        batch.drop_column("last_seq")
