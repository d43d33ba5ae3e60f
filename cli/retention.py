"""``iocgis observations retain``: drop raw readings older than the months kept."""

from __future__ import annotations

import typer

from gis.db import connect
from sensors.retention import drop_old_partitions


def retain(
    keep_months: int = typer.Option(
        ..., min=1, help="Months of raw readings to keep (the current one included)."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would go, drop nothing."),
) -> None:
    """Drop the monthly partitions of raw readings older than the months kept.

    Hourly means, indices, alerts, completeness and reports are kept.
    """
    with connect() as conn:
        dropped = drop_old_partitions(conn, keep_months, dry_run=dry_run)
    verb = "would drop" if dry_run else "dropped"
    if not dropped:
        typer.echo("nothing to drop")
    for p in dropped:
        typer.echo(f"{verb} {p.name}: {p.start:%Y-%m} ({p.bytes / 1e6:.1f} MB)")


def register(observations_app: typer.Typer) -> None:
    """Add ``retain`` to ``iocgis observations``."""
    observations_app.command("retain")(retain)
