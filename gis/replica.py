"""Streaming replicas: WAL positions of the primary and how far a hot standby has replayed.

A read sent to a replica must not be older than the newest change the app has applied to its
caches: the app notes the primary's ``pg_current_wal_lsn()`` when it applies a change (that
position is at or past the change's commit), and a replica serves a read only once its
``pg_last_wal_replay_lsn()`` has reached it — else, after a bounded wait, the primary serves it.
"""

from __future__ import annotations

import asyncio
import time

import psycopg

#: On the primary (not in recovery) the replay position is NULL: nothing to wait for.
REPLAY = "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text"
CURRENT = "SELECT pg_current_wal_lsn()::text"


def lsn_value(text: str) -> int:
    """A ``pg_lsn`` text (``16/B374D848``) as a comparable integer."""
    high, sep, low = text.partition("/")
    if not sep:
        raise ValueError(f"not a WAL position: {text!r}")
    return (int(high, 16) << 32) | int(low, 16)


async def primary_lsn(conn: psycopg.AsyncConnection) -> int:
    """The primary's current WAL write position."""
    cur = await conn.execute(CURRENT, prepare=True)
    row = await cur.fetchone()
    assert row is not None
    return lsn_value(row[0])


async def replayed_lsn(conn: psycopg.AsyncConnection) -> int | None:
    """How far ``conn``'s server has replayed the primary's WAL (None: it is a primary)."""
    cur = await conn.execute(REPLAY, prepare=True)
    row = await cur.fetchone()
    assert row is not None
    in_recovery, lsn = row
    if not in_recovery:
        return None
    return lsn_value(lsn) if lsn else 0


async def wait_for_replay(
    conn: psycopg.AsyncConnection, target: int, wait_s: float, poll_s: float = 0.005
) -> int | None:
    """Wait until ``conn``'s server has replayed ``target`` (at most ``wait_s``); return the
    position reached (None on a primary), which is below ``target`` when the wait ran out."""
    deadline = time.monotonic() + wait_s
    while True:
        reached = await replayed_lsn(conn)
        if reached is None or reached >= target or time.monotonic() >= deadline:
            return reached
        await asyncio.sleep(poll_s)
