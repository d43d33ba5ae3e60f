"""The stored AQI and WQI series of a station, with their categories (one read for every caller)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from psycopg import sql

from gis.errors import InvalidInput, NotFound
from sensors.contract.reads import Read
from sensors.indices.categories import AQI_SCALES, KIND_SCALES, Category, category_of

DAY = timedelta(days=1)


@dataclass(frozen=True)
class Period:
    """Which stored values: hours on [low, high) (UTC instants) or local days on [low, high)."""

    daily: bool
    low: datetime | date
    high: datetime | date


def hours(start: datetime, end: datetime) -> Period:
    """The hours starting in [start, end); both ends need a time zone."""
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidInput("times need a time zone")
    if end < start:
        raise InvalidInput("the end of the period is before its start")
    return Period(False, start, end)


def days(first: date, last: date) -> Period:
    """The local (UTC+7) days ``first`` to ``last``, both included."""
    if last < first:
        raise InvalidInput("the end of the period is before its start")
    return Period(True, first, last + DAY)


_SERIES = sql.SQL(
    "SELECT s.kind, s.name, coalesce(s.metadata->>'operator', s.name), {values}"
    " FROM sensor.stations s LEFT JOIN {table} v ON v.station_id = s.id {scheme}"
    " AND v.{time} >= %(low)s AND v.{time} < %(high)s"
    " WHERE s.code = %(code)s ORDER BY v.{time}"
)
_AQI_VALUES = ("aqi", "dominant", "sub_indices")
_WQI_VALUES = ("wqi", "raw", "formula", "parameters", "sub_indices", "reason")


def _query(index: str, period: Period, values: tuple[str, ...], scheme: bool) -> sql.Composed:
    """The series query of ``sensor.<index>_hourly`` or ``_daily`` (identifiers declared here)."""
    time = "day" if period.daily else "hour"
    return _SERIES.format(
        values=sql.SQL(", ").join(sql.Identifier("v", c) for c in (time, *values)),
        table=sql.Identifier("sensor", f"{index}_{'daily' if period.daily else 'hourly'}"),
        scheme=sql.SQL("AND v.scheme = %(scheme)s" if scheme else ""),
        time=sql.Identifier(time),
    )


def _named(cat: Category | None) -> dict[str, Any]:
    """The category fields of a series item (all None without a value)."""
    return {
        "category": cat.key if cat else None,
        "category_vi": cat.name_vi if cat else None,
        "category_en": cat.name_en if cat else None,
        "color": cat.hex if cat else None,
        "message_vi": cat.message_vi if cat else None,
        "message_en": cat.message_en if cat else None,
        "advice_vi": cat.advice_vi if cat else None,
        "advice_en": cat.advice_en if cat else None,
    }


def _header(code: str, rows: list[tuple[Any, ...]], period: Period) -> dict[str, Any]:
    """Station, name and data source (its operator, else itself) of a series; NotFound if none."""
    if not rows:
        raise NotFound(f"no station with code {code!r}")
    return {
        "station": code,
        "station_name": rows[0][1],
        "source": rows[0][2],
        "daily": period.daily,
    }


def aqi_series(code: str, period: Period, scheme: str = "vn") -> Read[dict[str, Any]]:
    """Stored AQI of station ``code`` in ``scheme`` (vn or us), each value with its category.

    Answer: station, station_name, source, scheme, daily and ``values``: time (hour start, UTC,
    or local date), aqi, dominant, sub_indices, the category of the scheme's own scale (key,
    names, colour, messages, advice).
    """
    if scheme not in AQI_SCALES:
        raise InvalidInput(f"unknown AQI scheme {scheme!r}: use one of {', '.join(AQI_SCALES)}")
    scale = AQI_SCALES[scheme]

    def shape(rows: list[tuple[Any, ...]]) -> dict[str, Any]:
        out = {**_header(code, rows, period), "scheme": scheme}
        out["values"] = [
            {
                "time": t,
                "aqi": aqi,
                "dominant": dom,
                "sub_indices": subs,
                **_named(category_of(aqi, scale)),
            }
            for _kind, _name, _src, t, aqi, dom, subs in rows
            if t is not None
        ]
        return out

    params = {"code": code, "low": period.low, "high": period.high, "scheme": scheme}
    return Read(_query("aqi", period, _AQI_VALUES, True), params, shape)


def wqi_series(code: str, period: Period) -> Read[dict[str, Any]]:
    """Stored VN_WQI of water station ``code``, also the hours/days without one (with reason).

    Answer: station, station_name, source, daily and ``values``: time, wqi, raw, formula,
    parameters, sub_indices, reason and the band (key, names, colour, the use it suits).
    """

    def shape(rows: list[tuple[Any, ...]]) -> dict[str, Any]:
        out = _header(code, rows, period)
        if rows[0][0] != "water":
            raise InvalidInput(f"station {code!r} is an {rows[0][0]} station: it has no WQI")
        out["values"] = [
            {
                "time": t,
                "wqi": wqi,
                "raw": raw,
                "formula": formula,
                "parameters": list(params or ()),
                "sub_indices": subs,
                "reason": reason,
                **_named(category_of(wqi, KIND_SCALES["water"])),
            }
            for _kind, _name, _src, t, wqi, raw, formula, params, subs, reason in rows
            if t is not None
        ]
        return out

    params = {"code": code, "low": period.low, "high": period.high}
    return Read(_query("wqi", period, _WQI_VALUES, False), params, shape)
