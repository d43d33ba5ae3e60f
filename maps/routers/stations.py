"""Stations: current state and index, time series, AQI."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter

from layers.stations import station, station_features
from maps.deps import ReadConnDep
from maps.params import FromQuery, ParameterCode, StationCode, ToQuery, time_window
from sensors.contract import Period, aqi_series, arun, hours, observation_series
from sensors.indices.store import local_day

router = APIRouter(tags=["stations"])


@router.get("/stations", summary="Stations with their current index and state (GeoJSON)")
async def stations_list(conn: ReadConnDep) -> dict[str, Any]:
    """Every station as a GeoJSON feature: AQI/WQI, category (vi/en), colour, state, latest."""
    return {"type": "FeatureCollection", "features": await station_features(conn)}


@router.get("/stations/{code}", summary="One station with its datastreams")
async def station_one(code: StationCode, conn: ReadConnDep) -> dict[str, Any]:
    """A station feature with every datastream's latest value."""
    return await station(conn, code)


@router.get("/stations/{code}/observations", summary="Time series of one parameter")
async def station_observations(
    code: StationCode,
    parameter: ParameterCode,
    conn: ReadConnDep,
    start: FromQuery = None,
    end: ToQuery = None,
    interval: Literal["raw", "hour", "day"] = "raw",
) -> dict[str, Any]:
    """Raw readings (window ≤ 31 days), hourly (≤ 2 years) or daily means (≤ 20 years)
    between ``from`` and ``to`` (default: the last 24 h)."""
    window = time_window(start, end, interval)
    return await arun(conn, observation_series(code, parameter, window.start, window.end, interval))


@router.get("/stations/{code}/aqi", summary="Hourly or daily AQI")
async def station_aqi(
    code: StationCode,
    conn: ReadConnDep,
    start: FromQuery = None,
    end: ToQuery = None,
    daily: bool = False,
    scheme: Literal["vn", "us"] = "vn",
) -> dict[str, Any]:
    """AQI series with category names and colours: hourly (window ≤ 2 years) or daily
    (≤ 20 years); default: the last 24 h."""
    window = time_window(start, end, "day" if daily else "hour")
    # Days: from the local day of ``from`` up to, not including, the local day of ``to``.
    period = (
        Period(True, local_day(window.start), local_day(window.end))
        if daily
        else hours(window.start, window.end)
    )
    return await arun(conn, aqi_series(code, period, scheme))
