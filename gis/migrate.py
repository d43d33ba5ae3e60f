"""Schema migrations (alembic) driven from Python and the CLI."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from gis.db import ensure_database
from gis.settings import get_settings, to_sqlalchemy_url

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(url: str | None = None) -> Config:
    """An alembic configuration pointing at our migrations and ``url``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", (url or get_settings().database_url).replace("%", "%%"))
    return cfg


def upgrade(url: str | None = None, revision: str = "heads") -> None:
    """Create the database if needed and migrate it to ``revision`` (default: every head)."""
    ensure_database(url)
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str | None = None, revision: str = "-1") -> None:
    """Migrate the database down to ``revision``."""
    command.downgrade(alembic_config(url), revision)


def current_revisions(url: str | None = None) -> tuple[str, ...]:
    """The revisions the database is at (one per area branch; empty when never migrated)."""
    # alembic reads its version table through SQLAlchemy: a one-off engine, no pool kept.
    engine = sa.create_engine(
        to_sqlalchemy_url(url or get_settings().database_url), poolclass=sa.pool.NullPool
    )
    try:
        with engine.connect() as conn:
            return tuple(sorted(MigrationContext.configure(conn).get_current_heads()))
    finally:
        engine.dispose()


def head_revisions() -> tuple[str, ...]:
    """The newest revision of each area branch shipped with this code."""
    return tuple(sorted(ScriptDirectory.from_config(alembic_config()).get_heads()))
