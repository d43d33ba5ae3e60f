"""Station files for readings that came over MQTT, written into the relay's queue."""

from __future__ import annotations

import os
from datetime import datetime
from itertools import groupby
from pathlib import Path

import psycopg

from sensors.files.format import render
from sensors.files.names import file_name
from sensors.files.symbols import symbol_for
from sensors.ftp.datalogger import FILE_UNITS, FileLine
from sensors.properties import get_property

#: Quality flags → the file's status codes (the inverse of sensors.files.parser.STATUS_QUALITY).
_STATUS = (("cal", "01"), ("error", "02"), ("fault", "02"), ("bad", "02"), ("invalid", "02"))


def status_of(quality: str | None) -> str:
    """The file status code of a stored quality flag."""
    q = (quality or "").lower()
    return next((code for prefix, code in _STATUS if q.startswith(prefix)), "00")


def produce_files(conn: psycopg.Connection, code: str, start: datetime, end: datetime,
                  queue: Path, province: str, facility: str) -> int:
    """One file per reading time of station ``code`` in [start, end); returns how many."""
    rows = conn.execute(
        "SELECT s.kind, d.property_code, o.phenomenon_time, o.result, o.quality"
        " FROM sensor.observations o JOIN sensor.datastreams d ON d.id = o.datastream_id"
        " JOIN sensor.stations s ON s.id = d.station_id"
        " WHERE s.code = %s AND o.phenomenon_time >= %s AND o.phenomenon_time < %s"
        " ORDER BY o.phenomenon_time, d.id", [code, start, end]).fetchall()
    queue.mkdir(parents=True, exist_ok=True)
    n = 0
    for t, group in groupby(rows, key=lambda r: r[2]):
        lines = []
        for kind, prop_code, _, value, quality in group:
            sym, prop = symbol_for(kind, prop_code), get_property(kind, prop_code)
            if sym is None or prop is None or prop.unit not in FILE_UNITS:
                continue
            lines.append(FileLine(sym.symbol, value, FILE_UNITS[prop.unit], t, status_of(quality)))
        if not lines:
            continue
        name = file_name(province, facility, code, t)
        target = queue / f"mqtt-{name}"
        tmp = queue / f".mqtt-{name}.tmp"
        tmp.write_bytes(render(lines))
        os.replace(tmp, target)
        n += 1
    return n
