"""Liveness, readiness (database and broker reachable) and Prometheus metrics."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from gis.access.roles import ADMIN
from layers.health import database_answers, ingest_lag_seconds
from maps.deps import StateDep, pooled, require_role

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness")
async def healthz() -> dict[str, str]:
    """The process answers."""
    return {"status": "ok"}


async def _database_ok(state: StateDep) -> tuple[bool, str]:
    try:
        async with pooled(state, wait_s=3) as conn:
            await database_answers(conn)
        return True, "ok"
    except Exception as exc:
        return False, type(exc).__name__


async def _broker_ok(url: str) -> tuple[bool, str]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 1883
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 3)
    except (OSError, TimeoutError) as exc:
        return False, type(exc).__name__
    writer.close()
    return True, "ok"


@router.get("/readyz", summary="Readiness: database and broker reachable")
async def readyz(state: StateDep) -> JSONResponse:
    """200 when the database answers and the MQTT broker accepts connections, else 503."""
    (db_ok, db), (mq_ok, mq) = await asyncio.gather(
        _database_ok(state), _broker_ok(state.settings.mqtt_url)
    )
    ok = db_ok and mq_ok
    return JSONResponse(
        {"status": "ok" if ok else "unavailable", "database": db, "broker": mq},
        status_code=200 if ok else 503,
    )


@router.get("/metrics", summary="Prometheus metrics (admin)", dependencies=[require_role(ADMIN)])
async def metrics(state: StateDep) -> Response:
    """Latency per layer and zoom, cache hit ratio, ingest lag (Prometheus text format).

    Admin only: Prometheus sends an admin API key as its bearer token
    (``authorization: {credentials: <key>}`` in its scrape config).
    """
    try:
        async with pooled(state, role=ADMIN, wait_s=3) as conn:
            lag = await ingest_lag_seconds(conn)
        if lag is not None:
            state.metrics.ingest_lag.set(lag)
    except Exception:  # metrics must answer even when the database does not
        pass
    return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
