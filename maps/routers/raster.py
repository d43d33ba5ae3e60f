"""Raster tiles and point values (rio-tiler), and zonal statistics (exactextract)."""

from __future__ import annotations

from functools import cache

import numpy as np
from fastapi import APIRouter, Response
from rio_tiler.utils import render
from starlette.concurrency import run_in_threadpool

from layers.catalog import Layer, get_layer
from layers.raster import Source, point_value, render_tile, spec_of
from layers.tiles import check_tile
from layers.zonal import commune_zone, parcel_zone, zonal_stats
from maps.deps import ConnDep, MapState, RoleDep, StateDep
from maps.params import (
    CommuneCode,
    Lat,
    LayerId,
    Lon,
    ParcelNumber,
    SheetNumber,
    TileX,
    TileY,
    Zoom,
)
from maps.tileservice import sync_changes

router = APIRouter(tags=["raster"])


@cache
def empty_png() -> bytes:
    """A fully transparent 256 px PNG, for tiles outside a raster."""
    blank = np.zeros((1, 256, 256), np.uint8)
    return bytes(render(blank, mask=np.zeros((256, 256), np.uint8), img_format="PNG"))


async def raster_source(layer: Layer, state: MapState, conn: ConnDep) -> Source:
    """The file or in-memory GeoTIFF behind a raster layer, as its spec declares (a computed
    surface is rebuilt when its change sources reported a change)."""
    spec = spec_of(layer)
    if spec.source == "file":
        return spec.file(state.settings.data_dir)
    await sync_changes(state)
    return await state.surface.source(layer, conn)


@router.get("/raster/{name}/{z}/{x}/{y}.png", summary="Raster tile (PNG, colour-mapped)")
async def raster_tile(
    name: LayerId,
    z: Zoom,
    x: TileX,
    y: TileY,
    state: StateDep,
    conn: ConnDep,
    role: RoleDep,
) -> Response:
    """A 256 px PNG of a raster layer, coloured by its classes; transparent outside the data."""
    layer = get_layer(name, role, "raster")
    check_tile(z, x, y)
    source = await raster_source(layer, state, conn)
    png = await run_in_threadpool(render_tile, spec_of(layer), source, z, x, y)
    return Response(
        png or empty_png(), media_type="image/png", headers={"Cache-Control": "no-cache"}
    )


@router.get("/raster/{name}/point", summary="Raster value at a point")
async def raster_point(
    name: LayerId, lon: Lon, lat: Lat, state: StateDep, conn: ConnDep, role: RoleDep
) -> dict[str, object]:
    """The value at lon/lat with its class or category, as the layer's spec declares."""
    layer = get_layer(name, role, "raster")
    source = await raster_source(layer, state, conn)
    return await run_in_threadpool(point_value, layer, source, lon, lat)


async def _stats(
    name: str, label: str, geom: object, state: MapState, conn: ConnDep, role: str
) -> dict[str, object]:
    layer = get_layer(name, role, "raster")
    source = await raster_source(layer, state, conn)
    stats = await run_in_threadpool(zonal_stats, spec_of(layer), source, geom)
    return {"raster": layer.id, "zone": label, **stats}


@router.get("/stats/{name}/communes/{code}", summary="Zonal statistics of a commune")
async def commune_stats(
    name: LayerId, code: CommuneCode, state: StateDep, conn: ConnDep, role: RoleDep
) -> dict[str, object]:
    """Land-cover class areas, or AQI surface mean/min/max, inside a commune."""
    label, geom = await commune_zone(conn, code)
    return await _stats(name, f"{code} {label}", geom, state, conn, role)


@router.get(
    "/stats/{name}/parcels/{commune}/{sheet}/{number}", summary="Zonal statistics of a parcel"
)
async def parcel_stats(
    name: LayerId,
    commune: CommuneCode,
    sheet: SheetNumber,
    number: ParcelNumber,
    state: StateDep,
    conn: ConnDep,
    role: RoleDep,
) -> dict[str, object]:
    """Land-cover class areas, or AQI surface mean/min/max, inside a current parcel."""
    label, geom = await parcel_zone(conn, commune, sheet, number)
    return await _stats(name, label, geom, state, conn, role)
