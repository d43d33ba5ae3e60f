"""Reading a station's stored observations back (``iocgis observations export``)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import datetime
from typing import IO

import psycopg

from gis.errors import InvalidInput, NotFound

Reading = tuple[str, str, datetime, float, str | None]
COLUMNS = ("station", "parameter", "time", "value", "quality")


def parse_bound(value: str, name: str) -> datetime:
    """An ISO 8601 bound with a time zone (a date alone means midnight UTC)."""
    try:
        t = datetime.fromisoformat(value if "T" in value or " " in value else value + "T00:00Z")
    except ValueError:
        raise InvalidInput(f"{name}: not an ISO 8601 time: {value!r}") from None
    if t.tzinfo is None:
        raise InvalidInput(f"{name}: give a time zone, e.g. {value}+07:00")
    return t


def readings(
    conn: psycopg.Connection, station: str, start: datetime, end: datetime,
    parameter: str | None = None,
) -> Iterator[Reading]:
    """A station's readings with start <= time < end, by parameter and time."""
    if end <= start:
        raise InvalidInput("--to must be after --from")
    found = conn.execute(
        "SELECT array_agg(d.property_code) FROM sensor.stations s"
        " LEFT JOIN sensor.datastreams d ON d.station_id = s.id WHERE s.code = %s"
        " GROUP BY s.id", [station]
    ).fetchone()
    if found is None:
        raise NotFound(f"no station {station!r}")
    if parameter is not None and parameter not in (found[0] or []):
        raise NotFound(f"station {station} has no parameter {parameter!r}")
    with conn.cursor(name="export") as cur:  # server-side: constant memory for long ranges
        cur.itersize = 5000
        cur.execute(
            "SELECT s.code, d.property_code, o.phenomenon_time, o.result, o.quality"
            " FROM sensor.observations o JOIN sensor.datastreams d ON d.id = o.datastream_id"
            " JOIN sensor.stations s ON s.id = d.station_id"
            " WHERE s.code = %s AND (%s::text IS NULL OR d.property_code = %s)"
            " AND o.phenomenon_time >= %s AND o.phenomenon_time < %s"
            " ORDER BY d.property_code, o.phenomenon_time",
            [station, parameter, parameter, start, end],
        )
        yield from cur


def write(rows: Iterator[Reading], out: IO[str], fmt: str = "csv") -> int:
    """Write readings as CSV (header line first) or a JSON array; returns the count."""
    n = 0
    if fmt == "csv":
        w = csv.writer(out, lineterminator="\n")
        w.writerow(COLUMNS)
        for code, param, t, value, quality in rows:
            w.writerow((code, param, t.isoformat(), repr(value), quality or ""))
            n += 1
        return n
    if fmt != "json":
        raise InvalidInput(f"unknown format {fmt!r} (csv or json)")
    out.write("[")
    for code, param, t, value, quality in rows:
        rec = dict(zip(COLUMNS, (code, param, t.isoformat(), value, quality), strict=True))
        out.write(("," if n else "") + "\n" + json.dumps(rec, ensure_ascii=False))
        n += 1
    out.write("\n]\n")
    return n
