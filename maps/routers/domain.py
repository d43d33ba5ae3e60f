"""Parcels: at a point, by key with history and planning overlay, near exceeding stations.

Every query runs on the request's connection, as the caller's database role. Parcel cards carry
land users for the land role only, and each card that carries some is audited before it leaves.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from psycopg import AsyncConnection

from gis.access.roles import sees_personal_data
from gis.db import arun
from gis.parcels.model import Parcel
from gis.parcels.queries import parcel_at_query, parcel_query
from layers.planning import parcel_overlay
from layers.stations import parcels_near_exceeding
from maps.deps import ConnDep, Principal, PrincipalDep
from maps.params import (
    CommuneCode,
    Distance,
    Lat,
    Lon,
    OptionalParameter,
    ParcelNumber,
    SheetNumber,
)
from maps.personal import audit_view

router = APIRouter(tags=["parcels"])


async def _audit_cards(
    conn: AsyncConnection, request: Request, principal: Principal, target: str,
    cards: list[Parcel],
) -> None:  # fmt: skip
    """One audit row for the land users among ``cards`` (none when no card carries any)."""
    ids = [p.id for p in cards if p.users]
    if ids:
        await audit_view(conn, request, principal, action="parcel", target=target, parcel_ids=ids)


@router.get("/parcels/at", summary="The current parcel at a WGS 84 point")
async def parcels_at(
    lon: Lon, lat: Lat, conn: ConnDep, request: Request, principal: PrincipalDep
) -> dict[str, Any]:
    """Parcel card data; land users (``users``) for the land role only, audited."""
    with_users = sees_personal_data(principal.role)
    parcel = await arun(conn, parcel_at_query(lon, lat, with_users=with_users))
    await _audit_cards(conn, request, principal, f"parcels/at/{lon},{lat}", [parcel])
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
    request: Request,
    principal: PrincipalDep,
    history: bool = True,
) -> dict[str, Any]:
    """The parcel's versions, newest first, and the planning overlay of the current one (land
    users for the land role only, audited)."""
    with_users = sees_personal_data(principal.role)
    query = parcel_query(commune, sheet, number, history, with_users=with_users)
    versions = await arun(conn, query)
    target = f"parcels/{commune}/{sheet}/{number}"
    await _audit_cards(conn, request, principal, target, versions)
    current = versions[0].to_dict()
    current["planning"] = await parcel_overlay(conn, commune, sheet, number)
    return {"parcel": current, "history": [v.to_dict() for v in versions]}


@router.get("/parcels/{commune}/{sheet}/{number}/planning", summary="Planning overlay")
async def parcel_planning(
    commune: CommuneCode, sheet: SheetNumber, number: ParcelNumber, conn: ConnDep
) -> dict[str, Any]:
    """Area of the parcel by planned purpose."""
    return await parcel_overlay(conn, commune, sheet, number)
