"""Facilities (issue 11): a facility's card, and any station's data completeness."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from maps.deps import ConnDep
from maps.params import StationCode
from sensors.completeness import completeness
from sensors.contract import arun
from sensors.facilities.reads import facility_card, point_limits

router = APIRouter(tags=["facilities"])

FacilityCode = Annotated[
    str, Path(pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="facility code (as registered)")
]
DayFrom = Annotated[
    date | None, Query(alias="from", description="first local day (default: 6 days before 'to')")
]
DayTo = Annotated[date | None, Query(alias="to", description="last local day (default: today)")]


@router.get("/facilities/{code}", summary="A facility with its monitoring points")
async def facility(code: FacilityCode, conn: ConnDep) -> dict[str, Any]:
    """Facility, worst point state, and per point: regulation, class, coefficients, the
    limits applied (permit, or C × coefficients), state and transmission."""
    return await arun(conn, facility_card(code))


@router.get("/stations/{code}/completeness", summary="Readings received / expected per day")
async def station_completeness(
    code: StationCode, conn: ConnDep, start: DayFrom = None, end: DayTo = None
) -> dict[str, Any]:
    """Per local day (Vietnam time): readings received, expected and their ratio (capped at
    1); today counts the hours begun so far. Window ≤ 366 days; default the last 7."""
    return await arun(conn, completeness(code, start, end))


@router.get("/stations/{code}/limits", summary="A facility point's limits")
async def station_limits(code: StationCode, conn: ConnDep) -> dict[str, Any]:
    """For a waste-water outlet or stack: its facility, regulation, class, coefficients and the
    hourly limit of each parameter (permit, or C × coefficients; a range for pH); 404 for an
    ambient station (its limits are the QCVN 05/08 ones in the pages' config)."""
    return await arun(conn, point_limits(code))
