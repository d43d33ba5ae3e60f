"""The audit log of personal-data views: who saw which parcels' land users, when, and how.

Rows go to ``audit.personal_data_views`` (append-only in the database: no UPDATE, DELETE or
TRUNCATE, even by its owner). ``iocgis_land`` may insert, ``iocgis_admin`` may read. A view
that cannot be recorded must not be served: callers let the error propagate (fail closed).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import psycopg

from gis.db import Read, run
from gis.errors import InvalidInput

#: Most rows :func:`recent_views_read` returns at once.
MAX_LIMIT = 10_000

# No RETURNING: iocgis_land may insert rows but not read them back.
_INSERT_SQL = """
INSERT INTO audit.personal_data_views
    (subject, role, method, action, target, parcel_ids, client)
VALUES (%(subject)s, %(role)s, %(method)s, %(action)s, %(target)s, %(parcel_ids)s, %(client)s)
"""

_RECENT_SQL = """
SELECT id, at, subject, role, method, action, target, parcel_ids, client
FROM audit.personal_data_views
WHERE (%(subject)s::text IS NULL OR subject = %(subject)s)
  AND (%(since)s::timestamptz IS NULL OR at >= %(since)s)
ORDER BY at DESC, id DESC
LIMIT %(limit)s
"""


def _row(
    subject: str, role: str, method: str, action: str, target: str | None,
    parcel_ids: Iterable[int], client: str | None,
) -> dict[str, Any]:  # fmt: skip
    if not subject or not action:
        raise InvalidInput("an audit row needs a subject and an action")
    return {
        "subject": subject, "role": role, "method": method, "action": action, "target": target,
        "parcel_ids": [int(i) for i in parcel_ids], "client": client,
    }  # fmt: skip


async def record_view(
    conn: psycopg.AsyncConnection, *, subject: str, role: str, method: str, action: str,
    target: str | None, parcel_ids: Iterable[int], client: str | None,
) -> None:  # fmt: skip
    """Append one row to the audit log on ``conn`` (the request's iocgis_land connection).

    The row is written in ``conn``'s current transaction (committed by autocommit or by the
    caller); any database error propagates so that the response is not sent.
    """
    row = _row(subject, role, method, action, target, parcel_ids, client)
    await conn.execute(_INSERT_SQL, row)


def record_view_sync(
    conn: psycopg.Connection, *, subject: str, role: str, method: str, action: str,
    target: str | None, parcel_ids: Iterable[int], client: str | None,
) -> None:  # fmt: skip
    """:func:`record_view` on a sync connection (CLI, tests)."""
    conn.execute(_INSERT_SQL, _row(subject, role, method, action, target, parcel_ids, client))


def _params(limit: int, subject: str | None, since: datetime | None) -> dict[str, Any]:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}")
    if since is not None and since.tzinfo is None:
        raise InvalidInput("'since' must carry a time zone")
    return {"limit": limit, "subject": subject, "since": since}


#: The columns of :data:`_RECENT_SQL`, the keys of each row :func:`recent_views_read` gives.
_RECENT_COLUMNS = ("id", "at", "subject", "role", "method", "action", "target", "parcel_ids",
                   "client")  # fmt: skip


def recent_views_read(
    limit: int = 100, subject: str | None = None, since: datetime | None = None
) -> Read[list[dict[str, Any]]]:
    """The newest audit rows first, optionally of one subject and from ``since`` on (run it as
    iocgis_admin, or the owner)."""
    params = _params(limit, subject, since)
    return Read(_RECENT_SQL, params, lambda rows: [dict(zip(_RECENT_COLUMNS, r, strict=True))
                                                   for r in rows])  # fmt: skip


def recent_views(
    conn: psycopg.Connection, limit: int = 100, subject: str | None = None,
    since: datetime | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """:func:`recent_views_read` on a sync connection (the CLI)."""
    return run(conn, recent_views_read(limit, subject, since))
