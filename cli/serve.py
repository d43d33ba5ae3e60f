"""``iocgis serve``: the map services; ``iocgis layers …``: layer data (planning plan)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.common import print_json

layers_app = typer.Typer(help="Layer data: the planning plan.", no_args_is_help=True)


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            help="Reverse proxies trusted for X-Forwarded-For/-Proto (the audit log's client"
            " address, the same-origin check behind TLS); default: env FORWARDED_ALLOW_IPS,"
            " else 127.0.0.1."
        ),
    ] = None,
) -> None:
    """Serve vector tiles, OGC API Features, rasters, pages and live events over HTTP."""
    import uvicorn

    uvicorn.run(
        "maps.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
    )


@layers_app.command("load-planning")
def load_planning(
    path: Annotated[
        Path | None, typer.Argument(help="Plan file (default: the sample plan).")
    ] = None,
) -> None:
    """Load (upsert) a land-use plan's zones; default: the shipped SYNTHETIC sample plan."""
    from gis.db import connect
    from layers.planning import SAMPLE_PLAN, load_plan

    with connect() as conn:
        zones = load_plan(conn, path or SAMPLE_PLAN)
    print_json({"zones": zones, "file": str((path or SAMPLE_PLAN).name)})
