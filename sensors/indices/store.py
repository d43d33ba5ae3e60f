"""Recompute and store a station's AQI (hourly, daily; VN and US) and WQI from its rollups."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

import numpy as np
import psycopg
from psycopg.types.json import Jsonb

from sensors.indices.aqi import AqiArrays, daily_aqi, hourly_aqi
from sensors.indices.breakpoints import VN_PARAMETERS
from sensors.indices.nowcast import WINDOW
from sensors.indices.wqi import compute_wqi

HOUR = timedelta(hours=1)
#: Vietnam time is UTC+7 all year (no daylight saving since 1975).
VN_OFFSET = timedelta(hours=7)
#: Hours before a day that its rolling 8 h O3 mean reaches back to.
O3_LEAD = 7
#: Touched hours further apart than this are recomputed as separate windows.
CLUSTER_GAP = timedelta(hours=48)
SCHEMES = ("vn", "us")


def local_day(t: datetime) -> date:
    """The local (UTC+7) date of the hour starting at ``t``: the decision's 01:00–24:00 day."""
    return (t.astimezone(UTC) + VN_OFFSET).date()


def day_start(d: date) -> datetime:
    """The UTC instant of 00:00 local time on ``d``."""
    return datetime(d.year, d.month, d.day, tzinfo=UTC) - VN_OFFSET


def _clusters(hours: Iterable[datetime]) -> list[list[datetime]]:
    """Split sorted hours into runs no more than CLUSTER_GAP apart."""
    out: list[list[datetime]] = []
    for h in sorted(hours):
        if out and h - out[-1][-1] <= CLUSTER_GAP:
            out[-1].append(h)
        else:
            out.append([h])
    return out


def load_hourly(
    conn: psycopg.Connection, station_id: int, start: datetime, end: datetime
) -> dict[str, np.ndarray]:
    """Hourly means of a station's datastreams on [start, end) as arrays of shape (1, hours)."""
    n = int((end - start) / HOUR)
    rows = conn.execute(
        "SELECT d.property_code, h.hour, h.mean FROM sensor.hourly h"
        " JOIN sensor.datastreams d ON d.id = h.datastream_id"
        " WHERE d.station_id = %s AND h.hour >= %s AND h.hour < %s",
        [station_id, start, end],
    ).fetchall()
    arrays: dict[str, np.ndarray] = {}
    for code, hour, mean in rows:
        arr = arrays.setdefault(code, np.full((1, n), np.nan))
        arr[0, int((hour - start) / HOUR)] = mean
    return arrays


def _subs_json(result: AqiArrays, i: int) -> Jsonb:
    """The sub-indices of column ``i`` as JSON (2 decimals), missing ones left out."""
    out = {}
    for p, arr in result.subs.items():
        v = float(np.asarray(arr)[0, i])
        if not math.isnan(v):
            out[p] = round(v, 2)
    return Jsonb(out)


def _write(
    conn: psycopg.Connection,
    table: str,
    key: str,
    station_id: int,
    scheme: str,
    keys: list[object],
    result: AqiArrays,
    index: list[int],
) -> None:
    """Upsert the AQI of the given keys; delete the rows of keys that now have none."""
    rows, gone = [], []
    for k, i in zip(keys, index, strict=True):
        aqi = result.aqi[0, i]
        if np.isnan(aqi):
            gone.append(k)
        else:
            rows.append(
                (station_id, scheme, k, int(aqi), str(result.dominant[0, i]), _subs_json(result, i))
            )
    if rows:
        with conn.cursor() as cur:
            cur.executemany(
                f"INSERT INTO sensor.{table} (station_id, scheme, {key}, aqi, dominant,"  # noqa: S608
                " sub_indices) VALUES (%s, %s, %s, %s, %s, %s)"
                f" ON CONFLICT (station_id, scheme, {key}) DO UPDATE SET aqi = EXCLUDED.aqi,"
                " dominant = EXCLUDED.dominant, sub_indices = EXCLUDED.sub_indices,"
                " computed_at = now()",
                rows,
            )
    if gone:
        conn.execute(
            f"DELETE FROM sensor.{table} WHERE station_id = %s AND scheme = %s"  # noqa: S608
            f" AND {key} = ANY(%s)",
            [station_id, scheme, gone],
        )


def recompute_air(conn: psycopg.Connection, station_id: int, hours: list[datetime]) -> None:
    """Recompute the hourly AQI of ``hours`` and the NowCast hours they feed, and their days."""
    for cluster in _clusters(hours):
        feed = {h + k * HOUR for h in cluster for k in range(WINDOW)}
        days = sorted(
            {local_day(h) for h in cluster} | {local_day(h + O3_LEAD * HOUR) for h in cluster}
        )
        first_day = day_start(days[0]) - O3_LEAD * HOUR
        start = min(first_day, min(cluster) - (WINDOW - 1) * HOUR)
        end = max(day_start(days[-1]) + 24 * HOUR, max(cluster) + WINDOW * HOUR)
        arrays = load_hourly(conn, station_id, start, end)
        arrays = {p: a for p, a in arrays.items() if p in VN_PARAMETERS}
        hour_keys = sorted(feed)
        hour_idx = [int((h - start) / HOUR) for h in hour_keys]
        lo = int((first_day - start) / HOUR)
        span = O3_LEAD + 24 * ((days[-1] - days[0]).days + 1)
        day_idx = [(d - days[0]).days for d in days]
        if not arrays:  # no air data left: every index of these hours and days goes
            arrays = {"pm25": np.full((1, int((end - start) / HOUR)), np.nan)}
        for scheme in SCHEMES:
            hourly = hourly_aqi(arrays, scheme)
            sliced = {p: a[:, lo : lo + span] for p, a in arrays.items()}
            daily = daily_aqi(sliced, lead=O3_LEAD, scheme=scheme)
            _write(
                conn, "aqi_hourly", "hour", station_id, scheme, list(hour_keys), hourly, hour_idx
            )
            _write(conn, "aqi_daily", "day", station_id, scheme, list(days), daily, day_idx)


def _wqi_rows(values: dict[object, dict[str, float]], station_id: int) -> list[tuple]:
    """Rows for wqi_hourly/wqi_daily from the parameter values of each key."""
    rows = []
    for key, vals in values.items():
        r = compute_wqi(vals)
        rows.append(
            (
                station_id,
                key,
                r.wqi,
                r.raw,
                r.formula,
                r.band.key if r.band else None,
                list(r.parameters),
                Jsonb({k: round(v, 3) for k, v in r.sub_indices.items()}),
                r.reason,
            )
        )
    return rows


def _upsert_wqi(conn: psycopg.Connection, table: str, key: str, rows: list[tuple]) -> None:
    """Upsert WQI rows (computed or with the reason why not)."""
    if not rows:
        return
    with conn.cursor() as cur:
        cur.executemany(
            f"INSERT INTO sensor.{table} (station_id, {key}, wqi, raw, formula, band,"  # noqa: S608
            " parameters, sub_indices, reason) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
            f" ON CONFLICT (station_id, {key}) DO UPDATE SET wqi = EXCLUDED.wqi,"
            " raw = EXCLUDED.raw, formula = EXCLUDED.formula, band = EXCLUDED.band,"
            " parameters = EXCLUDED.parameters, sub_indices = EXCLUDED.sub_indices,"
            " reason = EXCLUDED.reason, computed_at = now()",
            rows,
        )


def recompute_water(conn: psycopg.Connection, station_id: int, hours: list[datetime]) -> None:
    """Recompute the hourly WQI of ``hours`` and the daily WQI of their days."""
    days = sorted({local_day(h) for h in hours})
    by_hour: dict[object, dict[str, float]] = defaultdict(dict)
    for code, hour, mean in conn.execute(
        "SELECT d.property_code, h.hour, h.mean FROM sensor.hourly h"
        " JOIN sensor.datastreams d ON d.id = h.datastream_id"
        " WHERE d.station_id = %s AND h.hour = ANY(%s)",
        [station_id, list(hours)],
    ):
        by_hour[hour][code] = mean
    by_day: dict[object, dict[str, float]] = defaultdict(dict)
    for code, day, mean in conn.execute(
        "SELECT d.property_code, x.day, x.mean FROM sensor.daily x"
        " JOIN sensor.datastreams d ON d.id = x.datastream_id"
        " WHERE d.station_id = %s AND x.day = ANY(%s)",
        [station_id, days],
    ):
        by_day[day][code] = mean
    conn.execute(
        "DELETE FROM sensor.wqi_hourly WHERE station_id = %s AND hour = ANY(%s)",
        [station_id, [h for h in hours if h not in by_hour]],
    )
    conn.execute(
        "DELETE FROM sensor.wqi_daily WHERE station_id = %s AND day = ANY(%s)",
        [station_id, [d for d in days if d not in by_day]],
    )
    _upsert_wqi(conn, "wqi_hourly", "hour", _wqi_rows(by_hour, station_id))
    _upsert_wqi(conn, "wqi_daily", "day", _wqi_rows(by_day, station_id))
