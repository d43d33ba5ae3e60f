"""Benchmark: alerts → e-mails through a real local SMTP server (aiosmtpd), and the length of
the one window in which a crash would send a message twice (server accepted → "sent" committed).

    .venv/bin/python bench/bench_notify.py [--alerts 300]

On a scratch database: ``--alerts`` exceedances of distinct stations are inserted (each in its
own transaction, as the rollup job writes them), the planner turns the outbox into deliveries,
the sender sends them one by one. Reported: planning time, deliveries per second, and the
accepted → committed window per delivery (p50, p95, max): from the moment the SMTP server
answers 250 to the moment ``send_one`` returns with the commit done (an upper bound: it also
holds the client's reading of the 250).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from aiosmtpd.controller import Controller

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import scratch_database
from gis.settings import get_settings, to_libpq_url
from sensors.notify.config import NotifySettings
from sensors.notify.planner import plan
from sensors.notify.sender import send_one
from sensors.stations import StationRecord, register


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Box:
    """Records when the server accepted each message."""

    def __init__(self) -> None:
        self.accepted: list[float] = []

    async def handle_DATA(self, _server: Any, _session: Any, _envelope: Any) -> str:
        self.accepted.append(time.perf_counter())
        return "250 OK"


def main() -> None:
    """Run the benchmark and print its figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--alerts", type=int, default=300)
    args = ap.parse_args()
    box = Box()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    with scratch_database() as url:
        os.environ["IOC_SMTP_URL"] = f"smtp://127.0.0.1:{port}"
        get_settings.cache_clear()
        cfg = NotifySettings(user_per_hour=10**6, station_per_hour=10**6)
        with psycopg.connect(to_libpq_url(url)) as c:
            codes = [f"BN-{i}" for i in range(args.alerts)]
            register(c, [StationRecord(k, k, "air", 105.8, 21.0, ["no2"]) for k in codes])
            c.execute("INSERT INTO notify.subscriptions (subscriber, channel, address, kind,"
                      " area) SELECT 'bench', 'email', 'b@example.vn', 'exceedance', code"
                      " FROM sensor.stations")
            c.commit()
            t = datetime(2026, 11, 3, 2, tzinfo=UTC)
            for sid, ds in c.execute("SELECT station_id, id FROM sensor.datastreams").fetchall():
                with c.transaction():
                    c.execute(
                        "INSERT INTO sensor.alerts (station_id, datastream_id, parameter, period,"
                        " value, limit_value, standard, start_time, end_time) VALUES (%s, %s,"
                        " 'no2', '1h', 250, 200, 'QCVN 05:2023/BTNMT', %s, %s + interval '1h')",
                        [sid, ds, t, t])
            t0 = time.perf_counter()
            planned = plan(c, cfg)
            t1 = time.perf_counter()
            windows = []
            while True:
                before = len(box.accepted)
                if not send_one(c, cfg):
                    break
                done = time.perf_counter()
                if len(box.accepted) > before:
                    windows.append(done - box.accepted[-1])
            t2 = time.perf_counter()
    controller.stop()
    windows.sort()
    ms = [w * 1000 for w in windows]
    print(f"alerts {args.alerts}: planned {planned} deliveries in {t1 - t0:.2f} s;"
          f" sent {len(windows)} in {t2 - t1:.2f} s ({len(windows) / (t2 - t1):.0f}/s)")
    print(f"accepted → committed window: p50 {statistics.median(ms):.2f} ms,"
          f" p95 {ms[int(0.95 * (len(ms) - 1))]:.2f} ms, max {ms[-1]:.2f} ms")


if __name__ == "__main__":
    main()
