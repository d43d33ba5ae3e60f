"""The current status of every station: state, headline index (VN_AQI or VN_WQI) and category.

Computed once, in the view ``sensor.station_status`` (migration 0009_contract), which the map's
``layers.stations`` view also reads: the CLI, the API and the tiles agree by construction.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from psycopg import sql

from gis.settings import get_settings
from sensors.contract.reads import Read
from sensors.contract.states import OFFLINE, WORKING

_STATUS = sql.SQL(
    "SELECT now(), code, name, kind, ST_X(geom), ST_Y(geom), state, state_reason, state_since,"
    " observed_at, index_time, index_value, dominant, parameters, category, category_vi,"
    " category_en, color FROM sensor.station_status ORDER BY code"
)


def station_status() -> Read[list[dict[str, Any]]]:
    """Per station: position, state, last reading, latest index with its category and colour.

    A station whose last reading is older than the offline threshold is reported offline
    even if the state job has not run since (the stored state can be stale when it stopped).
    """
    offline_after = timedelta(minutes=get_settings().state_offline_minutes)

    def shape(rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
        out = []
        for (now, code, name, kind, lon, lat, state, reason, since, last, t, value, dominant,
             params, cat, cat_vi, cat_en, color) in rows:  # fmt: skip
            stale = last is None or now - last > offline_after
            item: dict[str, Any] = {
                "station": code, "name": name, "kind": kind, "lon": lon, "lat": lat,
                "state": OFFLINE if stale else (state or WORKING),
                "state_reason": "no recent reading" if stale else reason,
                "state_since": since, "last_reading": last, "time": t,
                "aqi" if kind == "air" else "wqi": value,
                "category": cat, "category_vi": cat_vi, "category_en": cat_en, "color": color,
            }  # fmt: skip
            if kind == "air":
                item["dominant"] = dominant
            else:
                item["parameters"] = params
            out.append(item)
        return out

    return Read(_STATUS, {}, shape)
