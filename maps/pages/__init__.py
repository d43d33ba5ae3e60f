"""The pages: ``/maps/parcels`` (land officials), ``/maps/environment`` (environment staff) and
``/wall`` (the IOC video wall), plus the static and vendor assets they load."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Annotated, Any

import psycopg
from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.concurrency import run_in_threadpool

from gis.errors import IocGisError
from gis.parcels.province import province_info
from maps.deps import ConnDep
from maps.pages.assets import CHART_CSS, CHART_JS, add_asset_routes
from maps.pages.config import limits_in_force, observed_properties, page_config
from maps.pages.export import router as export_router
from maps.pages.figure import PageSpec, render_page
from maps.pages.figures import cached_province_land_use
from maps.pages.i18n import Lang, pick_lang, strings

router = APIRouter(tags=["pages"])
add_asset_routes(router)
router.include_router(export_router)

LangQuery = Annotated[str | None, Query(description="vi (default) or en")]

# Pages are HTML for people; never cached by a proxy longer than a minute.
_HEADERS = {"Cache-Control": "no-cache"}


@lru_cache(maxsize=1)
def _templates() -> Environment:
    """The Jinja environment of the page panels (autoescaped)."""
    return Environment(
        loader=PackageLoader("maps.pages", "templates"),
        autoescape=select_autoescape(["html"]),
    )


def _panels(name: str, lang: Lang) -> str:
    """The HTML panels of page ``name`` in ``lang``."""
    return _templates().get_template(f"{name}.html").render(t=strings(lang), lang=lang)


@router.get("/maps", include_in_schema=False)
def pages_index() -> RedirectResponse:
    """``/maps`` opens the land officials' page."""
    return RedirectResponse("/maps/parcels")


@router.get("/maps/parcels", response_class=HTMLResponse, summary="Cadastral map page")
def parcels_page(lang: LangQuery = None) -> HTMLResponse:
    """Search and inspect parcels, the planning overlay, export a selection."""
    chosen = pick_lang(lang)
    spec = PageSpec(
        name="parcels",
        title=strings(chosen)["parcels_title"],
        lang=chosen,
        body_html=_panels("parcels", chosen),
        config=page_config("parcels", chosen, layers=["parcels", "planning"]),
    )
    return HTMLResponse(render_page(spec), headers=_HEADERS)


@router.get("/maps/environment", response_class=HTMLResponse, summary="Environment page")
def environment_page(lang: LangQuery = None) -> HTMLResponse:
    """Stations by AQI/WQI category, time series with QCVN limits, alerts, AQI surface."""
    chosen = pick_lang(lang)
    spec = PageSpec(
        name="environment",
        title=strings(chosen)["env_title"],
        lang=chosen,
        body_html=_panels("environment", chosen),
        config=page_config(
            "environment",
            chosen,
            layers=["stations", "alerts", "aqi_surface"],
            properties=observed_properties(),
            limits=limits_in_force(date.today()),
        ),
        extra_js=[CHART_JS],
        extra_css=[CHART_CSS],
    )
    return HTMLResponse(render_page(spec), headers=_HEADERS)


#: The province a wall shows when its URL names none (the demo's parcels are in Hà Nội).
DEFAULT_WALL_PROVINCE = "01"
ProvinceQuery = Annotated[str, Query(pattern=r"^[0-9]{2}$", description="province code")]


async def _wall_province(conn: psycopg.AsyncConnection, code: str) -> dict[str, Any] | None:
    """The wall's province (code, names, its communes' codes); None before admin data loads."""
    try:
        return await province_info(conn, code)
    except (IocGisError, psycopg.Error):
        # The page still opens (the API then reports what is missing); no province scoping.
        return None


@router.get("/wall/figures.json", summary="Key figures of the wall (parcels by land-use group)")
async def wall_figures(
    conn: ConnDep, province: ProvinceQuery = DEFAULT_WALL_PROVINCE
) -> dict[str, Any]:
    """Parcels and area by land-use group over the province's communes (cached a minute)."""
    return await cached_province_land_use(conn, province)


@router.get("/wall", response_class=HTMLResponse, summary="IOC video wall")
async def wall_page(
    conn: ConnDep,
    lang: LangQuery = None,
    rotate: Annotated[int, Query(ge=5, le=3600, description="seconds per view")] = 30,
    province: ProvinceQuery = DEFAULT_WALL_PROVINCE,
) -> HTMLResponse:
    """The province map with rotating views, key figures, clock and live updates."""
    chosen = pick_lang(lang)
    spec = PageSpec(
        name="wall",
        title=strings(chosen)["wall_title"],
        lang=chosen,
        body_html=_panels("wall", chosen),
        config=page_config(
            "wall",
            chosen,
            layers=["stations", "alerts", "aqi_surface", "parcels"],
            rotate_seconds=rotate,
            province=await _wall_province(conn, province),
            views=["aqi", "landuse", "alerts"],
            # An anonymous display: its requests carry no credentials (static/ioc.js).
            anonymous=True,
        ),
        extra_css=["/static/wall.css"],
        extra_js=["/static/wall-panel.js"],
    )
    # Rendering is CPU work: off the event loop, like the sync page routes.
    return HTMLResponse(await run_in_threadpool(render_page, spec), headers=_HEADERS)
