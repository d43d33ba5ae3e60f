"""The tile cache shared by every worker process and app instance: an UNLOGGED PostgreSQL table.

Same key and same invalidation as the in-process cache (``layers.tilecache``): a change of a
source within a box deletes, at every zoom, the tiles of the affected layers whose bounds (grown
by the MVT buffer) meet the box — here one DELETE over per-zoom tile ranges. A tile is stored
only if no change of its layers' sources was logged after the change id its query had already
seen, so a tile computed from data older than a change can never outlive that change.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import psycopg
from psycopg import sql

from gis.tables import ident
from gis.tables.layers import changes
from gis.tables.tile_cache import tile_cache
from layers.catalog import Layer
from layers.tilecache import BBox, CachedTile, Change, TileKey, affected_by
from layers.tiles import MARGIN, TMS

#: Half the width of the Web Mercator grid (metres): tile ranges are plain arithmetic on it.
HALF = TMS.xy_bbox.right
TABLE = ident(tile_cache)

GET = sql.SQL(
    "SELECT gzipped, etag, cut, personal_ids FROM {} WHERE layer_set = %s AND role = %s"
    " AND z = %s AND x = %s AND y = %s"
).format(TABLE)

PUT = sql.SQL(
    "INSERT INTO {t} (layer_set, role, z, x, y, layer_ids, gzipped, etag, cut, personal_ids)"
    " SELECT %(set)s, %(role)s, %(z)s, %(x)s, %(y)s, %(ids)s, %(gz)s, %(etag)s, %(cut)s,"
    " %(personal)s::bigint[]"
    " WHERE NOT EXISTS (SELECT 1 FROM {log} WHERE {id} > %(seen)s::bigint"
    " AND {source} = ANY(%(sources)s::text[]))"
    " ON CONFLICT (layer_set, role, z, x, y) DO UPDATE SET gzipped = excluded.gzipped,"
    " etag = excluded.etag, cut = excluded.cut, personal_ids = excluded.personal_ids,"
    " filled_at = now()"
).format(t=TABLE, log=ident(changes), id=sql.Identifier("id"), source=sql.Identifier("source"))

DROP_LAYERS = sql.SQL("DELETE FROM {} WHERE layer_ids && %s::text[]").format(TABLE)

# One row per (affected layer, zoom range) of every change applied together: the ingester logs
# dozens of station and alert changes a second, and a DELETE each, on every instance, stood
# between every tile request and its answer (each request waits for the change look-up).
DROP_RANGES = sql.SQL(
    "DELETE FROM {} c USING unnest(%s::text[], %s::int[], %s::int[], %s::int[], %s::int[],"
    " %s::int[]) AS r(layer, z, x0, x1, y0, y1) WHERE r.layer = ANY(c.layer_ids) AND c.z = r.z"
    " AND c.x BETWEEN r.x0 AND r.x1 AND c.y BETWEEN r.y0 AND r.y1"
).format(TABLE)

#: Keeps the newest fills up to a byte budget (the gzip bytes), deleting the older ones.
TRIM = sql.SQL(
    "DELETE FROM {t} c USING (SELECT ctid, sum(octet_length(gzipped)) OVER"
    " (ORDER BY filled_at DESC, ctid) AS upto FROM {t}) s"
    " WHERE c.ctid = s.ctid AND s.upto > %s::bigint"
).format(t=TABLE)

Range = tuple[int, int, int, int, int]


def tile_ranges(box: BBox, margin: float = MARGIN) -> list[Range]:
    """Per zoom, (z, x0, x1, y0, y1) of the tiles whose bounds grown by ``margin`` tile widths
    meet ``box`` (Web Mercator metres): the tiles ``TileCache.invalidate`` drops."""
    left, bottom, right, top = box
    out: list[Range] = []
    for z in range(TMS.minzoom, TMS.maxzoom + 1):
        n = 2**z
        width = 2 * HALF / n
        grow = width * margin
        # Tile i spans [-HALF + i·w - g, -HALF + (i+1)·w + g]; rows count from the top.
        x0 = math.ceil((left + HALF - grow) / width - 1)
        x1 = math.floor((right + HALF + grow) / width)
        y0 = math.ceil((HALF - top - grow) / width - 1)
        y1 = math.floor((HALF - bottom + grow) / width)
        out.append((z, max(x0, 0), min(x1, n - 1), max(y0, 0), min(y1, n - 1)))
    return out


def change_sources(layers: Sequence[Layer]) -> list[str]:
    """Every change source of ``layers`` (a change of any of them makes a fill stale)."""
    return sorted({source for layer in layers for source in layer.change_sources})


class SharedTileCache:
    """Tiles in ``layers.tile_cache``; every call takes a connection logged in as the web app's
    login role (the only role granted the table)."""

    def __init__(self, max_bytes: int = 1024 * 1024 * 1024, trim_every: int = 256) -> None:
        self.max_bytes = max_bytes
        #: Every this many fills, this instance trims the table back to ``max_bytes`` (one
        #: scan of the table; the budget is shared, so any instance may do it).
        self.trim_every = trim_every
        self.hits = 0
        self.misses = 0
        self.fills = 0

    async def get(self, conn: psycopg.AsyncConnection, key: TileKey) -> CachedTile | None:
        """The stored tile for ``key`` or None (one primary-key look-up)."""
        names, z, x, y, role = key
        cur = await conn.execute(GET, (",".join(names), role, z, x, y), prepare=True)
        row = await cur.fetchone()
        if row is None:
            self.misses += 1
            return None
        self.hits += 1
        gz, etag, cut, personal = row
        gz = bytes(gz)
        return CachedTile(gz, etag, tuple(cut), len(gz) + 200 + 8 * len(personal), tuple(personal))

    async def put(
        self,
        conn: psycopg.AsyncConnection,
        key: TileKey,
        tile: CachedTile,
        layers: Sequence[Layer],
        seen_change: int,
    ) -> bool:
        """Store ``tile`` unless a change of its layers was logged after ``seen_change`` (the
        newest change id applied before its query ran); True when stored."""
        names, z, x, y, role = key
        params = {
            "set": ",".join(names), "role": role, "z": z, "x": x, "y": y, "ids": list(names),
            "gz": tile.gzipped, "etag": tile.etag, "cut": list(tile.cut),
            "personal": list(tile.personal_ids), "seen": seen_change,
            "sources": change_sources(layers),
        }  # fmt: skip
        cur = await conn.execute(PUT, params, prepare=True)
        self.fills += 1
        if self.fills % self.trim_every == 0:
            await self.trim(conn)
        return cur.rowcount == 1

    async def trim(self, conn: psycopg.AsyncConnection) -> int:
        """Delete the oldest fills beyond the byte budget; return how many went."""
        cur = await conn.execute(TRIM, (self.max_bytes,))
        return cur.rowcount

    async def apply(self, conn: psycopg.AsyncConnection, changes: Iterable[Change]) -> int:
        """Apply (id, source, bbox) changes in at most two statements; return the tiles deleted."""
        everywhere, boxes = affected_by(changes)
        dropped = 0
        if everywhere:
            cur = await conn.execute(DROP_LAYERS, (sorted(everywhere),), prepare=True)
            dropped += cur.rowcount
        rows = sorted({(layer, *r) for layer, near in boxes.items() for box in near
                       for r in tile_ranges(box)})  # fmt: skip
        if rows:
            columns = [list(col) for col in zip(*rows, strict=True)]
            cur = await conn.execute(DROP_RANGES, columns, prepare=True)
            dropped += cur.rowcount
        return dropped

    async def clear(self, conn: psycopg.AsyncConnection) -> None:
        """Delete every shared tile."""
        await conn.execute(sql.SQL("DELETE FROM {}").format(TABLE))
