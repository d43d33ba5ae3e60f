"""Exceedances at facility points: hourly means against each point's own limits.

Called by the rollup job inside its transaction, after the hourly statistics of the touched
(datastream, hour) pairs (temp table ``touched``) are fresh. A point's limit of a parameter is
its permit's value, else its regulation's C for its class times its coefficients
(``sensors.facilities.regulations.point_limit``). Exceeding hours go to ``sensor.alerts``
(period ``1h``, standard = the regulation) through ``sensors.alerts.write``, like ambient ones;
an hour that no longer exceeds (a late reading lowered its mean) is cleared.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import psycopg

from sensors import alerts
from sensors.facilities.regulations import Limit, point_limit
from sensors.indices.store import HOUR
from sensors.properties import POINT_KINDS

_TOUCHED = """
SELECT d.station_id, d.id, d.property_code, t.hour, h.mean,
       mp.regulation, mp.class, mp.coefficients, mp.permit_limits
FROM touched t JOIN sensor.datastreams d ON d.id = t.datastream_id
JOIN sensor.stations s ON s.id = d.station_id AND s.kind = ANY(%s)
JOIN sensor.monitoring_points mp ON mp.station_id = s.id
LEFT JOIN sensor.hourly h ON h.datastream_id = t.datastream_id AND h.hour = t.hour
"""
_POINTS = """
SELECT mp.station_id, d.property_code, mp.regulation, mp.class, mp.coefficients,
       mp.permit_limits
FROM sensor.monitoring_points mp JOIN sensor.datastreams d ON d.station_id = mp.station_id
WHERE mp.station_id = ANY(%s)
"""


def standard(lim: Limit, regulation: str) -> str:
    """The ``standard`` text of an alert: the regulation, or the permit under it."""
    return f"{regulation} (giấy phép môi trường)" if lim.source == "permit" else regulation


def _limit(row: Iterable[Any]) -> Limit | None:
    param, regulation, klass, coefficients, permit = row
    return point_limit(regulation, klass, coefficients or {}, permit or {}, param)


def refresh(conn: psycopg.Connection) -> int:
    """Re-judge the touched hours of every facility point; return how many exceed now."""
    upserts: list[alerts.Exceeding] = []
    deletes: list[alerts.Cleared] = []
    rows = conn.execute(_TOUCHED, [list(POINT_KINDS)]).fetchall()
    for sid, ds, param, hour, mean, regulation, klass, coefficients, permit in rows:
        lim = _limit((param, regulation, klass, coefficients, permit))
        if mean is not None and lim is not None and lim.exceeded_by(mean):
            # A range (pH) is stored with the bound it broke as its limit.
            bound = lim.value if lim.value is not None else (
                lim.low if lim.low is not None and mean < lim.low else lim.high
            )  # fmt: skip
            assert bound is not None
            upserts.append(
                (sid, ds, param, "1h", mean, bound, standard(lim, regulation), hour, hour + HOUR)
            )
        else:
            deletes.append((ds, "1h", hour))
    alerts.write(conn, upserts, deletes)
    return len(upserts)


def limits_of(conn: psycopg.Connection, station_ids: list[int]) -> dict[tuple[int, str], Limit]:
    """Every (point, parameter) limit of the given stations that has one (others: none)."""
    out: dict[tuple[int, str], Limit] = {}
    for sid, param, regulation, klass, coefficients, permit in conn.execute(_POINTS, [station_ids]):
        lim = _limit((param, regulation, klass, coefficients, permit))
        if lim is not None:
            out[(sid, param)] = lim
    return out
