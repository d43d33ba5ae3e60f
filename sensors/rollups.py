"""Rollup job: recompute what the (datastream, hour) pairs in ``sensor.pending_rollups`` touch.

The ingester records touched pairs in the same transaction as the readings and calls
:func:`process_pending` after its commits. Each batch of pairs is claimed, recomputed and
removed in one transaction: hourly and daily statistics per datastream, the hourly AQI of the
hour and of the 11 NowCast hours it feeds, the daily AQI of its day (and of the day its rolling
8 h O3 window reaches), the WQI of water stations, exceedance alerts (facility points' by
their own limits), completeness per station and day, and station states; the periodic sweep
also opens or extends interruption alerts. A late reading therefore leaves no stale value
behind.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime

import psycopg

from gis.db import connect
from sensors import alerts, completeness, states
from sensors.facilities import exceedances, interruptions
from sensors.indices import store, store_wqi

log = logging.getLogger(__name__)

ROLLUP_INTERVAL = 1.0  # s, at least, between two runs of the Rollups thread
#: The share of the time the Rollups thread may spend running: each run recomputes every
#: reading of the hours it touches, so under a backlog a run every second took half of the
#: database's time from the commits (bench/bench_ingest.py, 1,000 datastreams: ~0.7 s runs);
#: fewer, larger runs do the same recomputation once per pair.
ROLLUP_DUTY = 0.25
#: Pending pairs handled per transaction.
BATCH = 20000
#: One rollup worker at a time (several ingesters may call process_pending).
LOCK_KEY = "iocgis rollups"
#: How long a worker waits for another to finish before giving up (it is called again).
LOCK_WAIT = "30s"
#: Every station's state (offline ones too) is re-judged at most this often.
STATE_SWEEP_SECONDS = 60.0
_last_sweep = {"at": float("-inf")}
#: Readings with such a quality flag are left out of the statistics (case-insensitive regex).
EXCLUDED_QUALITY = r"^(cal|invalid|bad|fault|error|maint)"

_CLAIM = """
CREATE TEMP TABLE IF NOT EXISTS touched (datastream_id integer, hour timestamptz)
    ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS touched_days (datastream_id integer, day date)
    ON COMMIT DELETE ROWS;
"""
# Exact rows, by ctid: a pair may be pending twice (migration 0018), and a copy that an ingest
# transaction holds locked must stay for the next run. Each pair is recomputed once.
_TAKE = """
WITH c AS (
    DELETE FROM sensor.pending_rollups
    WHERE ctid = ANY (ARRAY(SELECT ctid FROM sensor.pending_rollups
                            ORDER BY datastream_id, hour LIMIT %(limit)s
                            FOR UPDATE SKIP LOCKED))
    RETURNING datastream_id, hour
)
INSERT INTO touched SELECT DISTINCT c.datastream_id, c.hour FROM c
    JOIN sensor.datastreams d ON d.id = c.datastream_id
"""
_HOURLY = """
INSERT INTO sensor.hourly (datastream_id, hour, mean, min, max, count, coverage)
SELECT t.datastream_id, t.hour, avg(o.result), min(o.result), max(o.result), count(*),
       least(1.0, count(*)::real / d.expected_per_hour)
FROM touched t
JOIN sensor.datastreams d ON d.id = t.datastream_id
JOIN sensor.observations o ON o.datastream_id = t.datastream_id
     AND o.phenomenon_time >= t.hour AND o.phenomenon_time < t.hour + interval '1 hour'
WHERE o.quality IS NULL OR o.quality !~* %(excluded)s
GROUP BY t.datastream_id, t.hour, d.expected_per_hour
ON CONFLICT (datastream_id, hour) DO UPDATE SET mean = EXCLUDED.mean, min = EXCLUDED.min,
    max = EXCLUDED.max, count = EXCLUDED.count, coverage = EXCLUDED.coverage
"""
_HOURLY_GONE = """
DELETE FROM sensor.hourly h USING touched t
WHERE h.datastream_id = t.datastream_id AND h.hour = t.hour
  AND NOT EXISTS (SELECT 1 FROM sensor.observations o
                  WHERE o.datastream_id = t.datastream_id AND o.phenomenon_time >= t.hour
                    AND o.phenomenon_time < t.hour + interval '1 hour'
                    AND (o.quality IS NULL OR o.quality !~* %(excluded)s))
"""
_DAYS = """
INSERT INTO touched_days
SELECT DISTINCT datastream_id, (hour AT TIME ZONE 'Asia/Ho_Chi_Minh')::date FROM touched
"""
_DAILY = """
INSERT INTO sensor.daily (datastream_id, day, mean, min, max, count, hours, coverage)
SELECT td.datastream_id, td.day, avg(h.mean), min(h.min), max(h.max), sum(h.count), count(*),
       count(*) / 24.0
FROM touched_days td
JOIN sensor.hourly h ON h.datastream_id = td.datastream_id
     AND h.hour >= td.day::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh'
     AND h.hour < (td.day + 1)::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh'
GROUP BY td.datastream_id, td.day
ON CONFLICT (datastream_id, day) DO UPDATE SET mean = EXCLUDED.mean, min = EXCLUDED.min,
    max = EXCLUDED.max, count = EXCLUDED.count, hours = EXCLUDED.hours,
    coverage = EXCLUDED.coverage
"""
_DAILY_GONE = """
DELETE FROM sensor.daily x USING touched_days td
WHERE x.datastream_id = td.datastream_id AND x.day = td.day
  AND NOT EXISTS (SELECT 1 FROM sensor.hourly h WHERE h.datastream_id = td.datastream_id
                  AND h.hour >= td.day::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh'
                  AND h.hour < (td.day + 1)::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh')
"""
_STATIONS = """
SELECT s.id, s.kind, array_agg(DISTINCT t.hour ORDER BY t.hour)
FROM touched t JOIN sensor.datastreams d ON d.id = t.datastream_id
JOIN sensor.stations s ON s.id = d.station_id
GROUP BY s.id, s.kind ORDER BY s.id
"""


def _try_lock(conn: psycopg.Connection) -> bool:
    """Take the rollup lock for the current transaction if no other worker holds it."""
    row = conn.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s))", [LOCK_KEY]).fetchone()
    return bool(row and row[0])


def _wait_lock(conn: psycopg.Connection) -> None:
    """Take the rollup lock for the current transaction, waiting for another worker.

    Waiting (not stepping aside) guarantees that the pairs committed before this call are
    claimed by it or by the worker it waited for. Gives up after LOCK_WAIT with
    psycopg.errors.LockNotAvailable; the caller retries later.
    """
    conn.execute("SELECT set_config('lock_timeout', %s, true)", [LOCK_WAIT])
    conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [LOCK_KEY])
    conn.execute("SELECT set_config('lock_timeout', '0', true)")


def _batch(conn: psycopg.Connection, limit: int) -> int:
    """Claim and recompute one batch; return the pairs claimed."""
    with conn.transaction():
        _wait_lock(conn)
        conn.execute(_CLAIM)
        # Empty even inside a caller's open transaction (ON COMMIT has not fired yet).
        conn.execute("DELETE FROM touched; DELETE FROM touched_days")
        # A pending pair of a datastream that no longer exists is dropped by the join.
        claimed = conn.execute(_TAKE, {"limit": limit}).rowcount
        if claimed <= 0:
            return 0
        params = {"excluded": EXCLUDED_QUALITY}
        conn.execute(_HOURLY, params)
        conn.execute(_HOURLY_GONE, params)
        conn.execute(_DAYS)
        conn.execute(_DAILY)
        conn.execute(_DAILY_GONE)
        completeness.refresh(conn)
        stations: list[tuple[int, str, list[datetime]]] = conn.execute(_STATIONS).fetchall()
        store.recompute_air(conn, {sid: hours for sid, kind, hours in stations if kind == "air"})
        for station_id, kind, hours in stations:
            if kind == "water":
                store_wqi.recompute_water(conn, station_id, hours)
        alerts.refresh(conn)
        exceedances.refresh(conn)  # facility points: their own regulation and coefficients
        states.refresh(conn, [s[0] for s in stations])
        return claimed


def sweep_due() -> bool:
    """Whether the periodic sweep (every station's state, interruptions) is due in this process."""
    return time.monotonic() - _last_sweep["at"] >= STATE_SWEEP_SECONDS


def process_pending(conn: psycopg.Connection, limit: int = BATCH) -> int:
    """Recompute everything the pending (datastream, hour) pairs touch; return pairs handled.

    Runs batch after batch until nothing is pending. Workers of several ingesters take turns
    (one waits for the other, so no committed pair is left behind). Once a minute it also
    re-judges the state of every station, so one that went silent shows offline.
    """
    total = 0
    while True:
        done = _batch(conn, limit)
        if not done:
            break
        total += done
        if done < limit:
            break
    if total:
        log.info("rollups: %d (datastream, hour) pairs recomputed", total)
    if sweep_due():
        # Stations that stopped reporting are touched by no batch: sweep them all.
        with conn.transaction():
            if _try_lock(conn):
                states.refresh(conn)
                interruptions.refresh(conn)
                _last_sweep["at"] = time.monotonic()
    return total


class Rollups(threading.Thread):
    """Runs :func:`process_pending` off the acknowledgement path: at most once a second and
    at most ROLLUP_DUTY of the time."""

    def __init__(self, database_url: str | None) -> None:
        super().__init__(name="rollups", daemon=True)
        self.url = database_url
        self.due = threading.Event()
        self.stopping = threading.Event()

    def run(self) -> None:
        """Wait for commits; run the rollup job; log and retry later on failure."""
        conn: psycopg.Connection | None = None
        while not self.stopping.is_set():
            # Also when nothing arrives: silent stations must still turn offline/interrupted.
            if not self.due.wait(0.5) and not sweep_due():
                continue
            self.due.clear()
            began = time.monotonic()
            try:
                if conn is None or conn.closed or conn.broken:
                    conn = connect(self.url)
                process_pending(conn)
                conn.commit()
            except Exception as exc:  # never let rollups stop ingest: log, retry later
                log.warning("rollups failed, will retry: %s", exc)
                self.due.set()
                if conn is not None and not conn.closed:
                    conn.close()
                conn = None
            took = time.monotonic() - began
            self.stopping.wait(max(ROLLUP_INTERVAL, took * (1 - ROLLUP_DUTY) / ROLLUP_DUTY))
        if conn is not None:
            conn.close()
