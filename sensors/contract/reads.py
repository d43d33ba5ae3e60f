"""A read of the sensor tables written once and run by a sync (CLI, jobs) or async (web) caller."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import psycopg
from psycopg import sql

T = TypeVar("T")


@dataclass(frozen=True)
class Read(Generic[T]):
    """One query with bound parameters and the function that turns its rows into the answer.

    The query and the shaping are the facts; :func:`run` and :func:`arun` only execute them,
    so the CLI and the web app give the same answer from the same code.
    """

    query: sql.SQL | sql.Composed
    params: Mapping[str, Any]
    shape: Callable[[list[tuple[Any, ...]]], T]


def run(conn: psycopg.Connection, read: Read[T]) -> T:
    """Execute ``read`` on a sync connection."""
    return read.shape(conn.execute(read.query, read.params).fetchall())


async def arun(conn: psycopg.AsyncConnection, read: Read[T]) -> T:
    """Execute ``read`` on an async connection."""
    cur = await conn.execute(read.query, read.params)
    return read.shape(await cur.fetchall())
