"""The pages: every page of ``maps.pages.registry`` served by one route factory, plus the
static and vendor assets they load, the parcels export and the wall's figures."""

# No ``from __future__ import annotations`` here: FastAPI reads the page handler's annotations,
# and the context dependency in them is a local of the route factory.
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from gis.access.roles import PUBLIC
from gis.errors import Forbidden
from maps.deps import PrincipalDep
from maps.pages.assets import add_asset_routes
from maps.pages.config import page_config
from maps.pages.export import router as export_router
from maps.pages.figures import FiguresCache
from maps.pages.i18n import pick_lang
from maps.pages.registry import BASE_LAYERS, PAGES, Page
from maps.pages.render import render_page
from maps.pages.wall import router as wall_router
from maps.security import csp_nonce

LangQuery = Annotated[str | None, Query(description="vi (default) or en")]

# Pages are HTML for people; never cached by a proxy longer than a minute.
_HEADERS = {"Cache-Control": "no-cache"}


async def _no_context() -> dict[str, Any]:
    """The config of a page that has nothing of its own."""
    return {}


def page_route(page: Page) -> Any:
    """The handler of ``page``: its context (a dependency), its config and its HTML."""

    async def handler(
        principal: PrincipalDep,
        extra: Annotated[dict[str, Any], Depends(page.context or _no_context)],
        lang: LangQuery = None,
    ) -> HTMLResponse:
        if principal.role not in page.roles:
            raise Forbidden(f"the {page.name} page is not open to the {principal.role} role")
        chosen = pick_lang(lang)
        # A page whose requests carry no credentials is made for the public role.
        role = PUBLIC if page.anonymous else principal.role
        config = page_config(page, chosen, role, BASE_LAYERS, **extra)
        # Rendering is CPU work: off the event loop.
        html = await run_in_threadpool(render_page, page, chosen, config, csp_nonce())
        return HTMLResponse(html, headers=_HEADERS)

    handler.__name__ = f"{page.name}_page"
    handler.__doc__ = page.summary
    return handler


def pages_router() -> APIRouter:
    """Every registered page, the assets, the export and the wall's figures."""
    router = APIRouter(tags=["pages"])
    add_asset_routes(router)
    router.include_router(export_router)
    router.include_router(wall_router)
    router.add_api_route("/maps", lambda: RedirectResponse(PAGES[0].route),
                         include_in_schema=False)  # fmt: skip
    for page in PAGES:
        router.add_api_route(page.route, page_route(page), methods=["GET"],
                             response_class=HTMLResponse, summary=page.summary)  # fmt: skip
    return router


def add_page_routes(app: FastAPI) -> None:
    """Mount the pages on ``app`` with the state they own (the wall's figures cache)."""
    app.state.page_figures = FiguresCache()
    app.include_router(pages_router())
