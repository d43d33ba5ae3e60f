"""``/events``: Server-Sent Events fed by the database's NOTIFY (stations, alerts, layers)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from maps.deps import StateDep
from maps.events import sse_stream

router = APIRouter(tags=["events"])


@router.get("/events", summary="Live events (text/event-stream)")
async def live_events(request: Request, state: StateDep) -> StreamingResponse:
    """Events ``stations``, ``alerts`` and layer changes (``parcels``, ``planning``, …)."""
    return StreamingResponse(
        sse_stream(state.hub, request.is_disconnected),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
