"""Database engine and connections (SQLAlchemy over psycopg 3)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

import psycopg
from psycopg import sql
from sqlalchemy import Engine, create_engine

from gis.errors import DatabaseUnavailable
from gis.settings import get_settings, to_libpq_url, to_sqlalchemy_url


@lru_cache(maxsize=8)
def get_engine(url: str | None = None) -> Engine:
    """Return a pooled engine for ``url`` (default: the configured database)."""
    settings = get_settings()
    target = to_sqlalchemy_url(url or settings.database_url)
    options = f"-c statement_timeout={settings.statement_timeout_ms}"
    return create_engine(
        target,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=10,
        connect_args={"options": options, "application_name": "iocgis"},
    )


def connect(
    url: str | None = None, *, autocommit: bool = False, statement_timeout_ms: int | None = None
) -> psycopg.Connection:
    """Open a raw psycopg connection (for COPY and LISTEN); the caller closes it.

    Every statement of the session is bounded by ``statement_timeout_ms`` (default: the
    ``IOC_STATEMENT_TIMEOUT_MS`` setting, as for :func:`get_engine`); a bulk job that needs
    longer passes its own bound (0 disables it) or runs ``SET LOCAL statement_timeout``.
    """
    settings = get_settings()
    target = to_libpq_url(url or settings.database_url)
    timeout = statement_timeout_ms
    if timeout is None:
        timeout = settings.statement_timeout_ms
    if timeout < 0:
        raise ValueError("statement_timeout_ms must be >= 0")
    try:
        return psycopg.connect(
            target,
            autocommit=autocommit,
            application_name="iocgis",
            options=f"-c statement_timeout={int(timeout)}",
        )
    except psycopg.OperationalError as exc:
        raise DatabaseUnavailable(f"cannot connect to the database: {exc}".strip()) from exc


@contextmanager
def transaction(url: str | None = None) -> Iterator[psycopg.Connection]:
    """A raw connection inside one transaction: committed on success, rolled back on error."""
    conn = connect(url)
    try:
        with conn.transaction():
            yield conn
    finally:
        conn.close()


def _server_and_name(url: str) -> tuple[str, str]:
    """Split a libpq URL into (maintenance-database URL, database name)."""
    info = psycopg.conninfo.conninfo_to_dict(to_libpq_url(url))
    name = str(info.get("dbname") or "iocgis")
    info["dbname"] = "postgres"
    return psycopg.conninfo.make_conninfo(**{k: str(v) for k, v in info.items()}), name


def ensure_database(url: str | None = None) -> bool:
    """Create the database named in ``url`` if it is missing; return True when created."""
    server, name = _server_and_name(url or get_settings().database_url)
    with psycopg.connect(server, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists:
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return True


def drop_database(url: str) -> None:
    """Drop the database named in ``url`` (used by the test run for its own database)."""
    server, name = _server_and_name(url)
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
