"""Key figures of the wall that no map layer carries: parcels by land-use group in a province.

Computed by the data layer (``gis.parcels.province``) on the request's connection, which runs as
the caller's database role, and kept for a minute by a cache the app owns (``app.state``), so a
wall (or ten) refreshing on every parcel event costs the database little. The figures are public
(no personal data), so one cached copy serves every role.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import psycopg

from gis.parcels.province import province_land_use

#: Seconds a province's figures are reused before being recomputed.
TTL_S = 60.0


class FiguresCache:
    """Each province's figures and when they were computed (one per app)."""

    def __init__(self, ttl_s: float = TTL_S) -> None:
        self.ttl_s = ttl_s
        self._entries: dict[str, tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    async def province_land_use(
        self, conn: psycopg.AsyncConnection, code: str, *, now: float | None = None
    ) -> dict[str, Any]:
        """:func:`gis.parcels.province.province_land_use`, reused for ``ttl_s`` seconds."""
        now = time.monotonic() if now is None else now
        with self._lock:
            hit = self._entries.get(code)
            if hit and now - hit[0] < self.ttl_s:
                return hit[1]
        figures = await province_land_use(conn, code)
        with self._lock:
            self._entries[code] = (now, figures)
        return figures

    def forget(self) -> None:
        """Drop every cached figure (after parcels changed)."""
        with self._lock:
            self._entries.clear()
