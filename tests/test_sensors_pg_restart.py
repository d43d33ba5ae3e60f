"""PostgreSQL restarting mid-stream: the ingester stops acknowledging, retries, loses nothing.

Runs on a throw-away PostgreSQL cluster of its own (initdb + pg_ctl on a free port): the shared
server is never restarted.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from gis import migrate
from gis.db import close_pools
from tests.fixtures.broker import free_port
from tests.fixtures.sensors import (
    IngesterProcess,
    ReliablePublisher,
    make_stations,
    stored,
    wait_for,
)
from tests.test_sensors_delivery import messages

PG_BIN = Path("/usr/lib/postgresql/15/bin")


class Cluster:
    """A private PostgreSQL cluster (data directory in /tmp, removed at the end)."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="iocgis-pg-"))
        self.port = free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:  # initdb refuses root: run the cluster as postgres
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.data = self.dir / "data"
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run([*self.as_user, str(PG_BIN / tool), *args], check=True,
                       capture_output=True, timeout=120)

    def start(self) -> None:
        """Start and wait until it accepts connections."""
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", opts, "-l", str(self.dir / "log"),
                  "-w", "start")

    def stop(self) -> None:
        """Fast shutdown: open connections are cut, as in a real outage."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def url(self, db: str) -> str:
        """URL of a database of this cluster."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{db}"

    def remove(self) -> None:
        """Stop (if running) and delete everything."""
        subprocess.run([*self.as_user, str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m",
                        "immediate", "stop"], capture_output=True, check=False)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def private_pg() -> Iterator[Cluster]:
    if not (PG_BIN / "initdb").exists():
        pytest.fail("PostgreSQL 15 server binaries are required for this test")
    cluster = Cluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


def test_postgresql_restart_mid_stream(private_pg, mosquitto, ingesters, prefix):
    url = private_pg.url("iocgis_pgrestart")
    migrate.upgrade(url)
    close_pools()
    codes = list(make_stations(url, prefix, 10))
    msgs = messages(codes, 1000)  # 10,000 messages, 20,000 readings
    ing = IngesterProcess(url, mosquitto.url("ingester"), f"pg-{uuid.uuid4().hex[:8]}",
                          "--group", prefix).start()
    ingesters.append(ing)
    ing.wait_subscribed()
    published: list[int] = []
    pub = ReliablePublisher(mosquitto.url("simulator"), f"pub-{prefix}")
    th = threading.Thread(target=lambda: published.append(pub.publish(msgs, timeout=300)))
    th.start()
    assert wait_for(lambda: stored(url, prefix) > 2000, timeout=60)
    private_pg.stop()
    time.sleep(3)  # publishing goes on; the broker holds what the ingester cannot commit
    private_pg.start()
    th.join(timeout=300)
    pub.close()
    assert published == [len(msgs)]
    assert wait_for(lambda: stored(url, prefix) == 2 * len(msgs), timeout=120), (
        stored(url, prefix), ing.output()[-3000:])
    assert "retrying" in ing.output()  # it did meet the outage
    assert ing.alive() and ing.terminate() == 0
