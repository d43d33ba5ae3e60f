"""Raster layers read with rio-tiler: the land-cover COG and the interpolated AQI surface.

The AQI surface is an inverse-distance-weighted grid of the air stations' current VN_AQI,
clipped to the province(s) holding them; it is rebuilt on demand after the stations change.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import rasterio
import shapely
from rasterio.features import geometry_mask
from rasterio.io import MemoryFile
from rasterio.transform import from_origin
from rio_tiler.errors import PointOutsideBounds, TileOutsideBounds
from rio_tiler.io import Reader

from gis.errors import InvalidInput, NotFound
from layers.landcover import CLASS_NAMES, LANDCOVER
from layers.styles import AQI_CATEGORIES

#: Grid step of the AQI surface, degrees (~550 m).
AQI_RES = 0.005
IDW_POWER = 2.0
#: Most cells along each side of the surface grid.
MAX_CELLS = 512

LANDCOVER_COLORMAP: dict[int, tuple[int, int, int, int]] = {
    10: (0, 100, 0, 255), 30: (255, 255, 76, 255), 40: (240, 150, 255, 255),
    50: (250, 0, 0, 255), 60: (180, 180, 180, 255), 80: (0, 100, 200, 255),
}  # fmt: skip


def aqi_colormap() -> list[tuple[tuple[float, float], tuple[int, int, int, int]]]:
    """rio-tiler interval colormap of the VN_AQI categories."""
    out, low = [], 0.0
    for high, _vi, _en, rgb in AQI_CATEGORIES:
        out.append(((low, high + 0.5), (*rgb, 255)))
        low = high + 0.5
    out[-1] = ((out[-1][0][0], 100_000.0), out[-1][1])
    return out


@dataclass
class Surface:
    """An in-memory GeoTIFF (bytes) of a computed raster, and what it was computed from."""

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


class SurfaceCache:
    """The current AQI surface; dropped when the stations change, rebuilt on next use."""

    def __init__(self) -> None:
        self._surface: Surface | None = None
        self._lock = threading.Lock()
        self.builds = 0

    def get(self) -> Surface | None:
        """The cached surface or None."""
        return self._surface

    def put(self, surface: Surface) -> None:
        """Keep a freshly built surface."""
        with self._lock:
            self._surface = surface
            self.builds += 1

    def invalidate(self) -> None:
        """Forget the surface (its stations changed)."""
        with self._lock:
            self._surface = None


def _open(source: Path | bytes) -> Any:
    if isinstance(source, bytes):
        return MemoryFile(source)
    if not Path(source).exists():
        raise NotFound(f"raster file {Path(source).name} is missing")
    return None


def _render(source: Path | bytes, fn: Any) -> Any:
    mem = _open(source)
    try:
        if mem is not None:
            with mem.open() as ds, Reader(None, dataset=ds) as src:
                return fn(src)
        with Reader(str(source)) as src:
            return fn(src)
    finally:
        if mem is not None:
            mem.close()


def render_tile(layer_id: str, source: Path | bytes, z: int, x: int, y: int) -> bytes | None:
    """A 256 px PNG tile of a raster layer (None when the tile lies outside the raster)."""
    cmap: Any = LANDCOVER_COLORMAP if layer_id == "landcover" else aqi_colormap()
    resampling = "nearest" if layer_id == "landcover" else "bilinear"

    def tile(src: Reader) -> bytes:
        img = src.tile(x, y, z, tilesize=256, resampling_method=resampling)
        return bytes(img.render(img_format="PNG", colormap=cmap))

    try:
        return _render(source, tile)
    except TileOutsideBounds:
        return None


def point_value(layer_id: str, source: Path | bytes, lon: float, lat: float) -> dict[str, Any]:
    """The raster value at a point, with the land-cover class or AQI category named."""
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InvalidInput("lon/lat out of range")
    try:
        pt = _render(source, lambda src: src.point(lon, lat))
    except PointOutsideBounds as exc:
        raise NotFound(f"nothing here: {layer_id} does not cover {lon}, {lat}") from exc
    value = float(pt.data[0])
    if bool(np.ma.getmaskarray(pt.array)[0]):
        raise NotFound(f"nothing here: {layer_id} has no value at {lon}, {lat}")
    out: dict[str, Any] = {"layer": layer_id, "lon": lon, "lat": lat, "value": value}
    if layer_id == "landcover":
        vi, en = CLASS_NAMES.get(int(value), ("?", "?"))
        out["class"] = {"code": int(value), "vi": vi, "en": en}
    else:
        for high, vi, en, _rgb in AQI_CATEGORIES:
            if round(value) <= high:
                out["category"] = {"vi": vi, "en": en}
                break
    return out


def landcover_path(data_dir: str | None = None) -> Path:
    """Where the land-cover COG is (settings may point at another data directory)."""
    return Path(data_dir) / "landcover" / LANDCOVER.name if data_dir else LANDCOVER


def raster_info(path: Path) -> dict[str, Any]:
    """Bounds and size of a raster file."""
    with rasterio.open(path) as ds:
        return {"bounds": list(ds.bounds), "width": ds.width, "height": ds.height}
