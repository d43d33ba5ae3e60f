"""Computed raster surfaces: the interpolated AQI surface and the app's cache of surfaces.

The AQI surface is an inverse-distance-weighted grid of the air stations' current VN_AQI,
clipped to the province(s) holding them. A computed surface is rebuilt on demand after one of
its layer's change sources (``Layer.change_sources``) reports a change.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

import numpy as np
import psycopg
import shapely
from rasterio.features import geometry_mask
from rasterio.io import MemoryFile
from rasterio.transform import from_origin

from gis.errors import NotFound
from layers.catalog import CATALOG, Layer

#: Grid step of the AQI surface, degrees (~550 m).
AQI_RES = 0.005
IDW_POWER = 2.0
#: Most cells along each side of the surface grid.
MAX_CELLS = 512


@dataclass
class Surface:
    """An in-memory GeoTIFF (bytes) of a computed raster, and how many points made it."""

    data: bytes
    stations: int


def idw(
    xs: np.ndarray,
    ys: np.ndarray,
    values: np.ndarray,
    gx: np.ndarray,
    gy: np.ndarray,
    power: float = IDW_POWER,
) -> np.ndarray:
    """Inverse-distance weighting of point values onto grid points (local metric scale)."""
    k = np.cos(np.radians(np.mean(ys)))
    dx = (gx[..., None] - xs) * k
    dy = gy[..., None] - ys
    d2 = dx * dx + dy * dy
    exact = d2 < 1e-18
    w = 1.0 / np.power(np.maximum(d2, 1e-18), power / 2)
    grid = (w * values).sum(-1) / w.sum(-1)
    hit = exact.any(-1)
    if hit.any():
        grid[hit] = values[np.argmax(exact[hit], axis=-1)]
    return grid


async def aqi_surface(conn: psycopg.AsyncConnection) -> Surface:
    """Build the AQI surface from the stations' current VN_AQI (NotFound without stations)."""
    cur = await conn.execute(
        "SELECT ST_X(geom), ST_Y(geom), index_value FROM layers.stations"
        " WHERE kind = 'air' AND index_value IS NOT NULL"
    )
    rows = await cur.fetchall()
    if not rows:
        raise NotFound("no air station has a current AQI: no surface")
    cur = await conn.execute(
        "SELECT ST_AsBinary(ST_Union(p.geom)) FROM admin.provinces p WHERE EXISTS ("
        " SELECT 1 FROM layers.stations s WHERE s.kind = 'air' AND s.index_value IS NOT NULL"
        " AND ST_Intersects(p.geom, s.geom))"
    )
    clip_row = await cur.fetchone()
    pts = np.array(rows, dtype=float)
    if clip_row and clip_row[0]:
        clip = shapely.from_wkb(bytes(clip_row[0]))
    else:  # stations outside every province: a box around them
        clip = shapely.box(*pts[:, 0:2].min(0), *pts[:, 0:2].max(0)).buffer(0.1)
    west, south, east, north = clip.bounds
    # Coarser steps for a wide area, so the grid (cells × stations) stays bounded.
    res = max(AQI_RES, (east - west) / MAX_CELLS, (north - south) / MAX_CELLS)
    width = max(int(np.ceil((east - west) / res)), 1)
    height = max(int(np.ceil((north - south) / res)), 1)
    transform = from_origin(west, north, res, res)
    cols, rws = np.meshgrid(np.arange(width) + 0.5, np.arange(height) + 0.5)
    gx, gy = west + cols * res, north - rws * res
    grid = idw(pts[:, 0], pts[:, 1], pts[:, 2], gx, gy).astype(np.float32)
    outside = geometry_mask([clip], out_shape=(height, width), transform=transform)
    grid[outside] = -1.0
    profile = {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": 1,
        "dtype": "float32",
        "crs": "EPSG:4326",
        "transform": transform,
        "nodata": -1.0,
    }
    with MemoryFile() as mem:
        with mem.open(**profile) as dst:
            dst.write(grid, 1)
        return Surface(mem.read(), len(rows))


#: Builders of computed surfaces, by the name a layer's raster spec gives (``builder``).
BUILDERS: dict[str, Callable[[psycopg.AsyncConnection], Awaitable[Surface]]] = {
    "aqi_idw": aqi_surface,
}


class SurfaceCache:
    """The current computed surfaces by layer id; a layer's is dropped when one of its change
    sources reports a change, and rebuilt on next use."""

    def __init__(self, catalog: dict[str, Layer] = CATALOG) -> None:
        self._catalog = catalog
        self._surfaces: dict[str, Surface] = {}
        self._lock = threading.Lock()
        self.builds = 0

    def get(self, layer_id: str) -> Surface | None:
        """The cached surface of ``layer_id`` or None."""
        return self._surfaces.get(layer_id)

    def put(self, layer_id: str, surface: Surface) -> None:
        """Keep a freshly built surface."""
        with self._lock:
            self._surfaces[layer_id] = surface
            self.builds += 1

    def invalidate(self, sources: Iterable[str]) -> list[str]:
        """Forget the surfaces whose layers list one of ``sources``; returns their ids."""
        changed = set(sources)
        with self._lock:
            dropped = [
                layer_id
                for layer_id in self._surfaces
                if changed & set(self._catalog[layer_id].change_sources)
            ]
            for layer_id in dropped:
                del self._surfaces[layer_id]
        return dropped

    async def source(self, layer: Layer, conn: psycopg.AsyncConnection) -> bytes:
        """The GeoTIFF bytes of computed ``layer`` (built by its spec's builder when stale)."""
        assert layer.raster is not None and layer.raster.source == "computed", layer.id
        surface = self.get(layer.id)
        if surface is None:
            surface = await BUILDERS[layer.raster.builder](conn)
            self.put(layer.id, surface)
        return surface.data
