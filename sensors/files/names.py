"""File names: ``<Tinh>_<CoSo>_<Tram>_<yyyyMMddHHmmss>.txt`` and the older ``<Tram><time>.txt``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

#: Vietnam time (ICT, UTC+7, no daylight saving): every time in a station file is in it.
VIETNAM = timezone(timedelta(hours=7), "ICT")
MAX_NAME = 200

_NAME = re.compile(r"^(?P<prefix>[A-Za-z0-9_.-]{1,180}?)(?P<sep>_?)(?P<time>\d{14})\.txt$",
                   re.IGNORECASE)


class FileNameError(ValueError):
    """The file name follows neither naming rule."""


@dataclass(frozen=True, slots=True)
class FileName:
    """What a station file's name says: who sent it and when it was measured."""

    name: str
    prefix: str  # everything before the time: "<Tinh>_<CoSo>_<Tram>" or "<Tram>"
    measured_at: datetime  # UTC
    legacy: bool  # the 5417-era form without separators

    def station_candidates(self) -> tuple[str, ...]:
        """The station codes the name may carry, most specific first.

        Codes may contain underscores themselves (``HN_GLHN_KHINVC``), so the whole prefix is a
        candidate as well as the part after ``<Tinh>_<CoSo>_``.
        """
        if self.legacy:
            return (self.prefix,)
        parts = self.prefix.split("_", 2)
        tail = parts[2] if len(parts) == 3 and parts[2] else None
        return (tail, self.prefix) if tail else (self.prefix,)


def parse_vietnam_time(text: str) -> datetime:
    """``yyyyMMddHHmmss`` in Vietnam time → an aware UTC datetime (ValueError when invalid)."""
    if len(text) != 14 or not text.isdigit():
        raise ValueError(f"time {text[:20]!r} is not yyyyMMddHHmmss")
    try:
        local = datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=VIETNAM)
    except ValueError:
        raise ValueError(f"time {text!r} is not a valid date and time") from None
    return local.astimezone(UTC)


def format_vietnam_time(t: datetime) -> str:
    """An aware datetime as ``yyyyMMddHHmmss`` in Vietnam time."""
    return t.astimezone(VIETNAM).strftime("%Y%m%d%H%M%S")


def parse_name(name: str) -> FileName:
    """Split a file name (no folders) into its parts; FileNameError explains a bad one."""
    if len(name) > MAX_NAME:
        raise FileNameError(f"file name longer than {MAX_NAME} characters")
    m = _NAME.match(name)
    if m is None:
        raise FileNameError(
            f"file name {name[:80]!r} is neither <Tinh>_<CoSo>_<Tram>_<yyyyMMddHHmmss>.txt"
            " nor <Tram><yyyyMMddHHmmss>.txt"
        )
    try:
        t = parse_vietnam_time(m.group("time"))
    except ValueError as exc:
        raise FileNameError(f"file name {name[:80]!r}: {exc}") from None
    legacy = not m.group("sep")
    prefix = m.group("prefix")
    if not legacy and "_" not in prefix:
        legacy = True  # "<Tram>_<time>.txt": one code, read like the old form
    return FileName(name, prefix, t, legacy)


def file_name(province: str, facility: str, station: str, measured_at: datetime) -> str:
    """The Circular 10/2021 file name of a station's file measured at ``measured_at``."""
    return f"{province}_{facility}_{station}_{format_vietnam_time(measured_at)}.txt"
