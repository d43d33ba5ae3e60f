"""``iocgis ftp`` (receiver, accounts, status), ``iocgis relay`` and ``iocgis datalogger``."""

from __future__ import annotations

import logging
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from cli.common import print_json

ftp_app = typer.Typer(help="Station files over FTP (Circular 10/2021).", no_args_is_help=True)
relay_app = typer.Typer(help="Relay of station files to an upstream FTP server.",
                        invoke_without_command=True)
datalogger_app = typer.Typer(help="Datalogger simulator (station files over FTP).",
                             no_args_is_help=True)


def _logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")


@ftp_app.command("serve")
def serve(
    host: Annotated[str | None, typer.Option(help="Address (IOC_FTP_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Control port (IOC_FTP_PORT).")] = None,
    passive_ports: Annotated[str | None, typer.Option(
        help="Passive data ports A-B (IOC_FTP_PASSIVE_PORTS).")] = None,
    root: Annotated[Path | None, typer.Option(help="Folder of the accounts (IOC_FTP_ROOT).")]
    = None,
) -> None:
    """Receive station files until SIGTERM; files that arrived before a stop are processed first."""
    from sensors.ftp.server import build_server
    from sensors.ftp.settings import ftp_settings, relay_settings

    _logging()
    changes: dict[str, Any] = {k: v for k, v in (("host", host), ("port", port),
                               ("passive_ports", passive_ports), ("root", root)) if v is not None}
    if passive_ports is not None:
        from gis.errors import InvalidInput
        from sensors.ftp.settings import parse_port_range

        try:
            parse_port_range(passive_ports)
        except ValueError as exc:
            raise InvalidInput(f"--passive-ports: {exc}") from None
    settings = ftp_settings().model_copy(update=changes)
    server, worker = build_server(settings, relay_settings())
    address = server.socket.getsockname()
    typer.echo(f"ftp receiver on {address[0]}:{address[1]}, files in {settings.root}", err=True)
    def stop(*_: object) -> None:
        raise SystemExit(0)  # serve_forever(handle_exit=True) then closes every connection

    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever(handle_exit=True)
    finally:
        worker.stopping.set()
        worker.files.put(None)
        worker.join(10)


@ftp_app.command("account")
def account(
    code: Annotated[str, typer.Argument(help="Station or facility point code (= user name).")],
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Create or rotate the FTP account of a station; prints its password once."""
    from gis.db import connect
    from sensors.ftp.accounts import set_account

    with connect() as conn:
        password = set_account(conn, code)
    if json_out:
        print_json({"user": code, "password": password})
    else:
        typer.echo(f"user {code} password {password}")


@ftp_app.command("alias")
def alias(
    alias_code: Annotated[str, typer.Argument(metavar="ALIAS", help="Code a file may carry.")],
    code: Annotated[str, typer.Argument(help="The station it stands for.")],
) -> None:
    """Declare another station code that a station's file names may carry."""
    from gis.db import connect
    from sensors.ftp.accounts import add_alias

    with connect() as conn:
        add_alias(conn, alias_code, code)
    typer.echo(f"{alias_code} → {code}")


@ftp_app.command("status")
def status(
    state: Annotated[str | None, typer.Option(
        help="received, done, duplicate or rejected.")] = None,
    account_code: Annotated[str | None, typer.Option("--account")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10000)] = 20,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Files received, done, duplicate and rejected (counts, then the newest files)."""
    from gis.db import connect
    from sensors.ftp import ledger
    from sensors.ftp.receiver import pending_files
    from sensors.ftp.settings import ftp_settings

    with connect() as conn:
        counts = ledger.counts(conn)
        rows = ledger.listing(conn, state, account_code, limit)
    # arrived but not yet processed (the receiver is busy or stopped): on disk, not in the ledger
    counts["waiting on disk"] = sum(1 for _ in pending_files(ftp_settings().root))
    if json_out:
        print_json({"counts": counts, "files": rows})
        return
    typer.echo(", ".join(f"{k}: {v}" for k, v in counts.items()))
    for r in rows:
        what = r["reason"] or (f"{r['stored']} stored, {r['rejected_lines']} lines rejected"
                               if r["state"] == "done" else "")
        typer.echo(f"{r['id']}\t{r['state']}\t{r['account']}/{r['path']}\t{what}")


@relay_app.callback()
def relay(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option(help="Send what is queued, then exit.")] = False,
) -> None:
    """Forward received files unchanged to IOC_RELAY_URL until SIGTERM."""
    if ctx.invoked_subcommand is not None:
        return
    from gis.errors import ConfigurationError
    from sensors.ftp.relay import Relay
    from sensors.ftp.settings import relay_settings

    _logging()
    settings = relay_settings()
    if not settings.enabled:
        raise ConfigurationError("IOC_RELAY_URL is not set: no upstream to relay to")
    r = Relay(settings)
    signal.signal(signal.SIGTERM, lambda *_: r.stopping.set())
    r.run(once=once)
    typer.echo(f"{r.sent} files sent, {r.skipped} already upstream", err=True)


@relay_app.command("produce")
def produce(
    station_code: Annotated[str, typer.Option("--station", help="Station code.")],
    hours: Annotated[float, typer.Option(help="Readings of the last N hours.")] = 1.0,
    province: Annotated[str, typer.Option(help="<Tinh> code of the file names.")] = "HN",
    facility: Annotated[str, typer.Option(help="<CoSo> code of the file names.")] = "IOC",
) -> None:
    """Write station files for readings that came over MQTT into the relay's queue."""
    from gis.db import connect
    from sensors.ftp.produce import produce_files
    from sensors.ftp.settings import relay_settings

    now = datetime.now(UTC)
    with connect() as conn:
        n = produce_files(conn, station_code, now - timedelta(hours=hours), now,
                          relay_settings().queue, province, facility)
    typer.echo(f"{n} files queued for the relay")


@datalogger_app.command("simulate")
def simulate(
    url: Annotated[str, typer.Option(help="ftp://CODE:PASSWORD@host:port of the receiver.")],
    station_code: Annotated[str | None, typer.Option(
        "--station", help="Station code (default: the URL's user).")] = None,
    files: Annotated[int, typer.Option(min=1, help="Cycles (files) to send.")] = 12,
    step_minutes: Annotated[int, typer.Option(min=1, help="Minutes between cycles.")] = 5,
    late_days: Annotated[float, typer.Option(
        min=0, max=60, help="Start this many days back (a datalogger's backfill).")] = 0.0,
    bad_share: Annotated[float, typer.Option(min=0, max=1)] = 0.0,
    resend_share: Annotated[float, typer.Option(min=0, max=1)] = 0.0,
    seed: int = 1,
) -> None:
    """Upload a station's files (good, late, re-sent and broken ones) to an FTP receiver."""
    from urllib.parse import unquote, urlsplit

    from gis.db import connect
    from gis.errors import NotFound
    from sensors.ftp import datalogger as dl

    code = station_code or unquote(urlsplit(url).username or "")
    with connect() as conn:
        st = dl.station(conn, code)
    if st is None:
        raise NotFound(f"no station {code!r} with datastreams")
    now = datetime.now(UTC)
    step = timedelta(minutes=step_minutes)
    start = now - timedelta(days=late_days) if late_days else None
    plan = dl.Plan(files, start, step, bad_share, resend_share, seed=seed)
    up = dl.Uploader(url)
    sent = 0
    try:
        for name, data in dl.files(st, plan, now):
            up.upload(name, data)
            sent += 1
    finally:
        up.close()
    typer.echo(f"{sent} files uploaded for {code}")


def register(app: typer.Typer) -> None:
    """Add the station-file commands to the main ``iocgis`` app."""
    app.add_typer(ftp_app, name="ftp")
    app.add_typer(relay_app, name="relay")
    app.add_typer(datalogger_app, name="datalogger")
