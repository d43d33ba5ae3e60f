"""The web app factory: routers from the layer catalog, middleware, error table, lifespan."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from psycopg_pool import AsyncConnectionPool

from gis.settings import to_libpq_url
from layers.changes import latest_change
from layers.sharedcache import SharedTileCache
from layers.tilecache import TileCache
from maps import events
from maps.auth import Authenticator, AuthMiddleware
from maps.config import MapsSettings, get_maps_settings
from maps.deps import MapState, pooled
from maps.errors import CatchAllMiddleware, add_exception_handlers
from maps.metrics import Metrics
from maps.pages import add_page_routes
from maps.replicas import ReplicaSet, note_primary
from maps.routers import (
    admin,
    auth,
    domain,
    facilities,
    health,
    notify,
    ogc,
    ogc_meta,
    parcels_outputs,
    qgis,
    raster,
    reports,
    stations,
    stream,
    tiles,
)
from maps.security import DOCS_PATH, add_nonce, add_security_middleware
from maps.tileservice import drop_shared
from sensors.contract import CHANNEL_SOURCES

#: Connections of the small pool (``MapState.sync_pool``) of each worker: its statements are
#: primary-key reads and writes of a few milliseconds at most, one change look-up at a time.
SYNC_POOL_MAX = 4


def _on_event(state: MapState) -> Any:
    async def handle(event: dict[str, Any]) -> None:
        cache = state.cache
        if event["type"] == "listening":
            # (Re)connected: notifications may have been missed meanwhile.
            if cache is not None:
                cache.clear()
            if state.shared is not None:  # the change log is never missed: only NOTIFY's own
                await drop_shared(state, [(source, None) for source in CHANNEL_SOURCES.values()])
            return
        if cache is not None:
            dropped = cache.invalidate(event["type"], event.get("bbox"))
            state.metrics.tiles_invalidated.inc(dropped)
        if state.shared is not None:
            await drop_shared(state, [(event["type"], event.get("bbox"))])
        state.surface.invalidate([event["type"]])
        if state.replicas is not None:  # before the event goes out: reads must then see it
            async with pooled(state, state.sync_pool) as conn:
                await note_primary(state, conn)
        state.hub.publish(event)

    return handle


def _lifespan(settings: MapsSettings) -> Any:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        conninfo = to_libpq_url(settings.database_url)
        pool_kwargs = {
            "autocommit": True,
            "application_name": "iocgis-maps",
            "options": f"-c statement_timeout={settings.statement_timeout_ms}",
        }
        pool = AsyncConnectionPool(
            conninfo,
            min_size=settings.pool_min,
            max_size=settings.pool_max,
            kwargs=pool_kwargs,
            open=False,
        )
        sync_pool = AsyncConnectionPool(
            conninfo, min_size=1, max_size=SYNC_POOL_MAX, kwargs={"autocommit": True}, open=False
        )
        await pool.open(wait=False)
        await sync_pool.open(wait=False)
        cache = TileCache(settings.tile_cache_mb * 1024 * 1024) if settings.tile_cache_mb else None
        state = MapState(settings, pool, sync_pool, cache, Metrics(), events.EventHub())
        if settings.tile_cache_shared:
            state.shared = SharedTileCache(settings.tile_cache_shared_mb * 1024 * 1024)
        if settings.database_replica_urls:
            state.replicas = ReplicaSet(
                [AsyncConnectionPool(to_libpq_url(url), min_size=1, max_size=settings.pool_max,
                                     kwargs=dict(pool_kwargs, application_name="iocgis-maps-ro"),
                                     open=False)
                 for url in settings.database_replica_urls],
                settings.replica_wait_ms / 1000,
            )  # fmt: skip
            await state.replicas.open()
        app.state.maps = state
        with contextlib.suppress(Exception):
            async with pool.connection(timeout=min(10, settings.pool_wait_s)) as conn:
                state.applied_change = await latest_change(conn)
                await note_primary(state, conn)  # replicas serve nothing older than the start
        stop = asyncio.Event()
        if settings.listen:
            state.tasks.append(asyncio.create_task(events.listen(conninfo, _on_event(state), stop)))
        try:
            yield
        finally:
            stop.set()
            for task in state.tasks:
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
            await pool.close()
            await sync_pool.close()
            if state.replicas is not None:
                await state.replicas.close()

    return lifespan


#: How callers prove who they are, as the OpenAPI document states it (anonymous is allowed too).
SECURITY_SCHEMES = {
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
    "bearer": {"type": "http", "scheme": "bearer", "description": "API key or SSO token (JWT)"},
}
INVALID_PARAMETER = {
    "description": "Invalid parameter",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}
ERROR_SCHEMA = {
    "type": "object",
    "properties": {"code": {"type": "string"}, "description": {"type": "string"}},
    "required": ["code", "description"],
}


def _document(app: FastAPI) -> None:
    """The OpenAPI document says what the app does: 400 for invalid parameters (not FastAPI's
    422), and the API-key / bearer security schemes (Swagger UI's Authorize button)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            components = schema.setdefault("components", {})
            components.setdefault("schemas", {})["Error"] = ERROR_SCHEMA
            components["securitySchemes"] = SECURITY_SCHEMES
            schema["security"] = [{}, {"apiKey": []}, {"bearer": []}]
            for operations in schema.get("paths", {}).values():
                for operation in operations.values():
                    responses = operation.get("responses", {})
                    if responses.pop("422", None) is not None:
                        responses["400"] = INVALID_PARAMETER
            ogc_meta.share_limit_parameter(schema)  # where QGIS reads the page size
            return schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(settings: MapsSettings | None = None) -> FastAPI:
    """Build the map services' FastAPI app (nothing connects until the app starts)."""
    settings = settings or get_maps_settings()
    app = FastAPI(
        title="ioc-gis map services",
        description="Vector tiles, OGC API Features, rasters and live events of ioc-gis.",
        version="0.1.0",
        openapi_url="/api",
        docs_url=None,  # served by _add_docs, with the CSP nonce on its inline script
        redoc_url=None,
        lifespan=_lifespan(settings),
    )
    app.state.settings = settings
    # A bad SSO key or algorithm list fails here (ConfigurationError), not at the first request.
    app.state.auth = Authenticator(settings)
    # Middleware, innermost first (the last added runs first): compression, who is calling,
    # then a safe 500 for anything that escaped.
    # Tiles are compressed by the tile service itself; this compresses JSON answers.
    # Level 3: most of the size gain at a fraction of the CPU of the default 9.
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=3)
    app.add_middleware(AuthMiddleware, authenticator=app.state.auth)
    app.add_middleware(CatchAllMiddleware)
    # Outermost: CORS (configured origins only), then the security headers on every answer.
    add_security_middleware(app, settings)
    add_exception_handlers(app)
    routers = (health, auth, admin, tiles, ogc, raster, domain, stations, facilities, stream)
    for module in (*routers, qgis, parcels_outputs, notify, reports):
        app.include_router(module.router)
    # Always mounted: a broken pages package fails here, loudly, not as a missing page.
    add_page_routes(app)
    _add_docs(app)
    _document(app)
    return app


def _add_docs(app: FastAPI) -> None:
    """``/api.html``: Swagger UI from its npm package (``/vendor/swagger-ui``), never a CDN."""

    @app.get(DOCS_PATH, include_in_schema=False)
    def api_docs() -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url="/api",
            title=f"{app.title} — API",
            swagger_js_url="/vendor/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/vendor/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
        )
        return HTMLResponse(add_nonce(bytes(page.body).decode("utf-8")))
