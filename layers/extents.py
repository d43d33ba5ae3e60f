"""Each collection's real spatial and temporal extent, recomputed only after its data changed.

Computed with one ``ST_Extent``/``min``/``max`` over the layer's view the first time it is
asked for, then kept until the change log (``layers.changes``, written by the triggers of
migration 0007 and NOTIFYd) shows a change of one of the layer's sources. A request costs one
indexed range query on the change log (ids above the last one seen), never a scan of the data.
``ST_EstimatedExtent`` was not used: it reads planner statistics of a *table* (our collections
are views over several) and lags behind until the next ANALYZE, so a fresh import would zoom
to the old extent.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

import psycopg
from psycopg import sql

from layers.catalog import Layer


@dataclass(frozen=True)
class Extent:
    """A layer's WGS 84 bounding box (None when empty) and time range (None ends when none)."""

    bbox: tuple[float, float, float, float] | None
    start: datetime | None = None
    end: datetime | None = None


async def compute_extent(conn: psycopg.AsyncConnection, layer: Layer) -> Extent:
    """The extent of ``layer``'s view now (one pass over it)."""
    time_cols: sql.Composable = sql.SQL("NULL::timestamptz, NULL::timestamptz")
    if layer.time_property:
        col = sql.Identifier(layer.time_property)
        time_cols = sql.SQL("min(s.{0}), max(s.{0})").format(col)
    query = sql.SQL(
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), t0, t1 FROM"
        " (SELECT ST_Extent(s.geom) AS e, {} FROM layers.{} s) AS x(e, t0, t1)"
    ).format(time_cols, sql.Identifier(layer.view or ""))
    cur = await conn.execute(query)
    row = await cur.fetchone()
    if row is None or row[0] is None:
        return Extent(None, row[4] if row else None, row[5] if row else None)
    return Extent((float(row[0]), float(row[1]), float(row[2]), float(row[3])), row[4], row[5])


class ExtentCache:
    """Extents by layer id, dropped when the change log shows one of the layer's sources."""

    def __init__(self) -> None:
        self._extents: dict[str, Extent] = {}
        self._seen: int | None = None
        self._lock = asyncio.Lock()

    async def _sync(self, conn: psycopg.AsyncConnection, layers: list[Layer]) -> None:
        if self._seen is None:  # first use: everything computed from now on is current
            cur = await conn.execute("SELECT coalesce(max(id), 0) FROM layers.changes")
            row = await cur.fetchone()
            self._seen = int(row[0]) if row else 0
            return
        cur = await conn.execute(
            "SELECT source, max(id) FROM layers.changes WHERE id > %s::bigint GROUP BY source",
            [self._seen],
        )
        rows = await cur.fetchall()
        if not rows:
            return
        self._seen = max(int(r[1]) for r in rows)
        changed = {str(r[0]) for r in rows}
        for layer in layers:
            if changed.intersection(layer.change_sources):
                self._extents.pop(layer.id, None)

    async def extents(
        self, conn: psycopg.AsyncConnection, layers: list[Layer]
    ) -> dict[str, Extent]:
        """The current extent of each of ``layers`` (computed for those that changed)."""
        async with self._lock:
            await self._sync(conn, layers)
            for layer in layers:
                if layer.id not in self._extents:
                    self._extents[layer.id] = await compute_extent(conn, layer)
            return {layer.id: self._extents[layer.id] for layer in layers}
