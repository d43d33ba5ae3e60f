"""``iocgis aqi`` and ``iocgis wqi``: print a station's stored indices as CSV or JSON."""

from __future__ import annotations

import csv
import sys
from datetime import UTC, date, datetime, time, timedelta, timezone
from enum import StrEnum
from typing import Annotated, Any

import typer

from cli.common import print_json
from gis.errors import InvalidInput

VN_TZ = timezone(timedelta(hours=7))


class Format(StrEnum):
    """Output formats."""

    csv = "csv"
    json = "json"


class Scheme(StrEnum):
    """AQI schemes."""

    vn = "vn"
    us = "us"


def parse_time(text: str) -> datetime:
    """ISO date or date-time; without a zone it is Vietnam time (UTC+7)."""
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(), VN_TZ)
        t = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInput(f"not an ISO 8601 date or time: {text!r}") from exc
    return t if t.tzinfo else t.replace(tzinfo=VN_TZ)


def _time_text(t: object) -> str:
    """A time as ISO 8601 in UTC, a date as itself."""
    if isinstance(t, datetime):
        return t.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return str(t)


def _emit(rows: list[dict[str, Any]], columns: list[str], fmt: Format) -> None:
    """Write ``rows`` as CSV (``columns``) or as JSON (every field)."""
    if fmt is Format.json:
        print_json([{**r, "time": _time_text(r["time"])} for r in rows])
        return
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(columns)
    for r in rows:
        values = {**r, "time": _time_text(r["time"])}
        writer.writerow(
            [
                ";".join(v) if isinstance(v := values.get(c), list) else ("" if v is None else v)
                for c in columns
            ]
        )


StationOpt = Annotated[str, typer.Option("--station", help="Station code.")]
FromOpt = Annotated[str, typer.Option("--from", help="Start (ISO; no zone = Vietnam time).")]
ToOpt = Annotated[str, typer.Option("--to", help="End, exclusive for hours (ISO).")]
DailyOpt = Annotated[bool, typer.Option("--daily", help="Daily values (local days).")]
FormatOpt = Annotated[Format, typer.Option("--format", help="csv or json.")]


def aqi(
    station: StationOpt,
    start: FromOpt,
    end: ToOpt,
    daily: DailyOpt = False,
    scheme: Annotated[Scheme, typer.Option("--scheme", help="vn or us.")] = Scheme.vn,
    fmt: FormatOpt = Format.csv,
) -> None:
    """Print the stored hourly (or daily) AQI of a station."""
    from sensors.indices.query import aqi_series

    rows = aqi_series(station, parse_time(start), parse_time(end), daily=daily, scheme=scheme.value)
    _emit(rows, ["station", "time", "aqi", "category", "dominant", "colour", "scheme"], fmt)


def wqi(
    station: StationOpt,
    start: FromOpt,
    end: ToOpt,
    daily: DailyOpt = False,
    fmt: FormatOpt = Format.csv,
) -> None:
    """Print the stored hourly (or daily) WQI of a water station."""
    from sensors.indices.query import wqi_series

    rows = wqi_series(station, parse_time(start), parse_time(end), daily=daily)
    _emit(
        rows, ["station", "time", "wqi", "band", "colour", "formula", "parameters", "reason"], fmt
    )


def register(app: typer.Typer) -> None:
    """Add ``aqi`` and ``wqi`` to the main app."""
    app.command("aqi")(aqi)
    app.command("wqi")(wqi)
