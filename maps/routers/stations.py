"""Stations: current state and index, time series, AQI."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from layers.stations import aqi_series, observations, station, station_features
from maps.deps import ConnDep

router = APIRouter(tags=["stations"])

From = Annotated[datetime | None, Query(alias="from")]
To = Annotated[datetime | None, Query(alias="to")]


def _window(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    end = end or datetime.now(UTC)
    return start or end - timedelta(hours=24), end


@router.get("/stations", summary="Stations with their current index and state (GeoJSON)")
async def stations_list(conn: ConnDep) -> dict[str, Any]:
    """Every station as a GeoJSON feature: AQI/WQI, category (vi/en), colour, state, latest."""
    return {"type": "FeatureCollection", "features": await station_features(conn)}


@router.get("/stations/{code}", summary="One station with its datastreams")
async def station_one(code: str, conn: ConnDep) -> dict[str, Any]:
    """A station feature with every datastream's latest value."""
    return await station(conn, code)


@router.get("/stations/{code}/observations", summary="Time series of one parameter")
async def station_observations(
    code: str,
    parameter: str,
    conn: ConnDep,
    start: From = None,
    end: To = None,
    interval: Literal["raw", "hour", "day"] = "raw",
) -> dict[str, Any]:
    """Raw readings, hourly or daily means between ``from`` and ``to`` (default: 24 h)."""
    t0, t1 = _window(start, end)
    return await observations(conn, code, parameter, t0, t1, interval)


@router.get("/stations/{code}/aqi", summary="Hourly or daily AQI")
async def station_aqi(
    code: str,
    conn: ConnDep,
    start: From = None,
    end: To = None,
    daily: bool = False,
    scheme: Literal["vn", "us"] = "vn",
) -> dict[str, Any]:
    """AQI series with category names and colours (default: the last 24 h)."""
    t0, t1 = _window(start, end)
    return await aqi_series(conn, code, t0, t1, daily, scheme)
