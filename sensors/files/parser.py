"""The pure step of file ingest: a station file's bytes → its lines' readings and line rejects.

Each non-blank line holds five TAB-separated fields: symbol, value, unit, time
(``yyyyMMddHHmmss``, Vietnam time) and status (``00`` measuring, ``01`` calibrating, ``02``
device error). UTF-8 with or without a BOM, LF or CRLF line ends.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from sensors.files.names import FileName, FileNameError, parse_name, parse_vietnam_time

#: Status codes → the quality flag stored with the reading (None: a valid measurement).
#: The flags start with "cal" and "error", which sensors.rollups.EXCLUDED_QUALITY leaves out of
#: statistics, indices and exceedances.
STATUS_QUALITY: dict[str, str | None] = {"00": None, "01": "calibrating", "02": "error"}
MAX_LINES = 1000  # parameters per file: a bound on the work one file can cause
MAX_FIELD = 60


class FileError(ValueError):
    """The whole file is unusable (name, encoding or no line at all)."""


@dataclass(frozen=True, slots=True)
class Line:
    """One parsed line of a station file."""

    number: int  # 1-based line number in the file
    symbol: str
    value: float
    unit: str
    time: datetime  # UTC
    status: str

    @property
    def quality(self) -> str | None:
        """The quality flag stored with the reading."""
        return STATUS_QUALITY[self.status]


@dataclass(frozen=True, slots=True)
class LineReject:
    """A line that could not be read, with its number, raw text and reason."""

    number: int
    text: bytes
    reason: str


@dataclass(slots=True)
class ParsedFile:
    """A station file's name and its lines, good and rejected."""

    name: FileName
    lines: list[Line] = field(default_factory=list)
    rejects: list[LineReject] = field(default_factory=list)


def _line(number: int, text: str) -> Line:
    fields = text.split("\t")
    if len(fields) != 5:
        raise ValueError(f"{len(fields)} TAB-separated fields, 5 expected "
                         "(symbol, value, unit, time, status)")
    symbol, value_text, unit, time_text, status = (f.strip() for f in fields)
    if not symbol or len(symbol) > MAX_FIELD:
        raise ValueError("empty or overlong symbol")
    try:
        value = float(value_text)
    except ValueError:
        raise ValueError(f"value {value_text[:MAX_FIELD]!r} of {symbol} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"value {value_text[:MAX_FIELD]!r} of {symbol} is not finite")
    if status not in STATUS_QUALITY:
        raise ValueError(f"status {status[:MAX_FIELD]!r} is not 00, 01 or 02")
    return Line(number, symbol, value, unit[:MAX_FIELD], parse_vietnam_time(time_text), status)


def decode(data: bytes) -> str:
    """The file's text: UTF-8, a leading BOM dropped (FileError when not UTF-8)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileError(f"not UTF-8 text (byte {exc.start}: {data[exc.start:exc.start + 1]!r})"
                        ) from None
    if "\x00" in text:
        raise FileError("the file holds NUL characters: not a text file")
    return text.removeprefix("\ufeff")


def parse_file(data: bytes, name: str) -> ParsedFile:
    """Parse one station file; bad lines become rejects, a bad file raises FileError."""
    try:
        parsed = ParsedFile(parse_name(name))
    except FileNameError as exc:
        raise FileError(str(exc)) from None
    raw_lines = data.split(b"\n")
    text_lines = decode(data).split("\n")
    count = 0
    for i, text in enumerate(text_lines):
        text = text.removesuffix("\r")
        if not text.strip():
            continue
        count += 1
        if count > MAX_LINES:
            raise FileError(f"more than {MAX_LINES} lines")
        try:
            parsed.lines.append(_line(i + 1, text))
        except ValueError as exc:
            parsed.rejects.append(LineReject(i + 1, raw_lines[i].rstrip(b"\r"), str(exc)))
    if count == 0:
        raise FileError("the file holds no line")
    return parsed
