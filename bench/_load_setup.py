"""The load benchmark's world: a demo-like database, our broker, the ingester, a simulator and
``iocgis serve``, each a process of its own (as scripts/demo.sh runs them)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg

from gis import migrate
from gis.access.keys import add_user
from gis.access.roles import web_url
from gis.admin import load_admin_units
from gis.parcels.importer import import_parcels
from gis.settings import to_libpq_url
from gis.synth import synth_parcels
from layers.planning import load_plan
from sensors import broker as ours
from sensors.stations import import_file

SERVER = os.environ.get("IOC_BENCH_SERVER_URL", "postgresql://postgres@127.0.0.1:5432")
ROOT = Path(__file__).resolve().parent.parent
#: Kept between runs (making it takes a minute or two); ``--drop`` removes it.
LOAD_DB = "iocgis_bench_load"
#: The demo's four Hà Nội communes (Hoàn Kiếm, Ba Đình, Cửa Nam, Hồng Hà) and parcel count.
COMMUNES = ("00070", "00004", "00082", "00097")
PARCELS = 6000
STATIONS_CSV = ROOT / "data" / "stations" / "demo_stations.csv"
IOCGIS = str(Path(sys.executable).with_name("iocgis"))


def load_url() -> str:
    """URL of the benchmark database (owner login)."""
    return f"{SERVER}/{LOAD_DB}"


def drop_load_db() -> None:
    """Drop the benchmark database."""
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {LOAD_DB} WITH (FORCE)")


def _count(url: str, table: str) -> int:
    with psycopg.connect(to_libpq_url(url)) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608


def ensure_load_db() -> str:
    """The demo data (admin units, plan, 6,000 parcels with land users, stations), made once."""
    url = load_url()
    migrate.upgrade(url)
    if not _count(url, "admin.communes"):
        load_admin_units(url)
    if not _count(url, "land.planning_zones"):
        with psycopg.connect(to_libpq_url(url)) as conn:
            load_plan(conn)
    if not _count(url, "land.parcels"):
        with tempfile.TemporaryDirectory() as tmp:
            summary = synth_parcels(Path(tmp) / "parcels.gpkg", PARCELS, communes=COMMUNES,
                                    seed=1, url=url)  # fmt: skip
            for layer in summary.layers:
                import_parcels(summary.path, layer.crs, layer=layer.name, url=url)
    if not _count(url, "sensor.stations"):
        with psycopg.connect(to_libpq_url(url)) as conn:
            import_file(conn, STATIONS_CSV)
    return url


def land_key(url: str) -> str:
    """A fresh API key of a land official (``bench-land-<pid>``) for the audited share."""
    with psycopg.connect(to_libpq_url(url)) as conn:
        key = add_user(conn, f"bench-land-{os.getpid()}", "land", "Land official (bench)")
        conn.commit()
    return key


def free_port() -> int:
    """A free TCP port on the loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class World:
    """The processes of one run; :meth:`stop` ends them all (in reverse order)."""

    url: str
    state: Path
    port_mqtt: int = field(default_factory=free_port)
    port_web: int = field(default_factory=free_port)
    procs: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)

    def _env(self, **extra: str) -> dict[str, str]:
        return {**os.environ, "IOC_DATABASE_URL": self.url, **extra}

    def _start(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = (self.state / f"{name}.log").open("ab")
        proc = subprocess.Popen(args, env=env, cwd=ROOT, stdout=log, stderr=log,
                                stdin=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
        self.procs.append((name, proc))
        return proc

    def mqtt(self, account: str) -> str:
        """``mqtt://`` URL of an account of our broker."""
        return ours.url_for(self.state, account, self.port_mqtt)

    def start_broker(self) -> None:
        """Our Mosquitto (project config, one account per station) on a free port."""
        with psycopg.connect(to_libpq_url(self.url)) as conn:
            streams = ours.station_streams(conn)
        ours.prepare(self.state, self.port_mqtt, streams)
        proc = self._start(
            "mosquitto",
            [ours.mosquitto_binary(), "-c", str(self.state / "mosquitto.conf")],
            dict(os.environ),
        )
        deadline = time.monotonic() + 10
        while not _listening(self.port_mqtt):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("mosquitto did not start: see its log in " + str(self.state))
            time.sleep(0.05)

    def start_ingester(self) -> None:
        """``iocgis ingest`` (it replaces itself with ``python -m sensors``: same pid)."""
        args = [IOCGIS, "ingest", "--client-id", f"iocgis-bench-{os.getpid()}"]
        self._start("ingester", args, self._env(IOC_MQTT_URL=self.mqtt("ingester")))

    def simulate(self, rate: float, seconds: float, step_minutes: int, wait: bool) -> None:
        """``iocgis simulate`` over every station: in the background, or until it is done."""
        args = [IOCGIS, "simulate", "--stations", "11", "--rate", str(rate), "--duration",
                str(seconds), "--step-minutes", str(step_minutes)]  # fmt: skip
        proc = self._start("simulator", args, self._env(IOC_MQTT_URL=self.mqtt("simulator")))
        if wait and proc.wait() != 0:
            raise SystemExit("the simulator failed: see its log in " + str(self.state))

    def start_web(self, workers: int) -> str:
        """``iocgis serve`` logged in as iocgis_web; its base URL once it answers."""
        args = [IOCGIS, "serve", "--port", str(self.port_web), "--workers", str(workers)]
        # As docker-compose runs it: the workers share one tile cache.
        env = self._env(IOC_MQTT_URL=self.mqtt("ingester"), IOC_POOL_WAIT_S="120",
                        IOC_TILE_CACHE_SHARED="true")  # fmt: skip
        env["IOC_DATABASE_URL"] = web_url(self.url)
        proc = self._start("web", args, env)
        base = f"http://127.0.0.1:{self.port_web}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    return base
            except httpx.HTTPError:
                pass
            if proc.poll() is not None:
                break
            time.sleep(0.2)
        raise SystemExit("the web app did not start: see its log in " + str(self.state))

    def forget_last_day(self) -> None:
        """Delete the last day's readings, so the simulator's readings are all new rows (the
        ingester drops a reading it already has, and an earlier run stored the same minutes)."""
        with psycopg.connect(to_libpq_url(self.url)) as conn:
            conn.execute(
                "DELETE FROM sensor.observations WHERE phenomenon_time > now() - interval '1 day'"
            )
            conn.commit()

    def observations(self) -> int:
        """Readings stored so far."""
        return _count(self.url, "sensor.observations")

    def stop(self) -> None:
        """SIGTERM every process we started (newest first), then wait for each."""
        for _name, proc in reversed(self.procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for _name, proc in reversed(self.procs):
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        self.procs.clear()
