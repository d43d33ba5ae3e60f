"""Parcels: at a point, by key with history and planning overlay, near exceeding stations."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from gis.parcels.queries import get_parcel, parcel_at
from layers.planning import parcel_overlay
from layers.stations import parcels_near_exceeding
from maps.deps import ConnDep
from maps.params import (
    CommuneCode,
    Distance,
    Lat,
    Lon,
    OptionalParameter,
    ParcelNumber,
    SheetNumber,
)

router = APIRouter(tags=["parcels"])


@router.get("/parcels/at", summary="The current parcel at a WGS 84 point")
async def parcels_at(lon: Lon, lat: Lat) -> dict[str, Any]:
    """Parcel card data (no land users: personal data needs a role, issue 7)."""
    parcel = await run_in_threadpool(parcel_at, lon, lat)
    return parcel.to_dict()


@router.get("/parcels/near-exceeding", summary="Parcels near stations exceeding a limit")
async def parcels_near(
    conn: ConnDep,
    distance: Distance = 500.0,
    parameter: OptionalParameter = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> dict[str, Any]:
    """Current parcels within ``distance`` metres of a station now exceeding a limit."""
    rows = await parcels_near_exceeding(conn, distance, parameter, limit)
    return {"distance_m": distance, "parameter": parameter, "parcels": rows}


@router.get("/parcels/{commune}/{sheet}/{number}", summary="A parcel with its history")
async def parcel(
    commune: CommuneCode,
    sheet: SheetNumber,
    number: ParcelNumber,
    conn: ConnDep,
    history: bool = True,
) -> dict[str, Any]:
    """The parcel's versions, newest first, and the planning overlay of the current one."""
    versions = await run_in_threadpool(get_parcel, commune, sheet, number, history)
    current = versions[0].to_dict()
    current["planning"] = await parcel_overlay(conn, commune, sheet, number)
    return {"parcel": current, "history": [v.to_dict() for v in versions]}


@router.get("/parcels/{commune}/{sheet}/{number}/planning", summary="Planning overlay")
async def parcel_planning(
    commune: CommuneCode, sheet: SheetNumber, number: ParcelNumber, conn: ConnDep
) -> dict[str, Any]:
    """Area of the parcel by planned purpose."""
    return await parcel_overlay(conn, commune, sheet, number)
