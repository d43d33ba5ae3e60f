"""Ingest benchmark: raw paho limit vs ioc-gis end to end, backlog drain, latency, memory.

    .venv/bin/python bench/bench_ingest.py [--messages 60000] [--stations 100]

Own Mosquitto (project config, free port) and database (on IOC_TEST_SERVER_URL), removed at
the end. One run: raw limit (a paho subscriber process that only parses JSON; same publisher,
same messages) and `iocgis ingest` end to end (publish → committed) at 1 and 10 readings per
message, in --rounds alternating rounds (raw, then ours; the median ratio is the figure, since
two cores shared by the publisher, the broker, PostgreSQL and the subscriber make single runs
scatter); drain of a 300,000-reading backlog; p95 latency; the ingester's peak memory (VmHWM,
both of its processes).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gis import migrate  # noqa: E402
from gis.db import drop_database  # noqa: E402
from sensors import broker as ours  # noqa: E402
from sensors.simulate import Publisher  # noqa: E402
from sensors.stations import StationRecord, register  # noqa: E402
from sensors.transport import parse_mqtt_url  # noqa: E402

PARAMS = ("pm25", "pm10", "no2", "o3", "so2", "co", "temperature", "humidity")


def say(what: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {what}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def raw_subscriber(url: str, expected: int) -> None:
    """Child process: subscribe, json.loads every payload, print the time of the last one."""
    a = parse_mqtt_url(url)
    seen = 0
    done = threading.Event()
    first = [0.0]

    def on_message(_c, _u, m) -> None:
        nonlocal seen
        json.loads(m.payload)
        seen += 1
        if seen == 1:
            first[0] = time.time()
        if seen >= expected:
            done.set()

    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"raw-{uuid.uuid4().hex[:6]}",
                    protocol=mqtt.MQTTv5)
    c.username_pw_set(a.username, a.password)
    c.on_message = on_message
    c.on_connect = lambda cl, *_x: cl.subscribe("stations/+/telemetry", 1)
    c.on_subscribe = lambda *_x: print("READY", flush=True)
    c.connect(a.host, a.port)
    c.loop_start()
    done.wait(600)
    print(json.dumps({"last": time.time(), "first": first[0], "seen": seen}), flush=True)
    c.disconnect()
    c.loop_stop()


def hwm_kb(pid: int) -> int:
    """A process's peak resident memory (VmHWM) in kB."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(ln for ln in status.splitlines() if ln.startswith("VmHWM")).split()[1])


def payloads(codes: list[str], n: int, per_msg: int, start: datetime) -> list[tuple[str, bytes]]:
    """``n`` messages round-robin over stations, each with ``per_msg`` readings."""
    out = []
    for i in range(n):
        code = codes[i % len(codes)]
        t = start + timedelta(minutes=i // len(codes))
        values = {p: round(10 + (i % 97) * 0.5, 1) for p in PARAMS[:per_msg]}
        if per_msg > len(PARAMS):  # ten readings: two timestamps of five
            values = {p: 10.5 for p in PARAMS[:5]}
            body = [{"ts": t.isoformat(), "values": values},
                    {"ts": (t + timedelta(seconds=30)).isoformat(), "values": values}]
        else:
            body = {"ts": t.isoformat(), "values": values}
        out.append((f"stations/{code}/telemetry", json.dumps(body).encode()))
    return out


def drain(stream) -> None:
    """Keep reading a child's log so that it never blocks on a full pipe."""
    stream.read()


class Bench:
    def __init__(self, stations: int, extra: list[str]) -> None:
        self.extra = extra
        self.state = Path(tempfile.mkdtemp(prefix="iocgis-bench-mqtt-"))
        self.port = free_port()
        base = os.environ.get("IOC_TEST_SERVER_URL", "postgresql://postgres@127.0.0.1:5432")
        self.db = f"{base}/iocgis_bench_{os.getpid()}"
        migrate.upgrade(self.db)
        self.streams: dict[str, list[int]] = {}
        with psycopg.connect(self.db) as conn:
            for group in ("raw", "one", "ten", "backlog", "lat"):
                register(conn, [StationRecord(f"B{group}-{i}", f"bench {i}", "air", 106, 10.8,
                                              list(PARAMS)) for i in range(stations)])
            conn.commit()
            for code, ds in conn.execute("SELECT s.code, d.id FROM sensor.stations s JOIN"
                                         " sensor.datastreams d ON d.station_id = s.id"):
                self.streams.setdefault(code.split("-")[0], []).append(ds)
        self.codes = {g: [f"B{g}-{i}" for i in range(stations)]
                      for g in ("raw", "one", "ten", "backlog", "lat")}
        ours.prepare(self.state, self.port, {})
        log = (self.state / "mosquitto.log").open("ab")
        self.broker = subprocess.Popen([ours.mosquitto_binary(), "-c",
                                        str(self.state / "mosquitto.conf")], stdout=log,
                                       stderr=log)
        time.sleep(0.5)
        self.pub = Publisher(self.url("simulator"), f"benchpub-{os.getpid()}")
        self.ingester: subprocess.Popen[bytes] | None = None
        self.peak_kb = 0
        self.counter: psycopg.Connection | None = None

    def url(self, account: str) -> str:
        return ours.url_for(self.state, account, self.port)

    def count(self, group: str, since: datetime) -> int:
        """Readings of a group's stations from ``since`` on (one round's: an index range)."""
        if self.counter is None:  # one connection: a new one per poll costs the run a fork
            self.counter = psycopg.connect(self.db, autocommit=True)
        return self.counter.execute(
            "SELECT count(*) FROM sensor.observations WHERE datastream_id = ANY(%s)"
            " AND phenomenon_time >= %s", [self.streams["B" + group], since]).fetchone()[0]

    def raw(self, msgs: list[tuple[str, bytes]]) -> float:
        child = subprocess.Popen(
            [sys.executable, __file__, "--raw-subscriber", self.url("ingester"),
             "--expected", str(len(msgs))], stdout=subprocess.PIPE, text=True)
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "READY"
        t0 = time.time()
        assert self.pub.publish_all(msgs, timeout=600) == len(msgs)
        result = json.loads(child.stdout.readline())
        child.wait()
        return result["last"] - t0

    def start_ingester(self) -> float:
        env = {**os.environ, "IOC_DATABASE_URL": self.db, "IOC_MQTT_URL": self.url("ingester"),
               "IOC_INGEST_CLIENT_ID": "bench-ingester"}
        t0 = time.time()
        self.ingester = subprocess.Popen(
            [sys.executable, "-c", "from cli.main import main; main()", "ingest",
             "--group", "bench", *self.extra], env=env, cwd=ROOT, stderr=subprocess.PIPE, text=True)
        assert self.ingester.stderr is not None
        for line in self.ingester.stderr:
            if "subscribed to" in line:
                break
        threading.Thread(target=drain, args=(self.ingester.stderr,), daemon=True).start()
        return t0

    def stop_ingester(self, forget: bool = False) -> None:
        """SIGTERM; ``forget`` also ends its session (messages published next are not its)."""
        assert self.ingester is not None
        pid = self.ingester.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        self.peak_kb = max(self.peak_kb, sum(hwm_kb(int(p)) for p in [pid, *children]))
        self.ingester.send_signal(signal.SIGTERM)
        assert self.ingester.wait(60) == 0
        if forget:
            a = parse_mqtt_url(self.url("ingester"))
            c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-ingester",
                            protocol=mqtt.MQTTv5)
            c.username_pw_set(a.username, a.password)
            c.connect(a.host, a.port, clean_start=True)  # session expiry 0: gone at disconnect
            c.loop_start()
            time.sleep(0.2)
            c.disconnect()
            c.loop_stop()

    def wait_count(self, group: str, expected: int, since: datetime,
                   timeout: float = 600) -> float:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.count(group, since) >= expected:
                return time.time()
            time.sleep(0.1)
        raise RuntimeError(f"{group}: {self.count(group, since)} of {expected} after {timeout} s")

    def ours(self, group: str, msgs: list[tuple[str, bytes]], readings: int,
             since: datetime) -> float:
        t0 = time.time()
        assert self.pub.publish_all(msgs, timeout=600) == len(msgs)
        return self.wait_count(group, readings, since) - t0

    def latency(self, rate: float, seconds: float) -> list[float]:
        codes = self.codes["lat"]
        lat: list[float] = []
        with psycopg.connect(self.db, autocommit=True) as listen:
            listen.execute("LISTEN iocgis_stations_changed")
            sent = threading.Thread(target=self._steady, args=(codes, rate, seconds))
            sent.start()
            seen: set[tuple[int, datetime]] = set()
            mark = datetime.now(UTC) - timedelta(seconds=5)
            end = time.time() + seconds + 5
            while time.time() < end:
                # the generator holds the connection: collect first, query after
                if list(listen.notifies(timeout=0.5, stop_after=1)):
                    now = datetime.now(UTC)
                    rows = listen.execute(
                        "SELECT datastream_id, phenomenon_time FROM sensor.observations"
                        " WHERE datastream_id = ANY(%s) AND phenomenon_time > %s",
                        [self.streams["Blat"], mark]).fetchall()
                    for r in rows:
                        if r not in seen:
                            seen.add(r)
                            lat.append((now - r[1]).total_seconds())
                    if rows:  # commits may land out of order by a batch or two
                        mark = max(r[1] for r in rows) - timedelta(seconds=2)
            sent.join()
        return lat

    def _steady(self, codes: list[str], rate: float, seconds: float) -> None:
        n = int(rate * seconds)
        t0 = time.time()
        for i in range(n):
            ahead = t0 + i / rate - time.time()
            if ahead > 0:
                time.sleep(ahead)
            ts = datetime.now(UTC)
            body = {"ts": ts.isoformat(), "values": {"pm25": 12.5}}
            self.pub.client.publish(f"stations/{codes[i % len(codes)]}/telemetry",
                               json.dumps(body).encode(), qos=1)

    def close(self) -> None:
        if self.counter is not None:
            self.counter.close()
        if self.ingester is not None and self.ingester.poll() is None:
            self.ingester.kill()
        self.pub.close()
        self.broker.terminate()
        self.broker.wait()
        drop_database(self.db)
        shutil.rmtree(self.state, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=60_000)
    ap.add_argument("--stations", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--raw-subscriber")
    ap.add_argument("--expected", type=int)
    ap.add_argument("--no-rollups", action="store_true", help="ingester without rollups")
    args = ap.parse_args()
    if args.raw_subscriber:
        raw_subscriber(args.raw_subscriber, args.expected)
        return
    b = Bench(args.stations, ["--no-rollups"] if args.no_rollups else [])
    start = datetime(2026, 1, 1, tzinfo=UTC)
    n1, n10 = args.messages, args.messages // 3
    runs: dict[str, list[tuple[float, float]]] = {"1": [], "10": []}  # (raw, ours) seconds
    try:
        for r in range(args.rounds):
            day = start + timedelta(days=r)  # new readings each round: none is a duplicate
            say(f"round {r + 1}: raw limit, then ioc-gis, at 1 and 10 readings/message")
            raw1 = b.raw(payloads(b.codes["raw"], n1, 1, day))
            raw10 = b.raw(payloads(b.codes["raw"], n10, 10, day + timedelta(days=60)))
            b.start_ingester()
            runs["1"].append((raw1, b.ours("one", payloads(b.codes["one"], n1, 1, day),
                                           n1, day)))  # fmt: skip
            runs["10"].append((raw10, b.ours("ten", payloads(b.codes["ten"], n10, 10, day),
                                             n10 * 10, day)))  # fmt: skip
            b.stop_ingester(forget=r < args.rounds - 1)  # the last session takes the backlog
        say("backlog: 300,000 readings published with the ingester stopped, then drained")
        b.pub.publish_all(payloads(b.codes["backlog"], 30_000, 10, start), timeout=600)
        t0 = b.start_ingester()
        drained = b.wait_count("backlog", 300_000, start) - t0
        say("latency")
        lat = sorted(b.latency(rate=500, seconds=10))
        b.stop_ingester()
    finally:
        b.close()
    p95 = lat[int(0.95 * (len(lat) - 1))] if lat else float("nan")
    print("| measure | readings/s, each round | ratio to raw, each round | median | goal |")
    print("|---|---|---|---|---|")
    for per, n, goal in (("1", n1, ">= 0.8x"), ("10", n10 * 10, ">= 0.8x")):
        pairs = runs[per]
        ratios = [raw / ours for raw, ours in pairs]
        print(f"| raw paho limit, {per} reading(s)/message | "
              f"{' / '.join(f'{n / raw:,.0f}' for raw, _ in pairs)} | | | |")
        print(f"| ioc-gis, {per} reading(s)/message | "
              f"{' / '.join(f'{n / ours:,.0f}' for _, ours in pairs)} | "
              f"{' / '.join(f'{x:.2f}' for x in ratios)} | "
              f"{statistics.median(ratios):.2f}x | {goal} |")
    print(f"| drain a 300,000-reading backlog (from ingester start) | {drained:.1f} s | | |"
          " < 30 s |")
    print(f"| latency publish → committed at 500 msg/s, p95 (median) | {p95 * 1000:.0f} ms "
          f"({statistics.median(lat) * 1000:.0f} ms), n={len(lat)} | | | < 1 s |")
    print(f"| ingester peak memory (VmHWM, both processes) | {b.peak_kb / 1024:.0f} MB | | | "
          "< 200 MB |")


if __name__ == "__main__":
    main()
