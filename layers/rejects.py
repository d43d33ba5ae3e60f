"""Quarantined sensor payloads (``sensor.rejects``), newest first, for environment staff.

Readable by ``iocgis_environment`` and ``iocgis_admin`` only (migration 0008_access): any other
role gets ``permission denied`` from the database itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from gis.errors import InvalidInput

#: Most rows one call returns.
MAX_LIMIT = 1000
#: Longest part of a payload returned (payloads are raw bytes; a bad one may be huge).
MAX_PAYLOAD_CHARS = 2000

_SQL = """
SELECT id, topic, reason, received_at, length(payload) AS payload_bytes,
       substring(payload FROM 1 FOR %(max_bytes)s) AS payload
FROM sensor.rejects
WHERE (%(since)s::timestamptz IS NULL OR received_at >= %(since)s)
ORDER BY received_at DESC, id DESC
LIMIT %(limit)s
"""


async def recent_rejects(
    conn: psycopg.AsyncConnection, limit: int = 100, since: datetime | None = None
) -> list[dict[str, Any]]:
    """The newest quarantined payloads (payload as text, cut to MAX_PAYLOAD_CHARS)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}")
    if since is not None and since.tzinfo is None:
        raise InvalidInput("'since' must carry a time zone")
    max_bytes = MAX_PAYLOAD_CHARS * 4  # UTF-8: at most 4 bytes a character
    params = {"limit": limit, "since": since, "max_bytes": max_bytes}
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(_SQL, params)
        rows = await cur.fetchall()
    for row in rows:
        # Raw bytes: shown as UTF-8 with replacement characters, never executed or parsed.
        text = bytes(row["payload"]).decode("utf-8", "replace")
        row["payload"] = text[:MAX_PAYLOAD_CHARS]
        row["truncated"] = len(text) > MAX_PAYLOAD_CHARS or row["payload_bytes"] > max_bytes
    return rows
