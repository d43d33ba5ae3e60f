"""Alembic environment: runs migrations on the connection or URL given by ioc-gis."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from gis.settings import get_settings, to_sqlalchemy_url

config = context.config
url = config.get_main_option("sqlalchemy.url") or get_settings().database_url
engine = create_engine(to_sqlalchemy_url(url), poolclass=pool.NullPool)
with engine.connect() as connection:
    context.configure(connection=connection, version_table_schema="public")
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
