"""``iocgis report air|water``: a period's report of an area as PDF or XLSX."""

from __future__ import annotations

from pathlib import Path

import typer

from gis.db import transaction
from gis.errors import InvalidInput
from sensors.reports.period import KINDS, parse

OUT = typer.Option(..., help="FILE.pdf or FILE.xlsx.")


def report(
    kind: str = typer.Argument(..., help=f"One of {', '.join(KINDS)}."),
    area: str = typer.Option(..., help="Province (2 digits), commune (5 digits) or station code."),
    period: str = typer.Option(..., help="2026-11 (month), 2026-Q4 (quarter) or 2026 (year)."),
    out: Path = OUT,
) -> None:
    """Write the report of ``area`` for ``period``: days per VN_AQI category, worst days,
    exceedances per parameter, VN_WQI, data completeness, comparison with the period before."""
    # Imported here: the PDF and chart libraries take ~0.5 s that other commands need not pay.
    from sensors.reports.store import FORMATS, build

    fmt = out.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise InvalidInput(f"--out must end in {' or '.join('.' + f for f in FORMATS)}")
    p = parse(period)
    with transaction() as conn:
        built = build(conn, kind, area, p)
    out.write_bytes(built.pdf if fmt == "pdf" else built.xlsx)
    n = len(built.figures["stations"])
    typer.echo(f"{out}: {kind} report of {area} for {p.label} ({n} stations)")


def schedule() -> None:
    """Store the due monthly and quarterly reports now (the notifier does it on its own)."""
    from sensors.reports.schedule import run_schedule

    with transaction() as conn:
        made = run_schedule(conn)
    typer.echo(f"{len(made)} reports stored")


def register(app: typer.Typer) -> None:
    """Add ``report`` and ``reports-schedule`` to the ``iocgis`` command."""
    app.command("report")(report)
    app.command("reports-schedule")(schedule)
