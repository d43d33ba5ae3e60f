"""Writes station files in the Circular 10/2021 layout (TAB-separated lines, CRLF, UTF-8)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from sensors.files.names import format_vietnam_time


class LineLike(Protocol):
    """Anything with the five fields of a line."""

    @property
    def symbol(self) -> str: ...  # noqa: D102
    @property
    def value(self) -> float: ...  # noqa: D102
    @property
    def unit(self) -> str: ...  # noqa: D102
    @property
    def time(self) -> datetime: ...  # noqa: D102
    @property
    def status(self) -> str: ...  # noqa: D102


def format_value(value: float) -> str:
    """A value as dataloggers write it: shortest exact decimal, never an exponent."""
    text = repr(float(value))
    if "e" in text or "E" in text:
        text = f"{value:.10f}".rstrip("0").rstrip(".")
    return text.removesuffix(".0") if text.endswith(".0") else text


def render_line(line: LineLike) -> str:
    """One line without its line end."""
    return "\t".join((line.symbol, format_value(line.value), line.unit,
                      format_vietnam_time(line.time), line.status))


def render(lines: Iterable[LineLike]) -> bytes:
    """A whole file's bytes, CRLF line ends as the dataloggers write them."""
    return "".join(render_line(x) + "\r\n" for x in lines).encode("utf-8")
