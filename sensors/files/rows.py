"""A parsed station file → rows for the ingester's store, with a reason for every refused line."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sensors.catalog import StationStreams
from sensors.files.format import render_line
from sensors.files.parser import Line, LineReject, ParsedFile
from sensors.files.symbols import get_symbol
from sensors.files.units import UnitError, converter
from sensors.messages import EARLIEST, MAX_AHEAD, Row


@dataclass(slots=True)
class FileRows:
    """Rows to store and the lines refused, for one file of one station."""

    rows: list[Row] = field(default_factory=list)
    rejects: list[LineReject] = field(default_factory=list)


def _row(line_symbol: str, value: float, unit: str, t: datetime, quality: str | None,
         station: StationStreams, now: datetime) -> Row:
    """One line's row; ValueError says why the line cannot be stored."""
    symbol = get_symbol(line_symbol)
    if symbol is None:
        raise ValueError(f"unknown symbol {line_symbol!r}")
    code = symbol.code_for(station.kind)
    stream = station.streams.get(code) if code else None
    if stream is None:
        raise ValueError(f"station {station.code} has no datastream for {line_symbol}"
                         f" ({code or 'no property'} at a {station.kind} station)")
    try:
        convert = converter(unit, stream.prop.unit, symbol.molar_mass)
    except UnitError as exc:
        raise ValueError(f"{line_symbol}: {exc}") from None
    if t < EARLIEST:
        raise ValueError(f"time before 2000: {t.isoformat()}")
    if t > now + MAX_AHEAD:
        raise ValueError(f"time more than 10 minutes in the future: {t.isoformat()}")
    result = convert(value)
    prop = stream.prop
    if not prop.accepts(result):
        raise ValueError(f"{line_symbol}={value} {unit} ({result:g} {prop.unit}) outside"
                         f" {prop.minimum:g}..{prop.maximum:g} {prop.unit}")
    return (stream.id, t, result, quality)


def file_rows(parsed: ParsedFile, station: StationStreams, now: datetime) -> FileRows:
    """Rows of every good line; the parser's rejects plus the lines refused here."""
    out = FileRows(rejects=list(parsed.rejects))
    seen: set[tuple[int, datetime]] = set()
    for line in parsed.lines:
        try:
            row = _row(line.symbol, line.value, line.unit, line.time, line.quality, station, now)
        except ValueError as exc:
            out.rejects.append(LineReject(line.number, _text(line), str(exc)))
            continue
        if (row[0], row[1]) in seen:
            out.rejects.append(LineReject(line.number, _text(line),
                                          f"{line.symbol} given twice for the same time"))
            continue
        seen.add((row[0], row[1]))
        out.rows.append(row)
    out.rejects.sort(key=lambda r: r.number)
    return out


def _text(line: Line) -> bytes:
    return render_line(line).encode()
