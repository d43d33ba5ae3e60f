"""Station files benchmark: the same readings through FTP files and through MQTT, one run.

    .venv/bin/python bench/bench_ftp.py [--stations 200] [--cycles 10]

Own database (on IOC_TEST_SERVER_URL), Mosquitto (project config, free port) and FTP receiver
(`iocgis ftp serve`, free port), removed at the end. Each of ``--stations`` stations sends
``--cycles`` cycles of 8 parameters: once as Circular 10/2021 files uploaded by FTP (one login
per file, as dataloggers do), once as MQTT telemetry messages (one per station and cycle)
through `iocgis ingest`. Reported: files/s and readings/s from the first upload to the last
commit, the same for MQTT, and the receiver's CPU seconds per file, from which the share of
one core that 1,000 stations sending a file every 5 minutes (3.3 files/s) would take.
"""

from __future__ import annotations

import argparse
import ftplib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gis import migrate  # noqa: E402
from gis.db import drop_database  # noqa: E402
from sensors import broker as ours  # noqa: E402
from sensors.files.format import render  # noqa: E402
from sensors.files.names import file_name  # noqa: E402
from sensors.ftp.accounts import set_account  # noqa: E402
from sensors.ftp.datalogger import FileLine  # noqa: E402
from sensors.simulate import Publisher  # noqa: E402
from sensors.stations import StationRecord, register  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from bench_ingest import free_port, say  # noqa: E402

PARAMS = ("pm25", "pm10", "no2", "o3", "so2", "co", "temperature", "humidity")
SYMBOLS = {"pm25": ("PM2,5", "µg/Nm3"), "pm10": ("PM10", "µg/Nm3"), "no2": ("NO2", "ppb"),
           "o3": ("O3", "ppb"), "so2": ("SO2", "ppb"), "co": ("CO", "ppm"),
           "temperature": ("Temp", "°C"), "humidity": ("RH", "%")}
VALUES = {"pm25": 35.0, "pm10": 60.0, "no2": 20.0, "o3": 30.0, "so2": 5.0, "co": 1.0,
          "temperature": 28.0, "humidity": 75.0}
MQTT_VALUES = {"pm25": 35.0, "pm10": 60.0, "no2": 37.6, "o3": 58.9, "so2": 13.1, "co": 1145.0,
               "temperature": 28.0, "humidity": 75.0}  # the same readings in our units


def wait_port(port: int) -> None:
    import socket

    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing on port {port}")


class Bench:
    def __init__(self, stations: int, cycles: int) -> None:
        base = os.environ.get("IOC_TEST_SERVER_URL", "postgresql://postgres@127.0.0.1:5432")
        self.db = f"{base}/iocgis_bench_ftp_{os.getpid()}"
        self.tmp = Path(tempfile.mkdtemp(prefix="iocgis-bench-ftp-"))
        self.cycles = cycles
        migrate.upgrade(self.db)
        self.codes = {g: [f"B{g}-{i}" for i in range(stations)] for g in ("ftp", "mqtt")}
        with psycopg.connect(self.db) as conn:
            for codes in self.codes.values():
                register(conn, [StationRecord(c, c, "air", 106, 10.8, list(PARAMS))
                                for c in codes])
            self.passwords = {c: set_account(conn, c) for c in self.codes["ftp"]}
            conn.commit()
        self.start = (datetime.now(UTC) - timedelta(minutes=5 * cycles + 10)).replace(
            microsecond=0)
        self.procs: list[subprocess.Popen[bytes]] = []
        self.pg: dict[str, float] = {}
        self.first_cycle = 0.0

    def env(self, **extra: str) -> dict[str, str]:
        return {**os.environ, "IOC_DATABASE_URL": self.db, **extra}

    def backend_cpu(self) -> dict[int, float]:
        """CPU seconds of each of this database's PostgreSQL backends (by pid)."""
        with psycopg.connect(self.db) as c:
            pids = [r[0] for r in c.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid()")]
        out = {}
        for pid in pids:
            try:
                t = psutil.Process(pid).cpu_times()
                out[pid] = t.user + t.system
            except psutil.Error:
                pass
        return out

    def backend_delta(self, before: dict[int, float]) -> float:
        """CPU used since ``before`` by the backends alive now (connections opened since too)."""
        return sum(cpu - before.get(pid, 0.0) for pid, cpu in self.backend_cpu().items())

    def count(self, group: str) -> int:
        with psycopg.connect(self.db) as c:
            return c.execute("SELECT count(*) FROM sensor.observations o JOIN sensor.datastreams"
                             " d ON d.id = o.datastream_id JOIN sensor.stations s ON s.id ="
                             " d.station_id WHERE s.code LIKE %s", [f"B{group}-%"]).fetchone()[0]

    def wait(self, group: str, n: int) -> float:
        while self.count(group) < n:
            time.sleep(0.05)
        return time.time()

    def child(self, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = (self.tmp / f"{len(self.procs)}.log").open("ab")
        p = subprocess.Popen(args, env=env, cwd=ROOT, stdout=log, stderr=log)
        self.procs.append(p)
        return p

    def ftp(self, clients: int) -> tuple[float, float, int]:
        port = free_port()
        rx = self.child([str(Path(sys.executable).with_name("iocgis")), "ftp", "serve",
                         "--port", str(port), "--root", str(self.tmp / "ftp")], self.env())
        wait_port(port)
        jobs = []
        for i in range(self.cycles):
            t = self.start + timedelta(minutes=5 * i)
            for code in self.codes["ftp"]:
                lines = [FileLine(SYMBOLS[p][0], VALUES[p], SYMBOLS[p][1], t, "00")
                         for p in PARAMS]
                jobs.append((code, file_name("HN", "BENCH", code, t), render(lines)))

        def send(job: tuple[str, str, bytes]) -> None:
            code, name, data = job
            f = ftplib.FTP()
            f.connect("127.0.0.1", port, timeout=60)
            f.login(code, self.passwords[code])
            f.storbinary(f"STOR {name}", io.BytesIO(data))
            f.quit()

        # Warm-up: each station's first login costs one scrypt check (then cached), and the
        # MQTT side is measured with its connections open too; the first cycle is not timed.
        warm = len(self.codes["ftp"])
        c0 = psutil.Process(rx.pid).cpu_times()
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(send, jobs[:warm]))
        self.wait("ftp", warm * len(PARAMS))
        c1 = psutil.Process(rx.pid).cpu_times()
        self.first_cycle = (c1.user - c0.user + c1.system - c0.system) / warm
        jobs = jobs[warm:]
        cpu0 = psutil.Process(rx.pid).cpu_times()
        pg0 = self.backend_cpu()
        t0 = time.time()
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(send, jobs))
        t1 = self.wait("ftp", (len(jobs) + warm) * len(PARAMS))
        cpu1 = psutil.Process(rx.pid).cpu_times()
        self.pg["ftp"] = self.backend_delta(pg0)
        rx.send_signal(signal.SIGTERM)
        rx.wait(30)
        cpu = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
        return t1 - t0, cpu, len(jobs)

    def mqtt(self) -> tuple[float, float, int]:
        state, port = self.tmp / "mqtt", free_port()
        ours.prepare(state, port, {})
        self.child([ours.mosquitto_binary(), "-c", str(state / "mosquitto.conf")], self.env())
        wait_port(port)
        ing = self.child([sys.executable, "-c", "from cli.main import main; main()", "ingest"],
                         self.env(IOC_MQTT_URL=ours.url_for(state, "ingester", port),
                                  IOC_INGEST_CLIENT_ID="iocgis-bench-ingester"))
        log = Path(self.tmp / f"{len(self.procs) - 1}.log")
        deadline = time.time() + 120
        while "subscribed to" not in log.read_text() and time.time() < deadline:
            time.sleep(0.2)  # messages published before the first subscription are not kept
        msgs = []
        for i in range(self.cycles):
            t = self.start + timedelta(minutes=5 * i)
            for code in self.codes["mqtt"]:
                body = {"ts": t.isoformat(), "values": MQTT_VALUES}
                msgs.append((f"stations/{code}/telemetry", json.dumps(body).encode()))
        pub = Publisher(ours.url_for(state, "simulator", port), f"iocgis-benchpub-{os.getpid()}")
        cpu0 = psutil.Process(ing.pid).cpu_times()
        pg0 = self.backend_cpu()
        t0 = time.time()
        assert pub.publish_all(msgs, timeout=600) == len(msgs)
        t1 = self.wait("mqtt", len(msgs) * len(PARAMS))
        cpu1 = psutil.Process(ing.pid).cpu_times()
        self.pg["mqtt"] = self.backend_delta(pg0)
        pub.close()
        cpu = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
        return t1 - t0, cpu, len(msgs)

    def close(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(20)
                except subprocess.TimeoutExpired:
                    p.kill()
        drop_database(self.db)
        shutil.rmtree(self.tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--stations", type=int, default=200)
    ap.add_argument("--cycles", type=int, default=10, help="files per station (first: warm-up)")
    ap.add_argument("--clients", type=int, default=8, help="concurrent FTP uploaders")
    args = ap.parse_args()
    b = Bench(args.stations, args.cycles)
    try:
        say(f"FTP: {args.stations} stations × {args.cycles} files, {len(PARAMS)} readings each")
        f_s, f_cpu, files = b.ftp(args.clients)
        say("MQTT: the same readings, one message per station and cycle")
        m_s, m_cpu, msgs = b.mqtt()
    finally:
        b.close()
    n = files * len(PARAMS)
    per_file = (f_cpu + b.pg["ftp"]) / files
    rows = [
        ("FTP files → PostGIS", f"{files / f_s:.1f} files/s", f"{n / f_s:.0f} readings/s",
         f"{f_cpu:.1f} s CPU + PostgreSQL {b.pg['ftp']:.1f} s"),
        ("MQTT messages → PostGIS", f"{msgs / m_s:.1f} msgs/s",
         f"{msgs * len(PARAMS) / m_s:.0f} readings/s",
         f"{m_cpu:.1f} s CPU + PostgreSQL {b.pg['mqtt']:.1f} s"),
    ]
    for r in rows:
        print(" | ".join(r))
    print(f"FTP/MQTT readings/s ratio: {(n / f_s) / (msgs * len(PARAMS) / m_s):.2f}")
    print(f"first file of each station after a start (login's scrypt check included):"
          f" {b.first_cycle * 1000:.0f} ms receiver CPU")
    share = per_file * 1000 / 300 * 100  # 1,000 files every 300 s
    print(f"receiver + PostgreSQL CPU per file: {per_file * 1000:.1f} ms; 1,000 stations ×"
          f" 5-minute files (3.33 files/s): {share:.1f} % of one core")


if __name__ == "__main__":
    threading.stack_size(1 << 20)
    main()
