"""Key figures of the wall that no map layer carries: parcels by land-use group in a province.

Computed by the data layer (``gis.parcels.province``) on the request's connection, which runs as
the caller's database role, and kept for a minute, so a wall (or ten) refreshing on every parcel
event costs the database little. The figures are public (no personal data), so one cached copy
serves every role.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import psycopg

from gis.parcels.province import province_land_use

#: Seconds a province's figures are reused before being recomputed.
TTL_S = 60.0

_cache: dict[str, tuple[float, dict[str, Any]]] = {}
_lock = threading.Lock()


async def cached_province_land_use(
    conn: psycopg.AsyncConnection, code: str, *, now: float | None = None
) -> dict[str, Any]:
    """:func:`gis.parcels.province.province_land_use`, reused for :data:`TTL_S` seconds."""
    now = time.monotonic() if now is None else now
    with _lock:
        hit = _cache.get(code)
        if hit and now - hit[0] < TTL_S:
            return hit[1]
    figures = await province_land_use(conn, code)
    with _lock:
        _cache[code] = (now, figures)
    return figures


def forget() -> None:
    """Drop every cached figure (after parcels changed)."""
    with _lock:
        _cache.clear()
