"""Read-only queries on streaming replicas, never older than the newest change applied.

The app notes the primary's WAL position each time it applies data changes (the change log on
a request, a NOTIFY); a replica lends a connection for a read only when it has replayed that
position, waiting at most ``IOC_REPLICA_WAIT_MS``; otherwise the read goes to the primary.
LISTEN, the change log and every write (audit rows) stay on the primary.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import psycopg
from psycopg_pool import AsyncConnectionPool

from gis.access.roles import Role, arun_as
from gis.replica import primary_lsn, wait_for_replay

if TYPE_CHECKING:
    from maps.deps import MapState


@dataclass
class ReplicaSet:
    """The replicas' pools, the WAL position reads must reach, and what happened to reads."""

    pools: list[AsyncConnectionPool]
    wait_s: float
    #: The primary's WAL position when the app last applied a change (0: none yet).
    required: int = 0
    #: The newest replay position seen on each replica (a read at or below it needs no check).
    seen: dict[int, int] = field(default_factory=dict)
    reads: int = 0
    fallbacks: int = 0
    _turn: itertools.count[int] = field(default_factory=itertools.count)

    def order(self) -> list[int]:
        """Replica indexes, starting from the next one in turn (round robin)."""
        start = next(self._turn) % len(self.pools)
        return [(start + i) % len(self.pools) for i in range(len(self.pools))]

    async def open(self) -> None:
        """Open every pool without waiting (a replica down is skipped at read time)."""
        for pool in self.pools:
            await pool.open(wait=False)

    async def close(self) -> None:
        """Close every pool."""
        for pool in self.pools:
            await pool.close()


async def note_primary(state: MapState, conn: psycopg.AsyncConnection) -> None:
    """Reads must now reach the primary's current WAL position (``conn``: on the primary)."""
    replicas = state.replicas
    if replicas is not None:
        replicas.required = max(replicas.required, await primary_lsn(conn))


async def _fresh(replicas: ReplicaSet, index: int, conn: psycopg.AsyncConnection) -> bool:
    """Whether replica ``index`` (``conn``) has replayed what reads must see, waiting if not."""
    target = replicas.required
    if replicas.seen.get(index, 0) >= target:
        return True
    reached = await wait_for_replay(conn, target, replicas.wait_s)
    if reached is None:  # configured as a replica but is a primary (promoted): up to date
        return True
    replicas.seen[index] = max(replicas.seen.get(index, 0), reached)
    return reached >= target


@contextlib.asynccontextmanager
async def reading(state: MapState, role: Role) -> AsyncIterator[psycopg.AsyncConnection]:
    """A connection for a read-only query as ``role``: a replica that has replayed every change
    applied so far, else the primary (the request pool)."""
    from maps.deps import pooled  # deps holds the state type that names this module's class

    replicas = state.replicas
    if replicas is not None:
        for index in replicas.order():
            stack = contextlib.AsyncExitStack()
            try:
                conn = await stack.enter_async_context(
                    replicas.pools[index].connection(timeout=replicas.wait_s or 0.05)
                )
                if await _fresh(replicas, index, conn):
                    await arun_as(conn, role)
                    break
            except (psycopg.OperationalError, TimeoutError):
                pass  # this replica is down or busy: try the next, then the primary
            await stack.aclose()
        else:
            replicas.fallbacks += 1
            stack = None
        if stack is not None:
            replicas.reads += 1
            async with stack:
                yield conn
            return
    async with pooled(state, role=role) as conn:
        yield conn



@contextlib.asynccontextmanager
async def on_primary(
    state: MapState, conn: psycopg.AsyncConnection, role: Role
) -> AsyncIterator[psycopg.AsyncConnection]:
    """A primary connection as ``role`` for a write (an audit row) after a read on ``conn``
    from :func:`reading`: ``conn`` itself when there are no replicas (it is the request pool's,
    running as ``role``), else one borrowed. A second borrow from the same pool while holding
    the first queued twice under load, and could wait for ever once every connection was held
    by such requests."""
    if state.replicas is None:
        yield conn
        return
    from maps.deps import pooled

    async with pooled(state, role=role) as primary:
        yield primary
