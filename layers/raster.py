"""Raster tiles and point values read with rio-tiler, as each layer's raster spec declares.

A source is a file (a COG on disk) or the bytes of a computed GeoTIFF (``layers.surface``);
colours, resampling and what a point query names come from ``Layer.raster``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from rasterio.io import MemoryFile
from rio_tiler.errors import PointOutsideBounds, TileOutsideBounds
from rio_tiler.io import Reader

from gis.errors import InvalidInput, NotFound
from layers.catalog import Layer
from layers.rasterspec import RasterSpec

#: What a raster is read from: a file path, or an in-memory GeoTIFF.
Source = Path | bytes


def spec_of(layer: Layer) -> RasterSpec:
    """The raster spec of a raster layer (NotFound for a layer that has none)."""
    if layer.raster is None:
        raise NotFound(f"no such raster layer: {layer.id}")
    return layer.raster


def _render(source: Source, fn: Any) -> Any:
    """Run ``fn(reader)`` on a rio-tiler Reader over ``source``."""
    if isinstance(source, bytes):
        with MemoryFile(source) as mem, mem.open() as ds, Reader(None, dataset=ds) as src:
            return fn(src)
    if not Path(source).exists():
        raise NotFound(f"raster file {Path(source).name} is missing")
    with Reader(str(source)) as src:
        return fn(src)


def render_tile(spec: RasterSpec, source: Source, z: int, x: int, y: int) -> bytes | None:
    """A 256 px PNG tile of a raster layer (None when the tile lies outside the raster)."""
    cmap: Any = spec.colormap_for_tiles()

    def tile(src: Reader) -> bytes:
        img = src.tile(x, y, z, tilesize=256, resampling_method=spec.resampling)
        return bytes(img.render(img_format="PNG", colormap=cmap))

    try:
        return _render(source, tile)
    except TileOutsideBounds:
        return None


def point_value(layer: Layer, source: Source, lon: float, lat: float) -> dict[str, Any]:
    """The raster value at a point, with its class (coded rasters) or category named."""
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InvalidInput("lon/lat out of range")
    spec = spec_of(layer)
    try:
        pt = _render(source, lambda src: src.point(lon, lat))
    except PointOutsideBounds as exc:
        raise NotFound(f"nothing here: {layer.id} does not cover {lon}, {lat}") from exc
    value = float(pt.data[0])
    if bool(np.ma.getmaskarray(pt.array)[0]):
        raise NotFound(f"nothing here: {layer.id} has no value at {lon}, {lat}")
    out: dict[str, Any] = {"layer": layer.id, "lon": lon, "lat": lat, "value": value}
    found = spec.class_of(value)
    if spec.point == "class":
        vi, en = (found.name_vi, found.name_en) if found else ("?", "?")
        out["class"] = {"code": int(value), "vi": vi, "en": en}
    elif found is not None:
        out["category"] = {"vi": found.name_vi, "en": found.name_en}
    return out
