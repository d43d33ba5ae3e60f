"""The wall's own parts: its province (from the URL) and its key figures."""

from __future__ import annotations

from typing import Annotated, Any

import psycopg
from fastapi import APIRouter, Query, Request

from gis.errors import IocGisError
from gis.parcels.province import province_info
from maps.deps import ConnDep
from maps.pages.figures import FiguresCache

router = APIRouter(tags=["pages"])

#: The province a wall shows when its URL names none (the demo's parcels are in Hà Nội).
DEFAULT_WALL_PROVINCE = "01"
ProvinceQuery = Annotated[str, Query(pattern=r"^[0-9]{2}$", description="province code")]
RotateQuery = Annotated[int, Query(ge=5, le=3600, description="seconds per view")]


async def _wall_province(conn: psycopg.AsyncConnection, code: str) -> dict[str, Any] | None:
    """The wall's province (code, names, its communes' codes); None before admin data loads."""
    try:
        return await province_info(conn, code)
    except (IocGisError, psycopg.Error):
        # The page still opens (the API then reports what is missing); no province scoping.
        return None


async def wall_context(
    conn: ConnDep, rotate: RotateQuery = 30, province: ProvinceQuery = DEFAULT_WALL_PROVINCE
) -> dict[str, Any]:
    """The wall page's own config: seconds per view and its province."""
    return {"rotate_seconds": rotate, "province": await _wall_province(conn, province)}


def figures_cache(request: Request) -> FiguresCache:
    """The app's figures cache (made with the app by ``maps.pages.add_page_routes``)."""
    cache: FiguresCache = request.app.state.page_figures
    return cache


@router.get("/wall/figures.json", summary="Key figures of the wall (parcels by land-use group)")
async def wall_figures(
    request: Request, conn: ConnDep, province: ProvinceQuery = DEFAULT_WALL_PROVINCE
) -> dict[str, Any]:
    """Parcels and area by land-use group over the province's communes (cached a minute)."""
    return await figures_cache(request).province_land_use(conn, province)
