"""Inputs of an items request, parsed and checked: RFC 3339 datetime intervals and bboxes.

The open-interval rule (what QGIS, GDAL and OWSLib send) is stated in the OpenAPI description
of ``datetime`` (maps.params) and implemented here.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime

from gis.errors import InvalidInput
from layers.crs_uri import OutputCRS, crs_range, parse_crs_uri

#: RFC 3339 date-time (``T``/``t``/space separator, optional fraction, optional offset) or date.
#: A date with a bare ``T`` and no time (``2030-01-01T``, what GDAL 3.6's OAPIF driver sends
#: for a date-only ``-where``) is that date.
_RFC3339 = re.compile(
    r"^(\d{4}-\d{2}-\d{2})"
    r"(?:[Tt ](\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)([Zz]|[+-]\d{2}:\d{2})?|[Tt])?$"
)
Interval = tuple[datetime | None, datetime | None]


def _instant(part: str, end_of_day: bool) -> datetime | None:
    """One end of a ``datetime``: ``..``/empty is open; a date alone is its whole day; the
    start ``0000-01-01…`` (QGIS's "no lower bound") is open too."""
    if part in ("", ".."):
        return None
    match = _RFC3339.match(part)
    if match is None:
        raise InvalidInput(f"bad datetime {part[:64]!r}: use RFC 3339, e.g. 2025-07-01T00:00:00Z")
    day, clock, offset = match.groups()
    if day.startswith("0000-"):  # year 0 exists in no calendar we store: a client's "-infinity"
        if end_of_day:
            raise InvalidInput("bad datetime: year 0000 may only open an interval's start")
        return None
    try:
        if clock is None:  # a date alone: from its first to its last instant (UTC)
            value = datetime.fromisoformat(day).replace(tzinfo=UTC)
            return (
                value.replace(hour=23, minute=59, second=59, microsecond=999_999)
                if end_of_day
                else value
            )
        value = datetime.fromisoformat(f"{day}T{clock[:15]}{(offset or '').upper()}")
    except ValueError as exc:
        raise InvalidInput(f"bad datetime {part[:64]!r}: no such date or time") from exc
    # No offset: UTC is assumed (documented in the OpenAPI description of ``datetime``).
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def parse_datetime(text: str | None) -> Interval | None:
    """An RFC 3339 instant or interval (``a/b``, ``../b``, ``a/..``) → (start, end).

    Without an offset a time is taken as UTC; a date alone stands for its whole day (UTC);
    an interval's start must not be after its end.
    """
    if not text:
        return None
    if "/" in text:
        first, last = text.split("/", 1)
        start, end = _instant(first, False), _instant(last, True)
        if start is not None and end is not None and start > end:
            raise InvalidInput("bad datetime interval: its start is after its end")
        return start, end
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}[Tt]?", text):
        return _instant(text, False), _instant(text, True)
    instant = _instant(text, False)
    if instant is None:  # "0000-…" alone: an open start of nothing
        raise InvalidInput("bad datetime: year 0000 may only open an interval's start")
    return instant, instant


def parse_bbox(text: str | None, crs: OutputCRS | None = None) -> tuple[float, ...] | None:
    """``minx,miny,maxx,maxy`` (or 6 numbers with heights) → 4 floats, checked.

    Every number must be finite, each minimum below its maximum, and the box inside the range
    of its CRS (``crs``, default CRS84; in its own axis order): the whole globe for geographic
    CRSs, the square world of Web Mercator, Việt Nam's region for the projected VN-2000 CRSs.
    That range is also the largest span accepted: pages of features are bounded by ``limit``,
    so a wide box costs no more than none, and GIS clients send their whole view.
    """
    if not text:
        return None
    try:
        nums = tuple(float(v) for v in text.split(","))
    except ValueError as exc:
        raise InvalidInput("bad bbox: four (or six) comma-separated numbers") from exc
    if len(nums) not in (4, 6):
        raise InvalidInput("bad bbox: four (or six) comma-separated numbers")
    if not all(math.isfinite(v) for v in nums):
        raise InvalidInput("bad bbox: every number must be finite")
    if len(nums) == 6:
        if nums[2] > nums[5]:
            raise InvalidInput("bad bbox: its minimum height is above its maximum")
        nums = (nums[0], nums[1], nums[3], nums[4])
    if not (nums[0] < nums[2] and nums[1] < nums[3]):
        raise InvalidInput("bad bbox: each minimum must be below its maximum")
    crs = crs or parse_crs_uri(None)
    x0, y0, x1, y1 = crs_range(crs.srid)
    low, high = ((y0, x0), (y1, x1)) if crs.lat_first else ((x0, y0), (x1, y1))
    if not (low[0] <= nums[0] and low[1] <= nums[1] and nums[2] <= high[0] and nums[3] <= high[1]):
        raise InvalidInput(
            f"bad bbox: outside the range of its CRS ({low[0]:g}, {low[1]:g}, {high[0]:g},"
            f" {high[1]:g})"
        )
    return nums
