"""Reaching the database: one way per style of caller, and statements declared once for both.

* Sync callers (CLI, jobs, imports): :func:`borrowed` lends a connection of the configured
  database's pool (or passes the caller's own through); :func:`connect` opens a dedicated one for
  COPY, LISTEN or a long transaction (:func:`transaction`).
* The web app (async): ``maps.deps.pooled`` lends a connection of the app's async pool, running
  as the caller's database role.
* A statement both styles run is a :class:`Read` (SQL, bound parameters, how rows become the
  answer), executed by :func:`run` or :func:`arun`: no sync and async twins of the same query.

Alembic keeps SQLAlchemy (``gis.migrate``); nothing else goes through it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import psycopg
from psycopg import sql
from psycopg_pool import ConnectionPool, PoolTimeout

from gis.errors import DatabaseUnavailable
from gis.settings import get_settings, to_libpq_url

T = TypeVar("T")
Params = Sequence[Any] | Mapping[str, Any]

#: Seconds a sync caller waits for a pooled connection before DatabaseUnavailable.
POOL_WAIT_S = 30


def _options(statement_timeout_ms: int | None) -> str:
    """The session options bounding every statement (default: ``IOC_STATEMENT_TIMEOUT_MS``)."""
    timeout = statement_timeout_ms
    if timeout is None:
        timeout = get_settings().statement_timeout_ms
    if timeout < 0:
        raise ValueError("statement_timeout_ms must be >= 0")
    return f"-c statement_timeout={int(timeout)}"


#: The sync pools by database URL (a process usually has one; tests and benchmarks switch URLs).
_POOLS: dict[str, ConnectionPool] = {}
_POOLS_LOCK = threading.Lock()


def _pool(url: str) -> ConnectionPool:
    """The pool of autocommit connections for ``url`` (statements stay prepared on them)."""
    with _POOLS_LOCK:
        pool = _POOLS.get(url)
        if pool is None:
            pool = _POOLS[url] = ConnectionPool(
                to_libpq_url(url), min_size=1, max_size=8, open=True,
                kwargs={"autocommit": True, "application_name": "iocgis",
                        "options": _options(None)},
            )  # fmt: skip
        return pool


@contextmanager
def borrowed(
    conn: psycopg.Connection | None = None, url: str | None = None
) -> Iterator[psycopg.Connection]:
    """``conn`` when given, else an autocommit connection lent by the pool of ``url`` (default:
    the configured database); DatabaseUnavailable when none comes in time."""
    if conn is not None:
        yield conn
        return
    try:
        pool = _pool(url or get_settings().database_url)
        with pool.connection(timeout=POOL_WAIT_S) as pooled:
            yield pooled
    except PoolTimeout as exc:
        raise DatabaseUnavailable(f"cannot connect to the database: {exc}") from exc


def close_pools() -> None:
    """Close the sync pools (before a test or benchmark drops its database, or the URL changes)."""
    with _POOLS_LOCK:
        pools = list(_POOLS.values())
        _POOLS.clear()
    for pool in pools:
        pool.close()


@dataclass(frozen=True)
class Read(Generic[T]):
    """One statement with bound parameters and the function that turns its rows into the answer.

    The statement and the shaping are the facts; :func:`run` and :func:`arun` only execute
    them, so the CLI and the web app give the same answer from the same code.
    """

    query: sql.Composed | sql.SQL | str
    params: Params | None
    shape: Callable[[list[tuple[Any, ...]]], T]


def run(conn: psycopg.Connection, read: Read[T]) -> T:
    """Execute ``read`` on a sync connection."""
    return read.shape(conn.execute(read.query, read.params).fetchall())


async def arun(conn: psycopg.AsyncConnection, read: Read[T]) -> T:
    """Execute ``read`` on an async connection (the web app's, running as the caller's role)."""
    cur = await conn.execute(read.query, read.params)
    return read.shape(await cur.fetchall())


def connect(
    url: str | None = None, *, autocommit: bool = False, statement_timeout_ms: int | None = None
) -> psycopg.Connection:
    """Open a dedicated psycopg connection (COPY, LISTEN, a long transaction); the caller
    closes it.

    Every statement of the session is bounded by ``statement_timeout_ms`` (default: the
    ``IOC_STATEMENT_TIMEOUT_MS`` setting, as for :func:`borrowed`); a bulk job that needs
    longer passes its own bound (0 disables it) or runs ``SET LOCAL statement_timeout``.
    """
    target = to_libpq_url(url or get_settings().database_url)
    options = _options(statement_timeout_ms)
    try:
        return psycopg.connect(
            target, autocommit=autocommit, application_name="iocgis", options=options
        )
    except psycopg.OperationalError as exc:
        raise DatabaseUnavailable(f"cannot connect to the database: {exc}".strip()) from exc


async def aconnect(
    url: str | None = None, *, autocommit: bool = False, statement_timeout_ms: int | None = None
) -> psycopg.AsyncConnection:
    """Open a dedicated async connection (a CLI command running async functions) bounded like
    :func:`connect`; the caller closes it."""
    target = to_libpq_url(url or get_settings().database_url)
    options = _options(statement_timeout_ms)
    try:
        return await psycopg.AsyncConnection.connect(
            target, autocommit=autocommit, application_name="iocgis", options=options
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
