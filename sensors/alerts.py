"""Exceedances of QCVN 05:2023 (air: 1 h, 8 h, 24 h, annual) and QCVN 08:2023 (water, 1 h).

Called by the rollup job inside its transaction, after the hourly and daily statistics of the
touched (datastream, hour) pairs (temp tables ``touched`` and ``touched_days``) are fresh.
Every averaging period a touched hour belongs to is re-judged: an exceeding one is upserted
(a new row fires NOTIFY ``iocgis_alerts`` through the table's trigger), one that no longer
exceeds — a late reading lowered it — is deleted.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

import numpy as np
import psycopg

from sensors.indices.aqi import rolling_mean
from sensors.indices.breakpoints import O3_8H_MIN_HOURS
from sensors.indices.limits import AIR_LIMITS, limit
from sensors.indices.store import HOUR, day_start

CHANNEL = "iocgis_alerts"
STANDARD = {"air": "QCVN 05:2023/BTNMT", "water": "QCVN 08:2023/BTNMT"}

#: (station id, datastream id, kind, parameter, period, start, end, value or None)
Candidate = tuple[int, int, str, str, str, datetime, datetime, float | None]

_TOUCHED_HOURS = """
SELECT d.station_id, d.id, s.kind, d.property_code, t.hour, h.mean
FROM touched t JOIN sensor.datastreams d ON d.id = t.datastream_id
JOIN sensor.stations s ON s.id = d.station_id
LEFT JOIN sensor.hourly h ON h.datastream_id = t.datastream_id AND h.hour = t.hour
"""
_TOUCHED_DAYS = """
SELECT d.station_id, d.id, s.kind, d.property_code, td.day, x.mean
FROM touched_days td JOIN sensor.datastreams d ON d.id = td.datastream_id
JOIN sensor.stations s ON s.id = d.station_id
LEFT JOIN sensor.daily x ON x.datastream_id = td.datastream_id AND x.day = td.day
"""
_YEAR_MEAN = """
SELECT avg(mean) FROM sensor.daily WHERE datastream_id = %s AND day >= %s AND day < %s
"""


def _has(kind: str, param: str, period: str) -> bool:
    """Whether any limit is defined for (kind, parameter, period)."""
    if kind == "air":
        return period in AIR_LIMITS.get(param, {})
    return period == "1h"


def _eight_hour(
    conn: psycopg.Connection, ds: int, hours: list[datetime]
) -> list[tuple[datetime, float | None]]:
    """Rolling 8 h means of the windows the touched ``hours`` belong to (keyed by window start)."""
    start, end = min(hours) - 7 * HOUR, max(hours) + 8 * HOUR
    n = int((end - start) / HOUR)
    values = np.full(n, np.nan)
    for hour, mean in conn.execute(
        "SELECT hour, mean FROM sensor.hourly WHERE datastream_id = %s AND hour >= %s"
        " AND hour < %s",
        [ds, start, end],
    ):
        values[int((hour - start) / HOUR)] = mean
    means = rolling_mean(values, 8, O3_8H_MIN_HOURS)[0]
    ends = sorted({h + k * HOUR for h in hours for k in range(8)})
    out = []
    for e in ends:
        v = means[int((e - start) / HOUR)]
        out.append((e - 7 * HOUR, None if np.isnan(v) else float(v)))
    return out


def candidates(conn: psycopg.Connection) -> list[Candidate]:
    """Every (datastream, period) window the touched pairs belong to, with its current value."""
    out: list[Candidate] = []
    eight: dict[tuple[int, int, str, str], list[datetime]] = defaultdict(list)
    for sid, ds, kind, param, hour, mean in conn.execute(_TOUCHED_HOURS).fetchall():
        if _has(kind, param, "1h"):
            out.append((sid, ds, kind, param, "1h", hour, hour + HOUR, mean))
        if _has(kind, param, "8h"):
            eight[(sid, ds, kind, param)].append(hour)
    for (sid, ds, kind, param), hours in eight.items():
        for start, value in _eight_hour(conn, ds, hours):
            out.append((sid, ds, kind, param, "8h", start, start + 8 * HOUR, value))
    years: set[tuple[int, int, str, str, int]] = set()
    for sid, ds, kind, param, day, mean in conn.execute(_TOUCHED_DAYS).fetchall():
        if _has(kind, param, "24h"):
            out.append(
                (sid, ds, kind, param, "24h", day_start(day), day_start(day) + 24 * HOUR, mean)
            )
        if _has(kind, param, "annual"):
            years.add((sid, ds, kind, param, day.year))
    for sid, ds, kind, param, year in years:
        first, nxt = date(year, 1, 1), date(year + 1, 1, 1)
        row = conn.execute(_YEAR_MEAN, [ds, first, nxt]).fetchone()
        value = row[0] if row else None
        out.append((sid, ds, kind, param, "annual", day_start(first), day_start(nxt), value))
    return out


def refresh(conn: psycopg.Connection) -> int:
    """Re-judge every window of the touched pairs; return how many exceed now."""
    upserts, deletes = [], []
    for sid, ds, kind, param, period, start, end, value in candidates(conn):
        local = (start + timedelta(hours=7)).date()
        lim = limit(kind, param, period, local)
        if value is not None and lim is not None and value > lim:
            upserts.append((sid, ds, param, period, value, lim, STANDARD[kind], start, end))
        else:
            deletes.append((ds, period, start))
    with conn.cursor() as cur:
        if deletes:
            cur.executemany(
                "DELETE FROM sensor.alerts WHERE datastream_id = %s AND period = %s"
                " AND start_time = %s",
                deletes,
            )
        if upserts:
            cur.executemany(
                "INSERT INTO sensor.alerts (station_id, datastream_id, parameter, period, value,"
                " limit_value, standard, start_time, end_time)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (datastream_id, period, start_time) DO UPDATE SET"
                " value = EXCLUDED.value, limit_value = EXCLUDED.limit_value, updated_at = now()",
                upserts,
            )
    return len(upserts)
