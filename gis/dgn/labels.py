"""Parse a parcel label ("nhãn thửa"): parcel number, land-use code(s), stated area.

Cadastral sheets write the label in a few layouts, all read here from the texts found inside
one parcel (joined top to bottom, left to right):

- one text ``123 / ODT / 245.6`` (any of ``/``, ``-``, ``;`` or blanks between the parts);
- stacked texts, number over code (``123`` above ``ODT``), often with the area under them;
- number over area with the code beside (``123`` / ``245,6`` and ``ODT``).

The parcel number is the first whole number; the area the first number with a decimal point
or comma (or a second whole number); land-use codes are upper-case words of 2–4 letters,
``ODT+CLN`` for several. A label with no parcel number, or two, is a problem to report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(r"\d+(?:[.,]\d+)?|[A-ZĐ]{2,4}(?:\+[A-ZĐ]{2,4})*|[^\s/;\-+]+")
_DECIMAL = re.compile(r"\d+[.,]\d+")
_INTEGER = re.compile(r"\d+")
_CODES = re.compile(r"[A-ZĐ]{2,4}(?:\+[A-ZĐ]{2,4})*")


@dataclass(frozen=True)
class ParsedLabel:
    """What a label says about its parcel."""

    parcel_number: int | None
    land_uses: tuple[str, ...]
    area_m2: float | None
    extra_numbers: tuple[int, ...] = ()
    unread: tuple[str, ...] = ()
    #: The area as written (its decimals tell the precision it was stated to).
    area_text: str | None = None

    @property
    def land_use(self) -> str | None:
        """The import contract's land_use field: ``CODE`` or ``CODE;CODE`` (areas unknown)."""
        return ";".join(self.land_uses) if self.land_uses else None


def parse_label(text: str) -> ParsedLabel:
    """Read number, codes and area from a label's text."""
    number: int | None = None
    extra: list[int] = []
    codes: list[str] = []
    area: float | None = None
    area_text: str | None = None
    unread: list[str] = []
    for token in _TOKEN.findall(text):
        if _DECIMAL.fullmatch(token):
            if area is None:
                area, area_text = float(token.replace(",", ".")), token
            else:
                unread.append(token)
        elif _INTEGER.fullmatch(token):
            if number is None:
                number = int(token)
            elif area is None:
                area, area_text = float(token), token
            else:
                extra.append(int(token))
        elif _CODES.fullmatch(token):
            codes.extend(c for c in token.split("+") if c not in codes)
        else:
            unread.append(token)
    return ParsedLabel(number, tuple(codes), area, tuple(extra), tuple(unread), area_text)


def format_label(parcel_number: int, land_use: str, area_m2: float) -> tuple[str, str, str]:
    """The three stacked texts the export writes: number, codes (``+``-joined), area."""
    codes = "+".join(part.split(":")[0].strip() for part in land_use.split(";") if part.strip())
    return str(parcel_number), codes, f"{area_m2:.1f}"
