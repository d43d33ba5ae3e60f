"""Retention of raw readings: whole monthly partitions of ``sensor.observations`` dropped.

Raw readings are the bulk of the database (a 5-minute station writes ~9,000 rows a month per
parameter); the hourly means, indices, alerts and completeness that reports read are kept in
their own tables and are not touched. Only whole months entirely older than the cut-off go,
each with one ``DROP TABLE`` of its partition (no row-by-row delete, no bloat, no vacuum).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg
from psycopg import sql

from gis.errors import InvalidInput

_PARTITIONS = """
    SELECT c.relname, pg_get_expr(c.relpartbound, c.oid), pg_total_relation_size(c.oid)
      FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'sensor.observations'::regclass
     ORDER BY c.relname
"""
_BOUND = re.compile(r"FROM \('([^']+)'\) TO \('([^']+)'\)")


@dataclass(frozen=True)
class Partition:
    """One month of raw readings."""

    name: str
    start: datetime
    end: datetime
    bytes: int


def partitions(conn: psycopg.Connection) -> list[Partition]:
    """The monthly partitions of the observations, oldest first."""
    out = []
    for name, bound, size in conn.execute(_PARTITIONS).fetchall():
        m = _BOUND.search(bound or "")
        if m is None:
            continue  # a DEFAULT partition would have no range: never dropped here
        start, end = (datetime.fromisoformat(v).astimezone(UTC) for v in m.groups())
        out.append(Partition(str(name), start, end, int(size)))
    return sorted(out, key=lambda p: p.start)


def cutoff(now: datetime, keep_months: int) -> datetime:
    """The first instant kept: the start of the month ``keep_months - 1`` before ``now``'s."""
    if keep_months < 1:
        raise InvalidInput("keep at least one month of raw readings")
    months = now.year * 12 + now.month - 1 - (keep_months - 1)
    return datetime(months // 12, months % 12 + 1, 1, tzinfo=UTC)


def drop_old_partitions(
    conn: psycopg.Connection, keep_months: int, *, now: datetime | None = None,
    dry_run: bool = False,
) -> list[Partition]:
    """Drop every partition that ends before the cut-off; return them (oldest first)."""
    limit = cutoff(now or datetime.now(UTC), keep_months)
    old = [p for p in partitions(conn) if p.end <= limit]
    if not dry_run:
        with conn.transaction():
            for p in old:
                conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier("sensor", p.name)))
    return old
