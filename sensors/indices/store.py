"""Recompute and store the AQI (hourly, daily; VN and US) of air stations from their rollups.

All stations touched in a batch are computed together: one read of their hourly means, one
vectorised computation, one COPY of the results and one upsert.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

import numpy as np
import psycopg
from psycopg import sql

from gis.tables import ident
from gis.tables.sensor import aqi_daily, aqi_hourly
from sensors.indices.aqi import SCHEMES, AqiArrays, daily_aqi, hourly_aqi
from sensors.indices.breakpoints import VN_PARAMETERS
from sensors.indices.nowcast import WINDOW

HOUR = timedelta(hours=1)
#: Vietnam time is UTC+7 all year (no daylight saving since 1975).
VN_OFFSET = timedelta(hours=7)
#: Hours before a day that its rolling 8 h O3 mean reaches back to.
O3_LEAD = 7
#: Touched hours further apart than this are recomputed as separate windows.
CLUSTER_GAP = timedelta(hours=48)
#: A window never spans more than this (a long backlog is taken in slices).
CLUSTER_SPAN = timedelta(days=31)


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
        if out and h - out[-1][-1] <= CLUSTER_GAP and h - out[-1][0] <= CLUSTER_SPAN:
            out[-1].append(h)
        else:
            out.append([h])
    return out


def load_hourly(
    conn: psycopg.Connection, station_ids: list[int], start: datetime, end: datetime
) -> dict[str, np.ndarray]:
    """Hourly means on [start, end) per parameter, shape (stations, hours); NaN = none."""
    n = int((end - start) / HOUR)
    row_of = {sid: i for i, sid in enumerate(station_ids)}
    arrays: dict[str, np.ndarray] = {}
    cur = conn.execute(
        "SELECT d.station_id, d.property_code, h.hour, h.mean FROM sensor.hourly h"
        " JOIN sensor.datastreams d ON d.id = h.datastream_id"
        " WHERE d.station_id = ANY(%s) AND d.property_code = ANY(%s)"
        " AND h.hour >= %s AND h.hour < %s",
        [station_ids, list(VN_PARAMETERS), start, end],
    )
    for sid, code, hour, mean in cur:
        arr = arrays.get(code)
        if arr is None:
            arr = arrays[code] = np.full((len(station_ids), n), np.nan)
        arr[row_of[sid], int((hour - start) / HOUR)] = mean
    return arrays


def _subs_json(result: AqiArrays, row: int, col: int) -> str:
    """The sub-indices at (row, col) as JSON (2 decimals), missing ones left out."""
    out = {}
    for p, arr in result.subs.items():
        v = float(np.asarray(arr)[row, col])
        if not math.isnan(v):
            out[p] = round(v, 2)
    return json.dumps(out)


class AqiWriter:
    """Collects AQI rows to upsert and keys to delete, then writes them in a few statements."""

    def __init__(self) -> None:
        # Keyed by (station, scheme, hour or day): adjacent windows may both produce a key
        # (with the same value); it is written once.
        self.rows: dict[str, dict[tuple, tuple]] = {"hour": {}, "day": {}}
        self.gone: dict[str, set[tuple]] = {"hour": set(), "day": set()}

    def add(
        self, key: str, sid: int, scheme: str, k: object, result: AqiArrays, row: int, col: int
    ) -> None:
        """Record the AQI of one station at one hour or day (or its absence)."""
        aqi = result.aqi[row, col]
        ident = (sid, scheme, k)
        if np.isnan(aqi):
            self.gone[key].add(ident)
            self.rows[key].pop(ident, None)
        else:
            self.gone[key].discard(ident)
            self.rows[key][ident] = (
                *ident,
                int(aqi),
                str(result.dominant[row, col]),
                _subs_json(result, row, col),
            )

    def flush(self, conn: psycopg.Connection) -> None:
        """COPY the rows into a staging table, upsert them, delete what has no AQI now."""
        for key, table, typ in (
            ("hour", aqi_hourly, "timestamptz"),
            ("day", aqi_daily, "date"),
        ):
            name, column = ident(table), sql.Identifier(key)
            if self.gone[key]:
                sids, schemes, keys = (list(x) for x in zip(*self.gone[key], strict=True))
                conn.execute(
                    sql.SQL(
                        "DELETE FROM {} a USING unnest(%s::int[], %s::text[], %s::{}[])"
                        " AS x(s, sc, k) WHERE a.station_id = x.s AND a.scheme = x.sc"
                        " AND a.{} = x.k"
                    ).format(name, sql.SQL(typ), column),
                    [sids, schemes, keys],
                )
            if not self.rows[key]:
                continue
            stage = sql.Identifier(f"{table.name}_stage")
            conn.execute(
                sql.SQL(
                    "CREATE TEMP TABLE IF NOT EXISTS {} (station_id int, scheme text, {} {},"
                    " aqi int, dominant text, sub_indices jsonb) ON COMMIT DELETE ROWS"
                ).format(stage, column, sql.SQL(typ))
            )
            with conn.cursor() as cur:
                with cur.copy(sql.SQL("COPY {} FROM STDIN").format(stage)) as copy:
                    for r in self.rows[key].values():
                        copy.write_row(r)
                cur.execute(
                    sql.SQL(
                        "INSERT INTO {name} (station_id, scheme, {key}, aqi, dominant,"
                        " sub_indices) SELECT * FROM {stage}"
                        " ON CONFLICT (station_id, scheme, {key}) DO UPDATE SET"
                        " aqi = EXCLUDED.aqi, dominant = EXCLUDED.dominant,"
                        " sub_indices = EXCLUDED.sub_indices, computed_at = now()"
                    ).format(name=name, key=column, stage=stage)
                )
                cur.execute(sql.SQL("TRUNCATE {}").format(stage))


def recompute_air(conn: psycopg.Connection, touched: dict[int, list[datetime]]) -> None:
    """Recompute the hourly AQI of the touched hours (per station) and of the NowCast hours
    they feed, and the daily AQI of their days; write all of it in one go."""
    writer = AqiWriter()
    by_cluster: dict[int, dict[int, list[datetime]]] = {}
    clusters = _clusters({h for hours in touched.values() for h in hours})
    bounds = [(c[0], c[-1]) for c in clusters]
    for sid, hours in touched.items():
        for h in hours:
            ci = next(i for i, (lo, hi) in enumerate(bounds) if lo <= h <= hi)
            by_cluster.setdefault(ci, {}).setdefault(sid, []).append(h)
    for ci, per_station in by_cluster.items():
        _recompute_window(conn, clusters[ci], per_station, writer)
    writer.flush(conn)


def _recompute_window(
    conn: psycopg.Connection,
    cluster: list[datetime],
    per_station: dict[int, list[datetime]],
    writer: AqiWriter,
) -> None:
    """One time window: load, compute for every station at once, collect the affected keys."""
    days = sorted(
        {local_day(h) for h in cluster} | {local_day(h + O3_LEAD * HOUR) for h in cluster}
    )
    first_day = day_start(days[0]) - O3_LEAD * HOUR
    start = min(first_day, cluster[0] - (WINDOW - 1) * HOUR)
    end = max(day_start(days[-1]) + 24 * HOUR, cluster[-1] + WINDOW * HOUR)
    sids = sorted(per_station)
    arrays = load_hourly(conn, sids, start, end)
    if not arrays:  # no air data left: every index of these hours and days goes
        arrays = {"pm25": np.full((len(sids), int((end - start) / HOUR)), np.nan)}
    lo = int((first_day - start) / HOUR)
    span = O3_LEAD + 24 * ((days[-1] - days[0]).days + 1)
    sliced = {p: a[:, lo : lo + span] for p, a in arrays.items()}
    for scheme in SCHEMES:
        hourly = hourly_aqi(arrays, scheme)
        daily = daily_aqi(sliced, lead=O3_LEAD, scheme=scheme)
        for row, sid in enumerate(sids):
            hours = per_station[sid]
            for h in sorted({h + k * HOUR for h in hours for k in range(WINDOW)}):
                writer.add("hour", sid, scheme, h, hourly, row, int((h - start) / HOUR))
            for d in sorted(
                {local_day(h) for h in hours} | {local_day(h + O3_LEAD * HOUR) for h in hours}
            ):
                writer.add("day", sid, scheme, d, daily, row, (d - days[0]).days)
