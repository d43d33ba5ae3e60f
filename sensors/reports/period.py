"""What a report covers: its kind and its period — a month (2026-11), a quarter (2026-Q4) or a
year (2026), in local days."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from gis.errors import InvalidInput

#: The kinds of report: stations of air or of water.
KINDS = ("air", "water")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_QUARTER = re.compile(r"(\d{4})-Q([1-4])")
_YEAR = re.compile(r"(\d{4})")


@dataclass(frozen=True)
class ReportPeriod:
    """Local (UTC+7) days ``first`` ≤ day < ``end`` and the label they were asked by."""

    label: str
    first: date
    end: date

    @property
    def last(self) -> date:
        """The last day of the period."""
        return date.fromordinal(self.end.toordinal() - 1)

    @property
    def days(self) -> int:
        """How many days it holds."""
        return (self.end - self.first).days

    def previous(self) -> ReportPeriod:
        """The period of the same length just before (the month, quarter or year before)."""
        y, m = self.first.year, self.first.month
        if _YEAR.fullmatch(self.label):
            return parse(str(y - 1))
        if _QUARTER.fullmatch(self.label):
            q = (m - 1) // 3 + 1
            return parse(f"{y - 1}-Q4" if q == 1 else f"{y}-Q{q - 1}")
        return parse(f"{y - 1}-12" if m == 1 else f"{y}-{m - 1:02d}")


def _month_start(y: int, m: int) -> date:
    return date(y + (m - 1) // 12, (m - 1) % 12 + 1, 1)


def parse(text: str) -> ReportPeriod:
    """``2026-11``, ``2026-Q4`` or ``2026``; InvalidInput for anything else."""
    text = text.strip().upper()
    if m := _MONTH.fullmatch(text):
        y, mo = int(m.group(1)), int(m.group(2))
        if not 1 <= mo <= 12:
            raise InvalidInput(f"no month {mo} in {text!r}")
        return ReportPeriod(text, date(y, mo, 1), _month_start(y, mo + 1))
    if m := _QUARTER.fullmatch(text):
        y, q = int(m.group(1)), int(m.group(2))
        return ReportPeriod(text, date(y, 3 * q - 2, 1), _month_start(y, 3 * q + 1))
    if m := _YEAR.fullmatch(text):
        y = int(m.group(1))
        return ReportPeriod(text, date(y, 1, 1), date(y + 1, 1, 1))
    raise InvalidInput(f"period {text!r}: use 2026-11 (month), 2026-Q4 (quarter) or 2026 (year)")
