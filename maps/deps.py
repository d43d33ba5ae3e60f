"""Request dependencies: the app's state, a pooled connection, the caller's role."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

import psycopg
from fastapi import Depends, Request
from psycopg_pool import AsyncConnectionPool

from gis.access.roles import PUBLIC, Role, arun_as
from gis.errors import DatabaseUnavailable, Forbidden, NotAuthenticated
from layers.sharedcache import SharedTileCache
from layers.surface import SurfaceCache
from layers.tilecache import TileCache
from maps.coalesce import Coalesced
from maps.config import MapsSettings
from maps.events import EventHub
from maps.metrics import Metrics
from maps.replicas import ReplicaSet

T = TypeVar("T")


@dataclass
class MapState:
    """Everything the app holds for its lifetime."""

    settings: MapsSettings
    #: The request pool. Borrow through :func:`pooled` (or ``maps.replicas.reading``): a
    #: connection keeps the role of its last borrower, and only those set the next one's.
    pool: AsyncConnectionPool
    #: A small pool of its own, always in the login role, for the short statements of every
    #: tile request (the change-log look-up, the shared cache's reads and writes) and the
    #: API-key checks, so that cache hits never queue behind slow queries for a connection
    #: (under the mixed load, 93 % of the request pool's borrows queued, 180 ms on average).
    sync_pool: AsyncConnectionPool
    cache: TileCache | None
    metrics: Metrics
    hub: EventHub
    surface: SurfaceCache = field(default_factory=SurfaceCache)
    #: The tile cache shared by every worker and instance (None: off).
    shared: SharedTileCache | None = None
    #: Streaming replicas for read-only queries (None: every read goes to the primary).
    replicas: ReplicaSet | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    #: The newest ``layers.changes`` id applied to the caches.
    applied_change: int = 0
    #: The change-log look-up shared by the requests waiting on it (``sync_changes``).
    change_sync: Coalesced[int] | None = None


def get_state(request: Request) -> MapState:
    """The app's :class:`MapState`."""
    state: MapState = request.app.state.maps
    return state


async def _state(request: Request) -> MapState:
    # Dependencies are coroutines: FastAPI runs a plain ``def`` one in a worker thread, a hop
    # per dependency per request (docs/performance.md: ~+8 % small tiles/s without them).
    return get_state(request)


StateDep = Annotated[MapState, Depends(_state)]


@contextlib.asynccontextmanager
async def pooled(
    state: MapState, pool: AsyncConnectionPool | None = None, role: Role | None = None,
    wait_s: float | None = None,
) -> AsyncIterator[psycopg.AsyncConnection]:
    """A connection from ``pool`` (default: the request pool), running as ``role``'s database
    role, or as the login role when none is given; DatabaseUnavailable if none is available
    within ``wait_s`` (default: the settings' ``pool_wait_s``)."""
    wait = state.settings.pool_wait_s if wait_s is None else wait_s
    try:
        async with (pool or state.pool).connection(timeout=wait) as conn:
            # On every checkout: a connection never keeps a previous caller's role.
            await arun_as(conn, role)
            yield conn
    except psycopg.OperationalError as exc:
        raise DatabaseUnavailable("the database is unavailable") from exc
    except TimeoutError as exc:  # psycopg_pool.PoolTimeout is a subclass
        raise DatabaseUnavailable("no database connection available") from exc


@dataclass(frozen=True)
class Principal:
    """Who is calling: a subject (user name, token subject or ``anonymous``) and one role."""

    subject: str
    role: Role
    #: How the caller proved it: anonymous, api_key, jwt or session.
    method: str = "anonymous"


ANONYMOUS = Principal("anonymous", PUBLIC)


def get_principal(request: Request) -> Principal:
    """The caller, as resolved by the authentication layer (anonymous if it gave nothing)."""
    principal: Principal = getattr(request.state, "principal", ANONYMOUS)
    return principal


async def _principal(request: Request) -> Principal:
    return get_principal(request)


PrincipalDep = Annotated[Principal, Depends(_principal)]


async def get_role(principal: PrincipalDep) -> Role:
    """The caller's role."""
    return principal.role


RoleDep = Annotated[Role, Depends(get_role)]


def require_role(*roles: Role) -> Any:
    """A dependency admitting only ``roles``: 401 for anonymous callers, 403 for other roles.

    Use it as ``dependencies=[require_role(ADMIN)]`` or as a parameter's default/``Annotated``
    metadata (it returns ``Depends(...)`` yielding the :class:`Principal`).
    """
    allowed = frozenset(roles)

    async def check(principal: PrincipalDep) -> Principal:
        if principal.role in allowed:
            return principal
        if principal.method == "anonymous":
            raise NotAuthenticated("authentication required")
        raise Forbidden(f"the {principal.role} role may not use this endpoint")

    return Depends(check)


async def get_conn(state: StateDep, role: RoleDep) -> AsyncIterator[psycopg.AsyncConnection]:
    """A pooled connection (autocommit) running as the caller's database role."""
    async with pooled(state, role=role) as conn:
        yield conn


ConnDep = Annotated[psycopg.AsyncConnection, Depends(get_conn)]


async def get_read_conn(state: StateDep, role: RoleDep) -> AsyncIterator[psycopg.AsyncConnection]:
    """A connection for read-only queries as the caller: on a replica that has replayed every
    change logged so far (applied first), else on the primary (``maps.replicas.reading``)."""
    from maps.replicas import reading
    from maps.tileservice import sync_changes  # tileservice imports this module

    if state.replicas is not None:
        await sync_changes(state)
    async with reading(state, role) as conn:
        yield conn


#: For routes that read; an audit row after the read goes through ``maps.replicas.on_primary``;
#: a route writing anything else uses ``ConnDep``.
ReadConnDep = Annotated[psycopg.AsyncConnection, Depends(get_read_conn)]


async def cancel_on_disconnect(
    request: Request, conn: psycopg.AsyncConnection, work: Awaitable[T], poll: float = 0.05
) -> T:
    """Await ``work``; if the client goes away first, cancel its query on the server."""
    task = asyncio.ensure_future(work)
    while True:
        done, _ = await asyncio.wait({task}, timeout=poll)
        if done:
            return task.result()
        if await request.is_disconnected():
            with contextlib.suppress(Exception):
                await conn.cancel_safe()
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
            raise asyncio.CancelledError("client disconnected")
