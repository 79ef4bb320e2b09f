"""The whole schema: every package's tables on one MetaData, and helpers to create or migrate it."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

import boundaries.models  # noqa: F401  (registers tables)
import facilities.models  # noqa: F401
import placenames.models  # noqa: F401
from gis.models import Base

metadata = Base.metadata
MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    """An Alembic config bound to ``engine`` (no ini file needed)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database schema to ``revision`` through the Alembic migrations."""
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Take the database schema back to ``revision``."""
    command.downgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or ``None`` when it has none."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def regenerate_initial(engine: Engine) -> Path:
    """Rewrite migration 0001 from the models (only while no release has shipped a database)."""
    target = MIGRATIONS / "versions" / "0001_initial_schema.py"
    target.unlink(missing_ok=True)
    command.revision(alembic_config(engine), message="initial schema", autogenerate=True, rev_id="0001")
    return target


if __name__ == "__main__":  # python -m data.schema: regenerate 0001 on a scratch SpatiaLite file
    import tempfile

    from gis.db import make_engine

    with tempfile.TemporaryDirectory() as tmp:
        print(regenerate_initial(make_engine(f"sqlite:///{tmp}/scratch.sqlite")))
