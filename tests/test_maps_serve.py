"""The CLI (``iocgis serve``, ``iocgis layers load-planning``) and query cancellation."""

from __future__ import annotations

import asyncio
import json
import time

import psycopg
import pytest
from typer.testing import CliRunner

from cli.main import app
from gis.settings import to_libpq_url
from maps.deps import cancel_on_disconnect


def test_serve_command_is_registered():
    r = CliRunner().invoke(app, ["serve", "--help"])
    assert r.exit_code == 0
    assert "--host" in r.output and "--port" in r.output


def test_load_planning_command(database_url, admin_loaded, conn):
    r = CliRunner().invoke(app, ["layers", "load-planning"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["zones"] == 675
    (n,) = conn.execute("SELECT count(*) FROM land.planning_zones WHERE synthetic").fetchone()
    assert n == 675  # loading twice upserts: no duplicates


class GoneClient:
    """The one method of a Starlette request that cancel_on_disconnect uses: client gone."""

    async def is_disconnected(self) -> bool:
        return True


def test_query_is_cancelled_when_the_client_goes_away(database_url):
    async def run() -> float:
        url = to_libpq_url(database_url)
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            t = time.monotonic()
            with pytest.raises(asyncio.CancelledError):
                await cancel_on_disconnect(
                    GoneClient(),
                    conn,
                    conn.execute("SELECT pg_sleep(30)"),  # type: ignore[arg-type]
                )
            elapsed = time.monotonic() - t
            await conn.execute("SELECT 1")  # the connection is usable: only the query died
            return elapsed

    assert asyncio.run(run()) < 5
