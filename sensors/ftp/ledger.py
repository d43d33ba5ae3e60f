"""The file ledger ``sensor.station_files``: what arrived, what became of it, what was relayed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import psycopg

STATES = ("received", "done", "duplicate", "rejected")


@dataclass(frozen=True, slots=True)
class Outcome:
    """What processing a file did, written to its ledger row."""

    state: str
    station: str | None = None
    measured_at: datetime | None = None
    lines: int | None = None
    stored: int | None = None
    rejected_lines: int | None = None
    reason: str | None = None


def receive(conn: psycopg.Connection, account: str, path: str, size: int, sha256: bytes) -> int:
    """The ledger id of this arrival: its 'received' row (re-used after a crash) or a new one."""
    row = conn.execute(
        "SELECT id FROM sensor.station_files WHERE account = %s AND path = %s AND sha256 = %s"
        " AND state = 'received' ORDER BY id LIMIT 1", [account, path, sha256]).fetchone()
    if row is not None:
        return int(row[0])
    row = conn.execute(
        "INSERT INTO sensor.station_files (account, path, size, sha256) VALUES (%s, %s, %s, %s)"
        " RETURNING id", [account, path, size, sha256]).fetchone()
    assert row is not None
    return int(row[0])


def stored_before(conn: psycopg.Connection, account: str, path: str, sha256: bytes,
                  file_id: int) -> int | None:
    """The id of an earlier arrival of the same file (same name and bytes) already stored."""
    # the same file may be re-sent into another folder: compare the name, not the path
    row = conn.execute(
        "SELECT id FROM sensor.station_files WHERE account = %s AND sha256 = %s AND id <> %s"
        " AND state = 'done' AND regexp_replace(path, '^.*/', '') = %s ORDER BY id LIMIT 1",
        [account, sha256, file_id, path.rsplit("/", 1)[-1]],
    ).fetchone()
    return int(row[0]) if row else None


def finish(conn: psycopg.Connection, file_id: int, out: Outcome) -> None:
    """Record what became of file ``file_id`` (in the caller's transaction)."""
    conn.execute(
        "UPDATE sensor.station_files SET state = %s, processed_at = now(), station_code = %s,"
        " measured_at = %s, lines = %s, stored = %s, rejected_lines = %s, reason = %s"
        " WHERE id = %s",
        [out.state, out.station, out.measured_at, out.lines, out.stored, out.rejected_lines,
         out.reason, file_id],
    )


def mark_relayed(conn: psycopg.Connection, file_id: int) -> None:
    """Record that file ``file_id`` reached the upstream server."""
    conn.execute("UPDATE sensor.station_files SET relayed_at = now() WHERE id = %s"
                 " AND relayed_at IS NULL", [file_id])


def relayed(conn: psycopg.Connection, file_id: int) -> bool:
    """True when file ``file_id`` has reached the upstream server."""
    row = conn.execute("SELECT relayed_at IS NOT NULL FROM sensor.station_files WHERE id = %s",
                       [file_id]).fetchone()
    return bool(row and row[0])


def state_of(conn: psycopg.Connection, file_id: int) -> str | None:
    """The state of ledger row ``file_id`` (None when there is none)."""
    row = conn.execute("SELECT state FROM sensor.station_files WHERE id = %s",
                       [file_id]).fetchone()
    return row[0] if row else None


COLUMNS = ("id", "account", "path", "size", "state", "received_at", "processed_at",
           "station_code", "measured_at", "lines", "stored", "rejected_lines", "reason",
           "relayed_at")


def listing(conn: psycopg.Connection, state: str | None = None, account: str | None = None,
            limit: int = 50) -> list[dict[str, object]]:
    """The newest ledger rows, optionally of one state or account."""
    rows = conn.execute(
        "SELECT id, account, path, size, state, received_at, processed_at, station_code,"
        " measured_at, lines, stored, rejected_lines, reason, relayed_at"
        " FROM sensor.station_files WHERE (%(s)s::text IS NULL OR state = %(s)s)"
        " AND (%(a)s::text IS NULL OR account = %(a)s) ORDER BY id DESC LIMIT %(n)s",
        {"s": state, "a": account, "n": limit},
    ).fetchall()
    return [dict(zip(COLUMNS, r, strict=True)) for r in rows]


def counts(conn: psycopg.Connection) -> dict[str, int]:
    """Files per state, and how many done files still wait for the relay."""
    out = {s: 0 for s in STATES}
    for state, n in conn.execute(
        "SELECT state, count(*) FROM sensor.station_files GROUP BY state").fetchall():
        out[state] = int(n)
    row = conn.execute("SELECT count(*) FROM sensor.station_files"
                       " WHERE state = 'done' AND relayed_at IS NULL").fetchone()
    out["not relayed"] = int(row[0]) if row else 0
    return out
