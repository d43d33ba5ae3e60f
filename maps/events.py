"""Live events: NOTIFY from the database → tile cache invalidation and the ``/events`` stream."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from psycopg import sql

from gis.db import aconnect
from layers.changes import parse_notification
from sensors.contract import CHANNELS

log = logging.getLogger("iocgis.events")

#: Most events held for one slow subscriber before the oldest are dropped.
QUEUE_SIZE = 256
HEARTBEAT_S = 15.0


class EventHub:
    """Fan-out of events to every connected ``/events`` client (bounded queues)."""

    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[dict[str, Any]]] = set()
        self.published = 0

    @property
    def subscribers(self) -> int:
        """How many clients listen now."""
        return len(self._queues)

    def publish(self, event: dict[str, Any]) -> None:
        """Send ``event`` to every subscriber; a full queue loses its oldest event."""
        self.published += 1
        for queue in list(self._queues):
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait(event)

    @contextlib.contextmanager
    def subscribe(self) -> Any:
        """A queue receiving every event while the ``with`` block lasts."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        self._queues.add(queue)
        try:
            yield queue
        finally:
            self._queues.discard(queue)


def sse_format(event: dict[str, Any]) -> str:
    """One Server-Sent Events message (``event:`` type, ``data:`` JSON)."""
    data = json.dumps(event, ensure_ascii=False, separators=(",", ":"), default=str)
    return f"event: {event.get('type', 'message')}\ndata: {data}\n\n"


async def sse_stream(hub: EventHub, is_disconnected: Any) -> AsyncIterator[str]:
    """The text of an SSE response: a hello, then events, with heartbeats while idle."""
    with hub.subscribe() as queue:
        yield "retry: 3000\n" + sse_format({"type": "hello"})
        while True:
            try:
                event = await asyncio.wait_for(queue.get(), HEARTBEAT_S)
            except TimeoutError:
                if await is_disconnected():
                    return
                yield ": heartbeat\n\n"
                continue
            yield sse_format(event)


async def listen(conninfo: str, on_event: Any, stop: asyncio.Event, retry_s: float = 2.0) -> None:
    """LISTEN on every channel and hand each notification to ``on_event`` until ``stop``."""
    while not stop.is_set():
        try:
            async with await aconnect(conninfo, autocommit=True) as conn:
                for channel in CHANNELS:
                    await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
                await on_event({"type": "listening"})
                async for note in conn.notifies():
                    source, bbox, data = parse_notification(note.channel, note.payload)
                    await on_event(
                        {"type": source, "channel": note.channel, "bbox": bbox, "data": data}
                    )
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # reconnect: the database restarted or the network blinked
            log.warning("event listener lost its connection: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), retry_s)
