"""audit log: LZ4 compression for the before/after JSON on PostgreSQL

An import's audit entry holds the keys of every imported row (about 650 KB of JSON for the
34,000 signs). PostgreSQL compresses such values when it moves them out of line; with its
default method (pglz) that took 14-17 ms per entry, with LZ4 6 ms, for a value 17 % larger.
Existing values keep their compression until rewritten. PostgreSQL 14 or later, built with LZ4
(Debian's is); elsewhere, and on SQLite, nothing changes.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 19:30:00
"""

from alembic import op
from sqlalchemy.exc import DBAPIError

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_COLUMNS = ("before", "after")


def _set_compression(method: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql" or bind.dialect.server_version_info < (14,):
        return
    if method == "lz4" and not _lz4_available():
        return
    clauses = ", ".join(f'ALTER COLUMN "{c}" SET COMPRESSION {method}' for c in _COLUMNS)
    op.execute(f"ALTER TABLE audit_log {clauses}")


def _lz4_available() -> bool:
    """Whether this server was built with LZ4, asked inside a savepoint that is then rolled back."""
    bind = op.get_bind()
    savepoint = bind.begin_nested()
    try:
        bind.exec_driver_sql("SELECT set_config('default_toast_compression', 'lz4', true)")
        return True
    except DBAPIError:  # "invalid value for parameter": a build without LZ4
        return False
    finally:
        savepoint.rollback()


def upgrade() -> None:
    _set_compression("lz4")


def downgrade() -> None:
    _set_compression("default")
