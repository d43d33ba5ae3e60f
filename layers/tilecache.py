"""An in-memory tile cache that follows the data.

Keyed by (layers, z, x, y, role). Changes reported by the database (``layers.changes`` rows
written by triggers, and the ingester's NOTIFY) drop exactly the cached tiles of the affected
layers whose bounds meet the changed extent, at every zoom; a change without an extent drops
every tile of the layers it concerns. No TTL: a tile stays valid until its data changes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

import morecantile

from layers.catalog import layers_for_source
from layers.tiles import MARGIN, TMS

TileKey = tuple[tuple[str, ...], int, int, int, str]
BBox = tuple[float, float, float, float]
#: A logged data change: (id, source, WGS 84 box or None for "anywhere").
Change = tuple[int, str, BBox | None]


@dataclass(frozen=True)
class CachedTile:
    """A tile as served: gzip-compressed bytes, entity tag and the layers cut at their cap."""

    gzipped: bytes
    etag: str
    cut: tuple[str, ...]
    size: int
    #: Ids of the features carrying personal data: a cache hit is audited like a miss.
    personal_ids: tuple[int, ...] = ()


def tile_bounds(z: int, x: int, y: int, margin: float = MARGIN) -> BBox:
    """Web Mercator bounds (left, bottom, right, top) of a tile, grown by ``margin`` tile widths
    (the MVT buffer: features drawn in it change the tile too)."""
    b = TMS.xy_bounds(morecantile.Tile(x, y, z))
    grow = (b.right - b.left) * margin
    return (b.left - grow, b.bottom - grow, b.right + grow, b.top + grow)


def mercator_bbox(bbox: BBox) -> BBox:
    """A WGS 84 (west, south, east, north) box in the grid's Web Mercator metres, clamped to the
    grid's extent (beyond ±85.05° there are no tiles)."""
    world = TMS.bbox
    west, south = max(bbox[0], world.left), max(bbox[1], world.bottom)
    east, north = min(bbox[2], world.right), min(bbox[3], world.top)
    left, bottom = TMS.xy(west, south)
    right, top = TMS.xy(east, north)
    return (left, bottom, right, top)


def affected_by(changes: Iterable[Change]) -> tuple[set[str], dict[str, set[BBox]]]:
    """The layers a set of changes drops everywhere (a change without a box), and for the
    others each layer's changed boxes in Web Mercator metres, each projected once."""
    everywhere: set[str] = set()
    boxes: dict[str, set[BBox]] = {}
    for _id, source, bbox in changes:
        for layer in layers_for_source(source):
            if bbox is None:
                everywhere.add(layer.id)
            else:  # a station changing again logs the same box: kept once
                boxes.setdefault(layer.id, set()).add(mercator_bbox(bbox))
    return everywhere, {k: v for k, v in boxes.items() if k not in everywhere}


def intersects(a: BBox, b: BBox) -> bool:
    """Whether two (west, south, east, north) boxes meet."""
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


class TileCache:
    """LRU tile cache bounded in bytes, with data-driven invalidation."""

    def __init__(self, max_bytes: int = 256 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._tiles: OrderedDict[TileKey, CachedTile] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._tiles)

    @property
    def size_bytes(self) -> int:
        """Bytes held."""
        return self._bytes

    def get(self, key: TileKey) -> CachedTile | None:
        """The cached tile for ``key`` or None (counts hits and misses)."""
        with self._lock:
            tile = self._tiles.get(key)
            if tile is None:
                self.misses += 1
                return None
            self._tiles.move_to_end(key)
            self.hits += 1
            return tile

    def put(self, key: TileKey, tile: CachedTile) -> None:
        """Store ``tile``, evicting the least recently used tiles beyond the byte budget."""
        if tile.size > self.max_bytes:
            return
        with self._lock:
            old = self._tiles.pop(key, None)
            if old is not None:
                self._bytes -= old.size
            self._tiles[key] = tile
            self._bytes += tile.size
            while self._bytes > self.max_bytes and self._tiles:
                _, evicted = self._tiles.popitem(last=False)
                self._bytes -= evicted.size

    def invalidate(self, source: str, bbox: BBox | None) -> int:
        """Drop the tiles a change of ``source`` within ``bbox`` (None: anywhere) affects."""
        return self.apply([(0, source, bbox)])

    def apply(self, changes: Iterable[Change]) -> int:
        """Apply (id, source, bbox) changes in one pass over the tiles; return the tiles dropped."""
        everywhere, boxes = affected_by(changes)
        if not everywhere and not boxes:
            return 0

        def affected(key: TileKey) -> bool:
            names = key[0]
            if everywhere.intersection(names):
                return True
            near = [b for name in names for b in boxes.get(name, ())]
            if not near:
                return False
            bounds = tile_bounds(key[1], key[2], key[3])  # plain arithmetic on the grid
            return any(intersects(bounds, b) for b in near)

        with self._lock:
            doomed = [key for key in self._tiles if affected(key)]
            for key in doomed:
                self._bytes -= self._tiles.pop(key).size
            self.dropped += len(doomed)
            return len(doomed)

    def clear(self) -> None:
        """Drop everything."""
        with self._lock:
            self._tiles.clear()
            self._bytes = 0
