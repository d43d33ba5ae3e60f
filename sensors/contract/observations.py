"""A station's readings as the map reads them: datastreams with their latest value, one series."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from psycopg import sql

from gis.errors import InvalidInput, NotFound
from sensors.contract.reads import Read

Interval = Literal["raw", "hour", "day"]
#: Most values one series answer holds (the web's windows keep below it: 31 days of minutes).
MAX_POINTS = 50_000

#: Per interval: the table, its time column and its value columns (answer name, column).
_SOURCES: dict[str, tuple[str, str, tuple[tuple[str, str], ...]]] = {
    "raw": ("observations", "phenomenon_time", (("value", "result"), ("quality", "quality"))),
    "hour": ("hourly", "hour", (("value", "mean"), ("min", "min"), ("max", "max"),
                                ("count", "count"), ("coverage", "coverage"))),
    "day": ("daily", "day", (("value", "mean"), ("min", "min"), ("max", "max"),
                             ("count", "count"), ("coverage", "coverage"))),
}  # fmt: skip
#: Instants for readings and hours; the local (UTC+7) dates of the bounds for days.
_BOUNDS = {
    False: sql.SQL("%(t0)s AND o.{time} < %(t1)s"),
    True: sql.SQL(
        "(%(t0)s AT TIME ZONE 'Asia/Ho_Chi_Minh')::date"
        " AND o.{time} < (%(t1)s AT TIME ZONE 'Asia/Ho_Chi_Minh')::date"
    ),
}
_SERIES = sql.SQL(
    "SELECT d.unit, v.* FROM sensor.datastreams d JOIN sensor.stations s ON s.id = d.station_id"
    " LEFT JOIN LATERAL (SELECT o.{time} AS time, {values} FROM {table} o"
    " WHERE o.datastream_id = d.id AND o.{time} >= {bounds} ORDER BY o.{time} LIMIT %(lim)s) v"
    " ON true WHERE s.code = %(code)s AND d.property_code = %(param)s ORDER BY v.time"
)


def observation_series(
    code: str, parameter: str, start: datetime, end: datetime, interval: Interval = "raw"
) -> Read[dict[str, Any]]:
    """One parameter of station ``code`` on [start, end): raw readings, hourly or daily means.

    Answer: station, parameter, unit, interval and ``values`` (time, value and, for means,
    min, max, count and coverage; for readings, quality). Days are local (UTC+7) dates.
    """
    if interval not in _SOURCES:
        raise InvalidInput("interval must be raw, hour or day")
    if end <= start:
        raise InvalidInput("'to' must be after 'from'")
    table, time, columns = _SOURCES[interval]
    names = ("time", *(name for name, _col in columns))
    column = sql.Identifier(time)
    query = _SERIES.format(
        time=column,
        table=sql.Identifier("sensor", table),
        bounds=_BOUNDS[interval == "day"].format(time=column),
        values=sql.SQL(", ").join(
            sql.SQL("o.{} AS {}").format(sql.Identifier(col), sql.Identifier(name))
            for name, col in columns
        ),
    )

    def shape(rows: list[tuple[Any, ...]]) -> dict[str, Any]:
        if not rows:
            raise NotFound(f"station {code!r} does not measure {parameter!r}")
        return {
            "station": code, "parameter": parameter, "unit": rows[0][0], "interval": interval,
            "values": [dict(zip(names, r[1:], strict=True)) for r in rows if r[1] is not None],
        }  # fmt: skip

    params = {"code": code, "param": parameter, "t0": start, "t1": end, "lim": MAX_POINTS}
    return Read(query, params, shape)


_DATASTREAMS = sql.SQL(
    "SELECT d.property_code, d.unit, lo.result, lo.phenomenon_time, lo.quality"
    " FROM sensor.datastreams d JOIN sensor.stations s ON s.id = d.station_id"
    " LEFT JOIN sensor.latest_observations lo ON lo.datastream_id = d.id"
    " WHERE s.code = %(code)s ORDER BY d.property_code"
)


def datastreams(code: str) -> Read[list[dict[str, Any]]]:
    """The datastreams of station ``code``: parameter, unit, latest value, time and quality."""
    keys = ("parameter", "unit", "value", "time", "quality")
    return Read(
        _DATASTREAMS,
        {"code": code},
        lambda rows: [dict(zip(keys, r, strict=True)) for r in rows],
    )
