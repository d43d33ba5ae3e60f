"""Recompute and store the WQI (hourly, daily) of water stations from their rollups."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from gis.tables import ident
from gis.tables.sensor import wqi_daily, wqi_hourly
from sensors.indices.store import local_day
from sensors.indices.wqi import compute_wqi


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


def _upsert_wqi(
    conn: psycopg.Connection, table: sql.Identifier, key: str, rows: list[tuple]
) -> None:
    """Upsert WQI rows (computed or with the reason why not)."""
    if not rows:
        return
    with conn.cursor() as cur:
        cur.executemany(
            sql.SQL(
                "INSERT INTO {name} (station_id, {key}, wqi, raw, formula, band, parameters,"
                " sub_indices, reason) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (station_id, {key}) DO UPDATE SET wqi = EXCLUDED.wqi,"
                " raw = EXCLUDED.raw, formula = EXCLUDED.formula, band = EXCLUDED.band,"
                " parameters = EXCLUDED.parameters, sub_indices = EXCLUDED.sub_indices,"
                " reason = EXCLUDED.reason, computed_at = now()"
            ).format(name=table, key=sql.Identifier(key)),
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
    _upsert_wqi(conn, ident(wqi_hourly), "hour", _wqi_rows(by_hour, station_id))
    _upsert_wqi(conn, ident(wqi_daily), "day", _wqi_rows(by_day, station_id))
