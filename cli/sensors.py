"""``iocgis ingest``, ``stations``, ``observations``, ``simulate`` and ``broker``."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from cli import retention

stations_app = typer.Typer(help="Sensor stations.", no_args_is_help=True)
observations_app = typer.Typer(help="Stored sensor readings.", no_args_is_help=True)
broker_app = typer.Typer(help="The project's Mosquitto broker.", no_args_is_help=True)
STATE = Path("var/mosquitto")


def ingest(
    client_id: Annotated[str, typer.Option(
        envvar="IOC_INGEST_CLIENT_ID",
        help="Fixed MQTT client id, one per process (iocgis-...: no station may hold it).")]
    = "iocgis-ingester-1",
    group: Annotated[str, typer.Option(
        help="Shared-subscription group, to spread the load over several ingesters. Empty: a "
             "plain subscription (Mosquitto 2.0.11 restores only those after a restart).")] = "",
    batch: Annotated[int, typer.Option(min=1, max=5000, help="Messages per batch.")] = 1000,
    max_wait: Annotated[float, typer.Option(help="Seconds before a partial batch flushes.")]
    = 0.2,
    rollups: Annotated[bool, typer.Option(help="Run the hourly rollups after commits.")] = True,
    retire: Annotated[bool, typer.Option(
        help="Take this client id out of service: store what its session holds (its share of "
             "a shared group while it was stopped), delete the session, exit.")] = False,
) -> None:
    """Store MQTT readings in PostGIS until SIGTERM (then flush, acknowledge, exit 0)."""
    # Same pid, fresh interpreter: the ingester runs without the other areas' modules. The
    # options are declared here only; sensors/__main__.py receives them checked, as JSON.
    options = {"client_id": client_id, "group": group, "batch_messages": batch,
               "max_wait": max_wait, "rollups": rollups, "retire": retire}  # fmt: skip
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, "-m", "sensors", json.dumps(options)])


@stations_app.command("import")
def stations_import(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]) -> None:
    """Register stations and their datastreams from a CSV or GeoJSON file."""
    from gis.db import connect
    from sensors.stations import import_file

    with connect() as conn:
        s = import_file(conn, file)
    typer.echo(f"{s.stations} stations ({s.created} new), {s.datastreams_added} datastreams "
               f"added, {s.communes_found} communes found from the location")


@observations_app.command("export")
def observations_export(
    station: Annotated[str, typer.Option(help="Station code.")],
    start: Annotated[str, typer.Option("--from", help="ISO 8601 start (included).")],
    end: Annotated[str, typer.Option("--to", help="ISO 8601 end (excluded).")],
    parameter: Annotated[str | None, typer.Option(help="Only this property code.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
) -> None:
    """Write a station's readings to stdout."""
    from gis.db import connect
    from sensors.export import parse_bound, readings, write

    t0, t1 = parse_bound(start, "--from"), parse_bound(end, "--to")
    with connect() as conn:
        write(readings(conn, station, t0, t1, parameter), sys.stdout, fmt)


def simulate(
    stations: Annotated[int, typer.Option(min=1, help="How many registered stations.")] = 10,
    rate: Annotated[float, typer.Option(help="Messages per second, all stations.")] = 20.0,
    duration: Annotated[float, typer.Option(help="Seconds to publish for.")] = 60.0,
    step_minutes: Annotated[int, typer.Option(help="Simulated minutes between readings.")] = 60,
    bad_share: Annotated[float, typer.Option(min=0, max=1, help="Share of bad payloads.")]
    = 0.02,
    replay: Annotated[Path | None, typer.Option(
        help="Replay a HealthyAir HCMC or US Embassy Hanoi CSV instead.")] = None,
    seed: int = 1,
) -> None:
    """Publish readings through the broker (account from IOC_MQTT_URL); waits for PUBACKs."""
    import itertools
    from datetime import timedelta

    from gis.db import connect
    from gis.errors import InvalidInput
    from gis.settings import get_settings
    from sensors import simulate as sim

    if replay is not None:
        hanoi = "hanoi" in replay.name.lower()
        msgs = sim.replay_hanoi(replay) if hanoi else sim.replay_hcmc(replay)
    else:
        with connect() as conn:
            found = sim.load_stations(conn, stations)
        if not found:
            raise InvalidInput("no active station with datastreams: run iocgis stations import")
        per_station = max(1, int(rate * duration / len(found)))
        msgs = sim.synthetic(found, per_station, step=timedelta(minutes=step_minutes),
                             bad_share=bad_share, seed=seed)
    pub = sim.Publisher(get_settings().mqtt_url, f"iocgis-simulator-{seed}")
    try:
        n = pub.publish_all(itertools.islice(msgs, int(rate * duration)), rate=rate)
    finally:
        pub.close()
    typer.echo(f"{n} messages published and acknowledged by the broker")


@broker_app.command("prepare")
def broker_prepare(
    state: Annotated[Path, typer.Option(help="State directory.")] = STATE,
    port: Annotated[int, typer.Option(help="Trusted services' port (never published).")] = 1884,
    bind: Annotated[str, typer.Option(help="Its address (0.0.0.0 in a container).")] = (
        "127.0.0.1"
    ),
    station_port: Annotated[int, typer.Option(
        envvar="IOC_MQTT_STATION_PORT", help="Stations' port (client id = account name).")] = 1885,
    station_bind: Annotated[str, typer.Option(help="Its address (public, for devices).")] = (
        "127.0.0.1"
    ),
    user: Annotated[
        str | None, typer.Option(help="Account mosquitto runs as (default: the current one).")
    ] = None,
    simulator: Annotated[bool, typer.Option(
        help="Keep a simulator account (it may publish as any station: leave it out in"
        " production).")] = True,
) -> None:
    """Write config (two listeners), accounts (ingester, simulator, one per station) and ACL."""
    from gis.db import connect
    from gis.errors import DatabaseUnavailable
    from sensors import broker

    try:
        with connect() as conn:
            streams = broker.station_streams(conn)
    except DatabaseUnavailable:
        streams = {}
    creds = broker.prepare(state, port, streams, bind=bind, user=user,
                           station_port=station_port, station_bind=station_bind,
                           simulator=simulator)
    refused = sorted(c for c in streams if not broker.station_account_allowed(c))
    if refused:
        typer.echo(f"no account for station(s) {', '.join(refused)}: name reserved for the "
                   f"services (ingester, simulator, {broker.SERVICE_PREFIX}...)", err=True)
    typer.echo(f"{len(creds)} accounts, {len(streams)} stations in {state}; services on port "
               f"{port}, stations on port {station_port}")


@broker_app.command("start")
def broker_start(
    state: Annotated[Path, typer.Option(help="State directory.")] = STATE,
    port: Annotated[int, typer.Option(help="Listening port.")] = 1884,
) -> None:
    """Start the broker in the background, or reload a running one."""
    from sensors import broker

    pid, started = broker.start(state, port)
    typer.echo(f"mosquitto {'started' if started else 'reloaded'} (pid {pid}, port {port})")


@broker_app.command("stop")
def broker_stop(state: Annotated[Path, typer.Option(help="State directory.")] = STATE) -> None:
    """Stop the broker (it saves sessions and queues first)."""
    from sensors import broker

    typer.echo("stopped" if broker.stop(state) else "not running")


@broker_app.command("url")
def broker_url(
    account: Annotated[str, typer.Argument(help="ingester, simulator or a station code.")],
    state: Annotated[Path, typer.Option(help="State directory.")] = STATE,
    port: Annotated[int | None, typer.Option(
        help="Port (default: the account's listener, services' or stations').")] = None,
    host: Annotated[str, typer.Option(help="Broker host name.")] = "127.0.0.1",
) -> None:
    """Print the mqtt:// URL (with password) of an account, for IOC_MQTT_URL."""
    from sensors import broker

    typer.echo(broker.url_for(state, account, port, host))


def register(app: typer.Typer) -> None:
    """Add the sensor commands to the main ``iocgis`` app."""
    app.command("ingest")(ingest)
    app.command("simulate")(simulate)
    app.add_typer(stations_app, name="stations")
    retention.register(observations_app)  # observations retain
    app.add_typer(observations_app, name="observations")
    app.add_typer(broker_app, name="broker")

