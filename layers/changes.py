"""Reading the data-change log (``layers.changes``) the triggers of migration 0007 write."""

from __future__ import annotations

import json
from typing import Any

import psycopg

from layers.tilecache import BBox
from sensors.contract import CHANNEL_SOURCES, LAYERS_CHANNEL

Change = tuple[int, str, BBox | None]


def _row(row: tuple[Any, ...]) -> Change:
    cid, source, w, s, e, n = row
    return int(cid), str(source), None if w is None else (w, s, e, n)


async def changes_since(conn: psycopg.AsyncConnection, after: int) -> list[Change]:
    """Changes with an id above ``after``, oldest first."""
    cur = await conn.execute(
        "SELECT id, source, west, south, east, north FROM layers.changes"
        " WHERE id > %s::bigint ORDER BY id",
        [after],
        prepare=True,
    )
    return [_row(r) for r in await cur.fetchall()]


async def latest_change(conn: psycopg.AsyncConnection) -> int:
    """The newest change id (0 when the log is empty)."""
    cur = await conn.execute("SELECT coalesce(max(id), 0) FROM layers.changes")
    row = await cur.fetchone()
    return int(row[0]) if row else 0


async def record_change(
    conn: psycopg.AsyncConnection, source: str, bbox: BBox | None = None
) -> None:
    """Report a change of ``source`` (e.g. the AQI surface recomputed) like the triggers do."""
    box = None if bbox is None else "BOX({} {},{} {})".format(*bbox)
    await conn.execute("SELECT layers.record_change(%s, %s::box2d)", [source, box])


def parse_notification(channel: str, payload: str) -> tuple[str, BBox | None, dict[str, Any]]:
    """(source, bbox, decoded payload) of a NOTIFY on one of the contract's channels."""
    try:
        data = json.loads(payload) if payload else {}
    except json.JSONDecodeError:
        data = {"raw": payload}
    if not isinstance(data, dict):
        data = {"value": data}
    if channel == LAYERS_CHANNEL:
        bbox = data.get("bbox")
        return str(data.get("source", "")), tuple(bbox) if bbox else None, data
    return CHANNEL_SOURCES.get(channel, channel), None, data
