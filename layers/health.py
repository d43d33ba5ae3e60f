"""Health figures read from the database (it answers; ingest lag)."""

from __future__ import annotations

import psycopg


async def database_answers(conn: psycopg.AsyncConnection) -> None:
    """Run the smallest statement: raises when the database does not answer."""
    await conn.execute("SELECT 1")


async def ingest_lag_seconds(conn: psycopg.AsyncConnection) -> float | None:
    """Seconds since the newest stored reading was observed (None without sensor data)."""
    cur = await conn.execute("SELECT to_regclass('layers.ingest_status') IS NOT NULL")
    row = await cur.fetchone()
    if not row or not row[0]:
        return None
    cur = await conn.execute("SELECT lag_seconds FROM layers.ingest_status")
    row = await cur.fetchone()
    return float(row[0]) if row and row[0] is not None else None
