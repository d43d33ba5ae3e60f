"""Entry point of the ``iocgis`` command: assembles each area's sub-commands."""

from __future__ import annotations

import sys

import typer

from cli import admin, data, db, indices, parcels, sensors, serve, users
from cli import facilities as facilities_cli
from cli import ftp as ftp_cli
from cli import notify as notify_cli
from cli import report as report_cli
from cli.common import run_app

app = typer.Typer(
    name="iocgis",
    help="ioc-gis: land and environment monitoring for a provincial IOC.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db.app, name="db")
app.add_typer(admin.app, name="admin")
app.add_typer(parcels.app, name="parcels")
app.add_typer(data.app, name="data")
app.command("serve")(serve.serve)
app.add_typer(serve.layers_app, name="layers")
sensors.register(app)  # ingest, simulate, stations, observations, broker
indices.register(app)  # aqi, wqi
users.register(app)  # users, audit
ftp_cli.register(app)  # ftp, relay, datalogger
facilities_cli.register(app)  # facilities, stations completeness
app.add_typer(notify_cli.app, name="notify")
report_cli.register(app)  # report, reports-schedule


def main() -> None:
    """Run the CLI with domain errors shown as one clear line."""
    sys.exit(run_app(app))
