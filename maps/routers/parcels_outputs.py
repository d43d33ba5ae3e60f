"""Parcels' legal outputs: find by code, the extract PDF, lineage, splits and merges.

The extract, the lineage and the operations use the data layer's synchronous functions on a
connection of their own, run in a worker thread as the caller's database role (so the grants
of migrations 0008/0012 still decide). Responses carrying land users are audited.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

import numpy as np
import shapely
from fastapi import APIRouter, Body, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from pyproj import CRS
from starlette.concurrency import run_in_threadpool

from gis.access.roles import LAND, sees_personal_data
from gis.crs import WGS84, parse_crs
from gis.db import arun
from gis.errors import InvalidInput
from gis.parcels.code import parcel_by_code_query
from gis.parcels.extract import TIMEZONE, read_extract, render_extract
from gis.parcels.lineage import lineage
from gis.parcels.prepare import transform, transformer
from gis.parcels.queries import current_srid
from gis.parcels.split import Actor, Piece, connect_as, merge_parcels, split_parcel
from maps.deps import ConnDep, PrincipalDep, StateDep, require_role
from maps.params import CommuneCode, ParcelNumber, SheetNumber
from maps.personal import audit_view
from maps.routers.domain import _audit_cards

router = APIRouter(tags=["parcels"])

class SplitRequest(BaseModel):
    """New parcels as GeoJSON features (``land_use``, ``merge_with`` properties), or a line."""

    crs: str = Field("EPSG:4326", description="CRS of the coordinates (default WGS 84)")
    features: list[dict[str, Any]] | None = Field(None, max_length=500)
    line: dict[str, Any] | None = None


class MergeRequest(BaseModel):
    """The parcel numbers of the sheet to merge (two or more, adjacent)."""

    numbers: list[int] = Field(min_length=2, max_length=100)


def _geometry(data: Any, crs: str, srid: int) -> shapely.Geometry:
    """A GeoJSON geometry in EPSG:``srid``; InvalidInput if it is not one."""
    try:
        geom = shapely.from_geojson(json.dumps(data))
    except Exception as exc:  # shapely raises GEOSException for malformed GeoJSON
        raise InvalidInput(f"not a GeoJSON geometry: {exc}") from exc
    source = parse_crs(crs)
    return transform(np.array([geom], dtype=object),
                     transformer(CRS.from_epsg(source), srid))[0]


def _piece(feature: dict[str, Any], crs: str, srid: int) -> Piece:
    """A new parcel from a GeoJSON feature (properties ``land_use``, ``merge_with``)."""
    props = feature.get("properties") or {}
    land_use, join = props.get("land_use"), props.get("merge_with")
    if land_use is not None and not isinstance(land_use, str):
        raise InvalidInput("land_use must be text such as ODT or ODT:100;CLN:50")
    if join is not None and (isinstance(join, bool) or not str(join).isdigit()):
        raise InvalidInput(f"merge_with must be a parcel number, not {str(join)[:20]!r}")
    return Piece(_geometry(feature.get("geometry"), crs, srid), land_use,
                 None if join is None else int(join))


def _made(op_id: int, kind: str, parcels: list[Any]) -> dict[str, Any]:
    """The answer of an operation: its id and the new parcels (no land users)."""
    return {"operation_id": op_id, "kind": kind,
            "parcels": [{**p.to_dict(), "users": None} for p in parcels]}


@router.get("/parcels/code/{code}", summary="The current parcel with a national parcel code")
async def parcel_by_code(
    code: str, conn: ConnDep, request: Request, principal: PrincipalDep
) -> dict[str, Any]:
    """Parcel card data by code (Circular 19/2026/TT-BNNMT); land users for the land role."""
    query = parcel_by_code_query(code, with_users=sees_personal_data(principal.role))
    parcel = await arun(conn, query)
    await _audit_cards(conn, request, principal, f"parcels/code/{parcel.parcel_code}", [parcel])
    return parcel.to_dict()


@router.get("/parcels/{commune}/{sheet}/{number}/extract.pdf",
            summary="The cadastral extract (trích lục) of a parcel, A4 PDF",
            response_class=Response, responses={200: {"content": {"application/pdf": {}}}})
async def parcel_extract(
    commune: CommuneCode, sheet: SheetNumber, number: ParcelNumber, conn: ConnDep,
    state: StateDep, request: Request, principal: PrincipalDep,
) -> Response:  # fmt: skip
    """The extract; it lists the land users for the land role only (audited)."""
    with_users = sees_personal_data(principal.role)

    def read() -> Any:
        with connect_as(principal.role, state.settings.database_url) as c:
            return read_extract(c, commune, sheet, number, with_users)

    data = await run_in_threadpool(read)
    if data.parcel.users:
        await audit_view(conn, request, principal, action="extract",
                         target=f"parcels/{commune}/{sheet}/{number}/extract.pdf",
                         parcel_ids=[data.parcel.id])
    pdf = await run_in_threadpool(render_extract, data, datetime.now(TIMEZONE).date())
    name = f"trich-luc-{commune}-{sheet}-{number}.pdf"
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})


@router.get("/parcels/{commune}/{sheet}/{number}/lineage",
            summary="What a parcel was split or merged from, and into")
async def parcel_lineage(
    commune: CommuneCode, sheet: SheetNumber, number: ParcelNumber, state: StateDep,
    principal: PrincipalDep,
) -> dict[str, Any]:  # fmt: skip
    """Parents and children of every version of the parcel, with the operations."""

    def read() -> dict[str, Any]:
        with connect_as(principal.role, state.settings.database_url) as c:
            return lineage(commune, sheet, number, c)

    return await run_in_threadpool(read)


@router.post("/parcels/{commune}/{sheet}/{number}/split", summary="Split a parcel (tách thửa)",
             dependencies=[require_role(LAND)])
async def parcel_split(
    commune: CommuneCode, sheet: SheetNumber, number: ParcelNumber, state: StateDep,
    principal: PrincipalDep, body: Annotated[SplitRequest, Body()],
) -> dict[str, Any]:  # fmt: skip
    """New parcels from ``features`` or along ``line``; 400 with the reason when refused."""
    if (body.features is None) == (body.line is None):
        raise InvalidInput("give features (the new parcels) or a line, not both")
    actor = Actor(principal.subject, principal.role, principal.role)

    def run() -> tuple[int, list[Any]]:
        with connect_as(principal.role, state.settings.database_url) as c:
            stored = current_srid(commune, sheet, number, conn=c)
        srid = WGS84 if stored is None else stored
        if body.line is not None:
            return split_parcel(commune, sheet, number, None, actor,
                                url=state.settings.database_url,
                                line=_geometry(body.line, body.crs, srid))
        pieces = [_piece(f, body.crs, srid) for f in body.features or []]
        return split_parcel(commune, sheet, number, pieces, actor,
                            url=state.settings.database_url)

    op_id, made = await run_in_threadpool(run)
    return _made(op_id, "split", made)


@router.post("/parcels/{commune}/{sheet}/merge", summary="Merge adjacent parcels (hợp thửa)",
             dependencies=[require_role(LAND)])
async def parcel_merge(
    commune: CommuneCode, sheet: SheetNumber, state: StateDep, principal: PrincipalDep,
    body: Annotated[MergeRequest, Body()],
) -> dict[str, Any]:  # fmt: skip
    """One new parcel from adjacent parcels of the sheet; 400 with the reason when refused."""
    actor = Actor(principal.subject, principal.role, principal.role)
    op_id, made = await run_in_threadpool(
        merge_parcels, commune, sheet, body.numbers, actor, url=state.settings.database_url)
    return _made(op_id, "merge", made)
