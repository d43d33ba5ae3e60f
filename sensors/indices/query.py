"""Read the stored indices: the Python API behind ``iocgis aqi``/``iocgis wqi`` and the maps."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import psycopg

from gis.db import connect
from gis.errors import InvalidInput, NotFound
from sensors.indices.aqi import SCHEMES
from sensors.indices.categories import aqi_category, wqi_band
from sensors.indices.store import local_day


@contextmanager
def _connection(conn: psycopg.Connection | None) -> Iterator[psycopg.Connection]:
    """Use ``conn`` or open (and close) a connection to the configured database."""
    if conn is not None:
        yield conn
        return
    own = connect()
    try:
        yield own
    finally:
        own.close()


def _station(conn: psycopg.Connection, code: str) -> tuple[int, str, str, str]:
    """(id, kind, name, data source) of the station ``code``, or NotFound.

    The data source a published AQI must name: the station's operator when its metadata
    has one, else the station itself.
    """
    row = conn.execute(
        "SELECT id, kind, name, coalesce(metadata->>'operator', name) FROM sensor.stations"
        " WHERE code = %s",
        [code],
    ).fetchone()
    if row is None:
        raise NotFound(f"no station with code {code!r}")
    return row[0], row[1], row[2], row[3]


def _check_range(start: datetime, end: datetime) -> None:
    """Both ends zone-aware and in order."""
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidInput("times need a time zone")
    if end < start:
        raise InvalidInput("the end of the period is before its start")


def aqi_series(
    station: str,
    start: datetime,
    end: datetime,
    daily: bool = False,
    scheme: str = "vn",
    conn: psycopg.Connection | None = None,
) -> list[dict[str, Any]]:
    """Stored AQI of ``station``: hours in [start, end), or local days from start's to end's.

    Each item: station, time (hour start, UTC, or local date), aqi, category (Vietnamese),
    category_en, colour (#rrggbb), dominant, sub_indices, message/advice (vi, en), scheme.
    """
    if scheme not in SCHEMES:
        raise InvalidInput(f"unknown AQI scheme {scheme!r}: use one of {', '.join(SCHEMES)}")
    _check_range(start, end)
    with _connection(conn) as c:
        sid, _kind, name, source = _station(c, station)
        if daily:
            rows = c.execute(
                "SELECT day, aqi, dominant, sub_indices FROM sensor.aqi_daily WHERE"
                " station_id = %s AND scheme = %s AND day >= %s AND day <= %s ORDER BY day",
                [sid, scheme, local_day(start), local_day(end)],
            ).fetchall()
        else:
            rows = c.execute(
                "SELECT hour, aqi, dominant, sub_indices FROM sensor.aqi_hourly WHERE"
                " station_id = %s AND scheme = %s AND hour >= %s AND hour < %s ORDER BY hour",
                [sid, scheme, start, end],
            ).fetchall()
    out = []
    for t, aqi, dominant, subs in rows:
        cat = aqi_category(aqi, scheme)
        assert cat is not None
        out.append(
            {
                "station": station,
                "station_name": name,
                "source": source,
                "time": t,
                "aqi": aqi,
                "category": cat.name_vi,
                "category_en": cat.name_en,
                "colour": cat.hex,
                "dominant": dominant,
                "sub_indices": subs,
                "message_vi": cat.message_vi,
                "advice_vi": cat.advice_vi,
                "message_en": cat.message_en,
                "advice_en": cat.advice_en,
                "scheme": scheme,
            }
        )
    return out


def wqi_series(
    station: str,
    start: datetime,
    end: datetime,
    daily: bool = False,
    conn: psycopg.Connection | None = None,
) -> list[dict[str, Any]]:
    """Stored WQI of a water ``station`` (also the hours/days without one, with the reason)."""
    _check_range(start, end)
    with _connection(conn) as c:
        sid, kind, name, source = _station(c, station)
        if kind != "water":
            raise InvalidInput(f"station {station!r} is an {kind} station: it has no WQI")
        key, lo, hi, op = (
            ("day", local_day(start), local_day(end), "<=") if daily else ("hour", start, end, "<")
        )
        rows = c.execute(
            f"SELECT {key}, wqi, raw, formula, parameters, sub_indices, reason"  # noqa: S608
            f" FROM sensor.wqi_{'daily' if daily else 'hourly'} WHERE station_id = %s"
            f" AND {key} >= %s AND {key} {op} %s ORDER BY {key}",
            [sid, lo, hi],
        ).fetchall()
    out = []
    for t, wqi, raw, formula, params, subs, reason in rows:
        band = wqi_band(wqi)
        out.append(
            {
                "station": station,
                "station_name": name,
                "source": source,
                "time": t,
                "wqi": wqi,
                "band": band.name_vi if band else None,
                "band_en": band.name_en if band else None,
                "colour": band.hex if band else None,
                "use": band.message_vi if band else None,
                "formula": formula,
                "parameters": list(params),
                "sub_indices": subs,
                "raw": raw,
                "reason": reason,
            }
        )
    return out


_STATUS = """
SELECT s.code, s.name, s.kind, ST_X(s.geom), ST_Y(s.geom),
       st.state, st.reason, st.since, last.t,
       a.hour, a.aqi, a.dominant, w.hour, w.wqi, w.parameters
FROM sensor.stations s
LEFT JOIN sensor.station_states st ON st.station_id = s.id
LEFT JOIN LATERAL (SELECT max(lo.phenomenon_time) AS t FROM sensor.latest_observations lo
                   JOIN sensor.datastreams d ON d.id = lo.datastream_id
                   WHERE d.station_id = s.id) last ON true
LEFT JOIN LATERAL (SELECT hour, aqi, dominant FROM sensor.aqi_hourly
                   WHERE station_id = s.id AND scheme = 'vn'
                   ORDER BY hour DESC LIMIT 1) a ON true
LEFT JOIN LATERAL (SELECT hour, wqi, parameters FROM sensor.wqi_hourly
                   WHERE station_id = s.id AND wqi IS NOT NULL
                   ORDER BY hour DESC LIMIT 1) w ON true
ORDER BY s.code
"""


def current_station_status(conn: psycopg.Connection | None = None) -> list[dict[str, Any]]:
    """Per station: position, state, latest AQI (air) or WQI (water), category and colour.

    A station whose last reading is older than the offline threshold is reported offline
    even if no rollup has run since.
    """
    from sensors.states import get_state_settings  # states imports this package

    offline_after = get_state_settings().offline_minutes * 60
    with _connection(conn) as c:
        now = c.execute("SELECT now()").fetchone()[0]  # type: ignore[index]
        rows = c.execute(_STATUS).fetchall()
    out = []
    for (
        code,
        name,
        kind,
        lon,
        lat,
        state,
        reason,
        since,
        last,
        a_hour,
        aqi,
        dominant,
        w_hour,
        wqi,
        params,
    ) in rows:
        if last is None or (now - last).total_seconds() > offline_after:
            state, reason = "offline", "no recent reading"
        item: dict[str, Any] = {
            "station": code,
            "name": name,
            "kind": kind,
            "lon": lon,
            "lat": lat,
            "state": state or "working",
            "state_reason": reason,
            "state_since": since,
            "last_reading": last,
        }
        if kind == "air":
            cat = aqi_category(aqi)
            item.update(
                time=a_hour,
                aqi=aqi,
                dominant=dominant,
                category=cat.name_vi if cat else None,
                category_en=cat.name_en if cat else None,
                colour=cat.hex if cat else None,
            )
        else:
            band = wqi_band(wqi)
            item.update(
                time=w_hour,
                wqi=wqi,
                parameters=params,
                category=band.name_vi if band else None,
                category_en=band.name_en if band else None,
                colour=band.hex if band else None,
            )
        out.append(item)
    return out
