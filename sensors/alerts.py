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
SELECT r.ds, r.y, avg(x.mean) FROM unnest(%s::int[], %s::int[]) AS r(ds, y)
JOIN sensor.daily x ON x.datastream_id = r.ds AND x.day >= make_date(r.y, 1, 1)
     AND x.day < make_date(r.y + 1, 1, 1)
GROUP BY r.ds, r.y
"""


def _has(kind: str, param: str, period: str) -> bool:
    """Whether any limit is defined for (kind, parameter, period)."""
    if kind == "air":
        return period in AIR_LIMITS.get(param, {})
    # Facility points are judged by sensors.facilities (their own regulation and coefficients).
    return kind == "water" and period == "1h"


def _eight_hour(
    conn: psycopg.Connection, touched: dict[tuple[int, int, str, str], list[datetime]]
) -> list[Candidate]:
    """Rolling 8 h means of every window the touched hours belong to (keyed by window start)."""
    if not touched:
        return []
    keys = list(touched)
    lows = [min(touched[k]) - 7 * HOUR for k in keys]
    highs = [max(touched[k]) + 8 * HOUR for k in keys]
    found: dict[int, list[tuple[datetime, float]]] = defaultdict(list)
    for ds, hour, mean in conn.execute(
        "SELECT h.datastream_id, h.hour, h.mean FROM unnest(%s::int[], %s::timestamptz[],"
        " %s::timestamptz[]) AS r(ds, lo, hi) JOIN sensor.hourly h ON h.datastream_id = r.ds"
        " AND h.hour >= r.lo AND h.hour < r.hi",
        [[k[1] for k in keys], lows, highs],
    ):
        found[ds].append((hour, mean))
    out: list[Candidate] = []
    for key, start, end in zip(keys, lows, highs, strict=True):
        sid, ds, kind, param = key
        values = np.full(int((end - start) / HOUR), np.nan)
        for hour, mean in found[ds]:
            values[int((hour - start) / HOUR)] = mean
        means = rolling_mean(values, 8, O3_8H_MIN_HOURS)[0]
        for e in sorted({h + k * HOUR for h in touched[key] for k in range(8)}):
            v = means[int((e - start) / HOUR)]
            out.append(
                (
                    sid,
                    ds,
                    kind,
                    param,
                    "8h",
                    e - 7 * HOUR,
                    e + HOUR,
                    None if np.isnan(v) else float(v),
                )
            )
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
    out.extend(_eight_hour(conn, eight))
    years: set[tuple[int, int, str, str, int]] = set()
    for sid, ds, kind, param, day, mean in conn.execute(_TOUCHED_DAYS).fetchall():
        if _has(kind, param, "24h"):
            out.append(
                (sid, ds, kind, param, "24h", day_start(day), day_start(day) + 24 * HOUR, mean)
            )
        if _has(kind, param, "annual"):
            years.add((sid, ds, kind, param, day.year))
    ordered = sorted(years)
    means = {
        (ds, y): m
        for ds, y, m in conn.execute(_YEAR_MEAN, [[k[1] for k in ordered], [k[4] for k in ordered]])
    }
    for sid, ds, kind, param, year in ordered:
        first, nxt = date(year, 1, 1), date(year + 1, 1, 1)
        out.append(
            (
                sid,
                ds,
                kind,
                param,
                "annual",
                day_start(first),
                day_start(nxt),
                means.get((ds, year)),
            )
        )
    return out


#: An exceeding window: (station, datastream, parameter, period, value, limit, standard,
#: start, end); a window that no longer exceeds: (datastream, period, start).
Exceeding = tuple[int, int, str, str, float, float, str, datetime, datetime]
Cleared = tuple[int, str, datetime]


def refresh(conn: psycopg.Connection) -> int:
    """Re-judge every window of the touched pairs; return how many exceed now."""
    upserts: list[Exceeding] = []
    deletes: list[Cleared] = []
    for sid, ds, kind, param, period, start, end, value in candidates(conn):
        local = (start + timedelta(hours=7)).date()
        lim = limit(kind, param, period, local)
        if value is not None and lim is not None and value > lim:
            upserts.append((sid, ds, param, period, value, lim, STANDARD[kind], start, end))
        else:
            deletes.append((ds, period, start))
    write(conn, upserts, deletes)
    return len(upserts)


def write(conn: psycopg.Connection, upserts: list[Exceeding], deletes: list[Cleared]) -> None:
    """Store judged windows: exceeding ones upserted (NOTIFY when new), cleared ones deleted."""
    with conn.cursor() as cur:
        if deletes:
            # Only the alerts that exist need deleting (most windows never exceeded).
            existing = set(
                conn.execute(
                    "SELECT datastream_id, period, start_time FROM sensor.alerts"
                    " WHERE datastream_id = ANY(%s) AND start_time >= %s AND start_time <= %s",
                    [
                        sorted({d[0] for d in deletes}),
                        min(d[2] for d in deletes),
                        max(d[2] for d in deletes),
                    ],
                ).fetchall()
            )
            deletes = [d for d in deletes if d in existing]
        if deletes:
            ds_ids, periods, starts = (list(x) for x in zip(*deletes, strict=True))
            cur.execute(
                "DELETE FROM sensor.alerts a USING unnest(%s::int[], %s::text[],"
                " %s::timestamptz[]) AS x(ds, period, start) WHERE a.datastream_id = x.ds"
                " AND a.period = x.period AND a.start_time = x.start",
                [ds_ids, periods, starts],
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
