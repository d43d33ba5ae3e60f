"""``iocgis aqi`` and ``iocgis wqi``: print a station's stored indices as CSV or JSON."""

from __future__ import annotations

import csv
import sys
from datetime import UTC, date, datetime, time, timedelta, timezone
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.common import print_json
from gis.errors import InvalidInput

if TYPE_CHECKING:
    from sensors.contract import Period

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


#: Output field → field of the series item (the commands print the Vietnamese name as
#: ``category``/``band`` and spell ``colour``).
AQI_FIELDS = {
    "time": "time", "aqi": "aqi", "category": "category_vi", "category_en": "category_en",
    "colour": "color", "dominant": "dominant", "sub_indices": "sub_indices",
    "message_vi": "message_vi", "advice_vi": "advice_vi", "message_en": "message_en",
    "advice_en": "advice_en",
}  # fmt: skip
WQI_FIELDS = {
    "time": "time", "wqi": "wqi", "band": "category_vi", "band_en": "category_en",
    "colour": "color", "use": "message_vi", "formula": "formula", "parameters": "parameters",
    "sub_indices": "sub_indices", "raw": "raw", "reason": "reason",
}  # fmt: skip


def _rows(doc: dict[str, Any], fields: dict[str, str], **extra: Any) -> list[dict[str, Any]]:
    """The output rows of a series: the station's fields, each value's renamed, ``extra``."""
    head = {k: doc[k] for k in ("station", "station_name", "source")}
    return [{**head, **{k: v[f] for k, f in fields.items()}, **extra} for v in doc["values"]]


def _period(start: str, end: str, daily: bool) -> Period:
    """Hours on [--from, --to), or the local days of --from to --to, both included."""
    # Imported here: ``iocgis`` starts without loading every area's modules.
    from sensors.contract import days, hours
    from sensors.indices.store import local_day

    t0, t1 = parse_time(start), parse_time(end)
    period = hours(t0, t1)  # checks zones and order
    return days(local_day(t0), local_day(t1)) if daily else period


def aqi(
    station: StationOpt,
    start: FromOpt,
    end: ToOpt,
    daily: DailyOpt = False,
    scheme: Annotated[Scheme, typer.Option("--scheme", help="vn or us.")] = Scheme.vn,
    fmt: FormatOpt = Format.csv,
) -> None:
    """Print the stored hourly (or daily) AQI of a station."""
    from gis.db import connect
    from sensors.contract import aqi_series, run

    with connect() as conn:
        doc = run(conn, aqi_series(station, _period(start, end, daily), scheme.value))
    rows = _rows(doc, AQI_FIELDS, scheme=doc["scheme"])
    _emit(rows, ["station", "time", "aqi", "category", "dominant", "colour", "scheme"], fmt)


def wqi(
    station: StationOpt,
    start: FromOpt,
    end: ToOpt,
    daily: DailyOpt = False,
    fmt: FormatOpt = Format.csv,
) -> None:
    """Print the stored hourly (or daily) WQI of a water station."""
    from gis.db import connect
    from sensors.contract import run, wqi_series

    with connect() as conn:
        doc = run(conn, wqi_series(station, _period(start, end, daily)))
    rows = _rows(doc, WQI_FIELDS)
    _emit(
        rows, ["station", "time", "wqi", "band", "colour", "formula", "parameters", "reason"], fmt
    )


def register(app: typer.Typer) -> None:
    """Add ``aqi`` and ``wqi`` to the main app."""
    app.command("aqi")(aqi)
    app.command("wqi")(wqi)
