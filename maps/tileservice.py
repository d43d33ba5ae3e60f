"""Serving one vector tile: cache look-up after applying pending data changes, else SQL."""

from __future__ import annotations

import gzip
import hashlib
import time
from collections.abc import Sequence

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from layers.catalog import Layer
from layers.changes import changes_since
from layers.tilecache import BBox, CachedTile
from layers.tiles import check_tile, mvt_tile
from maps.coalesce import Coalesced
from maps.deps import MapState, Principal, cancel_on_disconnect, pooled
from maps.personal import audit_view
from maps.replicas import note_primary, on_primary, reading

GZIP_LEVEL = 3
LARGE_TILE = 256 * 1024


async def sync_changes(state: MapState) -> int:
    """Apply data changes logged before this call, if any; return the tiles dropped.

    Every tile request waits for a look-up of the change log that began after it arrived: this
    is what makes an edited parcel show on the very next request, whether or not its NOTIFY has
    arrived yet. Requests arriving together share one look-up (``maps.coalesce``): one indexed
    query per round trip of the database, not per request.
    """
    if state.change_sync is None:
        state.change_sync = Coalesced(lambda: _apply_changes(state))
    return await state.change_sync()


async def _apply_changes(state: MapState) -> int:
    async with pooled(state, state.sync_pool) as conn:
        changes = await changes_since(conn, state.applied_change)
        if not changes:
            return 0
        if state.replicas is not None:  # reads from now on must see these changes
            await note_primary(state, conn)
        dropped = state.cache.apply(changes) if state.cache is not None else 0
        if state.shared is not None:  # every instance applies them: the deletes are idempotent
            dropped += await state.shared.apply(conn, changes)
        # Advanced only once applied: a fill guarded by this id sees every change before it.
        state.applied_change = changes[-1][0]
        # Computed rasters drop their surface when one of their change sources changed.
        state.surface.invalidate(source for _id, source, _bbox in changes)
    if dropped:
        state.metrics.tiles_invalidated.inc(dropped)
    return dropped


async def drop_shared(state: MapState, changes: Sequence[tuple[str, BBox | None]]) -> int:
    """Delete the shared cache's tiles these (source, bbox) changes affect (a NOTIFY's)."""
    if state.shared is None:
        return 0
    async with pooled(state, state.sync_pool) as conn:
        dropped = await state.shared.apply(conn, [(0, src, box) for src, box in changes])
    state.metrics.tiles_invalidated.inc(dropped)
    return dropped


def encode(data: bytes, cut: tuple[str, ...], personal_ids: tuple[int, ...] = ()) -> CachedTile:
    """Compress a tile and give it an entity tag derived from its content."""
    etag = '"' + hashlib.blake2b(data, digest_size=12).hexdigest() + '"'
    gz = gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)
    return CachedTile(gz, etag, cut, len(gz) + 200 + 8 * len(personal_ids), personal_ids)


async def get_tile(
    state: MapState,
    request: Request,
    layers: Sequence[Layer],
    z: int,
    x: int,
    y: int,
    principal: Principal,
) -> tuple[CachedTile, bool]:
    """The tile as ``principal``'s role sees it (from the cache when it is still valid) and
    whether it was a cache hit. A tile carrying personal data is audited, hit or miss."""
    check_tile(z, x, y)
    started = time.perf_counter()
    role = principal.role
    # The role is part of the key: a tile made for one role is never served to another.
    key = (tuple(layer.id for layer in layers), z, x, y, role)
    target = f"{','.join(key[0])}/{z}/{x}/{y}"
    cache, shared = state.cache, state.shared
    if cache is not None or shared is not None or state.replicas is not None:
        await sync_changes(state)
        hit = cache.get(key) if cache is not None else None
        if hit is None and shared is not None:
            # The small pool's connections stay in the login role, the only one granted the
            # table, and a hit never queues behind the request pool's slow queries.
            async with pooled(state, state.sync_pool) as conn:
                hit = await shared.get(conn, key)
            if hit is not None and cache is not None:
                cache.put(key, hit)
        if hit is not None:
            if hit.personal_ids:
                async with pooled(state, role=role) as conn:
                    await audit_view(conn, request, principal, action="tile", target=target,
                                     parcel_ids=hit.personal_ids)  # fmt: skip
            _observe(state, layers, z, "hit", started)
            return hit, True
    # The fill is stored only if no change of these layers came after this id (read before
    # the tile's query: its snapshot holds every change up to it).
    seen = state.applied_change
    # Only a miss needs a connection: a replica's that has replayed every change applied so
    # far, else the request pool's. Both log in as iocgis_web, which reads nothing: every
    # borrow runs as the caller.
    async with reading(state, role) as conn:
        tile = await cancel_on_disconnect(request, conn, mvt_tile(conn, layers, z, x, y, role))
        if tile.personal_ids:  # the audit row is written on the primary, before the answer
            async with on_primary(state, conn, role) as primary:
                await audit_view(primary, request, principal, action="tile", target=target,
                                 parcel_ids=tile.personal_ids)  # fmt: skip
    if len(tile.data) > LARGE_TILE:  # compress big tiles off the event loop
        encoded = await run_in_threadpool(encode, tile.data, tile.cut, tile.personal_ids)
    else:
        encoded = encode(tile.data, tile.cut, tile.personal_ids)
    if cache is not None:
        cache.put(key, encoded)
    # The shared table belongs to the login role (iocgis_web), which may read no personal data:
    # a tile carrying land users stays in this process's cache only (and is audited each time).
    if shared is not None and not encoded.personal_ids:
        async with pooled(state, state.sync_pool) as conn:
            await shared.put(conn, key, encoded, layers, seen)
    cached = cache is not None or shared is not None
    _observe(state, layers, z, "miss" if cached else "off", started)
    return encoded, False


def _observe(state: MapState, layers: Sequence[Layer], z: int, result: str, t0: float) -> None:
    m = state.metrics
    elapsed = time.perf_counter() - t0
    name = ",".join(layer.id for layer in layers)
    m.tile_seconds.labels(name, str(z), result).observe(elapsed)
    if result != "off":
        m.cache_requests.labels(result).inc()
        cache = state.cache
        if cache is not None:
            total = cache.hits + cache.misses
            m.cache_hit_ratio.set(cache.hits / total if total else 0.0)
            m.cache_bytes.set(cache.size_bytes)
