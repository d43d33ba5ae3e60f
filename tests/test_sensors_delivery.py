"""Exactly-once ingest through our real Mosquitto: crashes, restarts, duplicates, scale-out.

Every test counts what the publisher got PUBACKs for against what the database holds.
"""

from __future__ import annotations

import json
import os
import random
import signal
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from gis.settings import to_libpq_url
from tests.fixtures.sensors import (
    IngesterProcess,
    ReliablePublisher,
    make_stations,
    rejected,
    stored,
    wait_for,
)

START = datetime(2026, 6, 1, tzinfo=UTC)


def messages(codes: list[str], per_station: int, start: datetime = START) -> list:
    """One message per station and hour, two readings each (pm25, no2)."""
    out = []
    for h in range(per_station):
        t = (start + timedelta(hours=h)).isoformat()
        for code in codes:
            body = {"ts": t, "values": {"pm25": 10 + h % 50, "no2": 20 + h % 7}}
            out.append((f"stations/{code}/telemetry", json.dumps(body).encode()))
    return out


def ingester(database_url, mosquitto, ingesters, client_id=None, *args, group, wait=True):
    # A group per test: a stopped ingester's persistent session stays a member of its
    # shared-subscription group and keeps receiving its share (held for its return).
    ing = IngesterProcess(database_url, mosquitto.url("ingester"),
                          client_id or f"test-{uuid.uuid4().hex[:8]}", "--group", group,
                          *args).start()
    ingesters.append(ing)
    if wait:
        ing.wait_subscribed()
    return ing


def publish(mosquitto, msgs) -> int:
    pub = ReliablePublisher(mosquitto.url("simulator"), f"pub-{uuid.uuid4().hex[:8]}")
    try:
        return pub.publish(msgs)
    finally:
        pub.close()


def in_background(mosquitto, msgs) -> tuple[threading.Thread, list[int]]:
    result: list[int] = []
    th = threading.Thread(target=lambda: result.append(publish(mosquitto, msgs)))
    th.start()
    return th, result


def test_readings_arrive_and_sigterm_flushes(database_url, mosquitto, ingesters, prefix):
    codes = list(make_stations(database_url, prefix, 5))
    ing = ingester(database_url, mosquitto, ingesters, group=prefix)
    msgs = messages(codes, 100)
    assert publish(mosquitto, msgs) == len(msgs)
    assert wait_for(lambda: stored(database_url, prefix) == 2 * len(msgs)), ing.output()
    assert ing.terminate() == 0
    assert "stopped: " in ing.output()
    with psycopg.connect(to_libpq_url(database_url)) as c:
        latest = c.execute(
            "SELECT count(*), min(l.phenomenon_time) FROM sensor.latest_observations l"
            " JOIN sensor.datastreams d ON d.id = l.datastream_id"
            " JOIN sensor.stations s ON s.id = d.station_id WHERE s.code LIKE %s",
            [prefix + "-%"]).fetchone()
    assert latest == (10, START + timedelta(hours=99))


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()[0] == "Z"


@pytest.mark.parametrize("victim", ["mqtt", "store"])
def test_kill_9_mid_stream_then_restart(database_url, mosquitto, ingesters, prefix, victim):
    """Either of the ingester's two processes killed: the other leaves, nothing is lost."""
    codes = list(make_stations(database_url, prefix, 20))
    msgs = messages(codes, 600)  # 12,000 messages, 24,000 readings
    client_id = f"kill-{prefix}"
    ing = ingester(database_url, mosquitto, ingesters, client_id, group=prefix)
    store = ing.store_pid()
    th, published = in_background(mosquitto, msgs)
    assert wait_for(lambda: stored(database_url, prefix) > 3000, timeout=60)
    if victim == "mqtt":
        ing.kill9()
        assert wait_for(lambda: _gone(store), timeout=30)  # no orphan keeps writing
    else:
        os.kill(store, signal.SIGKILL)
        assert ing.proc is not None and ing.proc.wait(timeout=60) == 1
        # seen by the acknowledger (the pipe closed) or by the next hand-over, whichever first
        assert "stopping (unacknowledged messages stay with the broker)" in ing.output()
    at_kill = stored(database_url, prefix)
    # same client id: the same persistent session
    ing2 = ingester(database_url, mosquitto, ingesters, client_id, group=prefix, wait=False)
    th.join(timeout=300)
    assert published == [len(msgs)]
    assert wait_for(lambda: stored(database_url, prefix) == 2 * len(msgs), timeout=120), (
        stored(database_url, prefix), at_kill, ing2.output()[-2000:])
    assert at_kill < 2 * len(msgs)  # the kill really happened mid-stream
    assert rejected(database_url, prefix) == 0
    assert ing2.terminate() == 0


def test_broker_restart_mid_stream(database_url, mosquitto, ingesters, prefix):
    codes = list(make_stations(database_url, prefix, 10))
    msgs = messages(codes, 800)
    # A plain subscription (the default): Mosquitto 2.0.11 does not restore shared ones.
    ing = ingester(database_url, mosquitto, ingesters, group="")
    th, published = in_background(mosquitto, msgs)
    assert wait_for(lambda: stored(database_url, prefix) > 2000, timeout=60)
    mosquitto.restart()
    th.join(timeout=300)
    assert published == [len(msgs)]
    assert wait_for(lambda: stored(database_url, prefix) == 2 * len(msgs), timeout=120), (
        stored(database_url, prefix), ing.output()[-2000:])
    assert ing.alive() and ing.terminate() == 0


def test_redelivered_duplicates_are_stored_once(database_url, mosquitto, ingesters, prefix):
    codes = list(make_stations(database_url, prefix, 3))
    ing = ingester(database_url, mosquitto, ingesters, group=prefix)
    msgs = messages(codes, 50)
    changed = [(t, p.replace(b'"pm25": ', b'"pm25": 1')) for t, p in msgs]  # same times
    assert publish(mosquitto, msgs + msgs + changed) == 3 * len(msgs)
    assert wait_for(lambda: stored(database_url, prefix) == 2 * len(msgs))
    assert ing.terminate() == 0
    assert stored(database_url, prefix) == 2 * len(msgs)
    with psycopg.connect(to_libpq_url(database_url)) as c:
        first = c.execute(
            "SELECT o.result FROM sensor.observations o JOIN sensor.datastreams d"
            " ON d.id = o.datastream_id JOIN sensor.stations s ON s.id = d.station_id"
            " WHERE s.code = %s AND d.property_code = 'pm25' AND o.phenomenon_time = %s",
            [codes[0], START]).fetchone()
    assert first == (10.0,)  # the first arrival, not the changed resend


def test_out_of_order_and_late_readings(database_url, mosquitto, ingesters, prefix):
    code = next(iter(make_stations(database_url, prefix, 1)))
    ing = ingester(database_url, mosquitto, ingesters, group=prefix)
    msgs = messages([code], 200)
    random.Random(3).shuffle(msgs)
    late = messages([code], 24, start=START - timedelta(days=400))  # a year late, older month
    assert publish(mosquitto, msgs) == len(msgs)
    assert publish(mosquitto, late) == len(late)
    assert wait_for(lambda: stored(database_url, prefix) == 2 * (len(msgs) + len(late)))
    assert ing.terminate() == 0
    with psycopg.connect(to_libpq_url(database_url)) as c:
        latest = c.execute(
            "SELECT DISTINCT l.phenomenon_time FROM sensor.latest_observations l"
            " JOIN sensor.datastreams d ON d.id = l.datastream_id"
            " JOIN sensor.stations s ON s.id = d.station_id WHERE s.code = %s", [code]).fetchall()
    assert latest == [(START + timedelta(hours=199),)]


def test_two_ingesters_share_the_load(database_url, mosquitto, ingesters, prefix):
    codes = list(make_stations(database_url, prefix, 10))
    a = ingester(database_url, mosquitto, ingesters, group=prefix)
    b = ingester(database_url, mosquitto, ingesters, group=prefix)
    msgs = messages(codes, 400)
    assert publish(mosquitto, msgs) == len(msgs)
    assert wait_for(lambda: stored(database_url, prefix) == 2 * len(msgs)), a.output()[-1000:]
    assert a.terminate() == 0 and b.terminate() == 0
    counts = [int(i.output().split("stopped: ")[1].split(" messages")[0]) for i in (a, b)]
    assert all(n > 0 for n in counts), counts  # both took a share
    assert sum(counts) >= len(msgs)
    assert stored(database_url, prefix) == 2 * len(msgs)


def test_retiring_a_stopped_member_of_a_shared_group(database_url, mosquitto, ingesters,
                                                      prefix):
    codes = list(make_stations(database_url, prefix, 4))
    a = ingester(database_url, mosquitto, ingesters, group=prefix)
    b = ingester(database_url, mosquitto, ingesters, group=prefix)
    assert b.terminate() == 0
    first = messages(codes, 250)
    assert publish(mosquitto, first) == len(first)
    # b's persistent session still takes its share of the group while b is stopped
    assert wait_for(lambda: stored(database_url, prefix) > 0, timeout=30)
    time.sleep(3)
    assert stored(database_url, prefix) < 2 * len(first)  # b's share waits in its session
    retire = ingester(database_url, mosquitto, ingesters, b.env["IOC_INGEST_CLIENT_ID"],
                      "--retire", group=prefix, wait=False)
    assert retire.proc is not None and retire.proc.wait(timeout=90) == 0, retire.output()
    assert stored(database_url, prefix) == 2 * len(first)
    assert int(retire.output().split("stopped: ")[-1].split(" messages")[0]) > 0
    later = messages(codes, 100, start=START + timedelta(days=30))
    assert publish(mosquitto, later) == len(later)  # all to a: the retired session is gone
    assert wait_for(lambda: stored(database_url, prefix) == 2 * (len(first) + len(later)))
    assert a.terminate() == 0
