"""The batch writer against the real PostGIS: idempotent, latest only newer, NOTIFY, partitions."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import psycopg

from gis.settings import to_libpq_url
from sensors.contract import STATIONS_CHANNEL
from sensors.store import Writer, notify_payloads
from tests.fixtures.sensors import make_stations

T0 = datetime(2026, 11, 20, 10, tzinfo=UTC)


def rows_for(ds: int, times: list[datetime], value: float = 1.0) -> list:
    return [(ds, t, value + i, None, T0, i) for i, t in enumerate(times)]


def test_batches_are_idempotent_and_latest_only_moves_forward(database_url, prefix):
    ds = make_stations(database_url, prefix, 1)[f"{prefix}-0"]["pm25"]
    w = Writer(database_url)
    times = [T0 + timedelta(hours=h) for h in range(5)]
    first = w.write(rows_for(ds, times), [], {f"{prefix}-0"})
    again = w.write(rows_for(ds, times, value=100), [], {f"{prefix}-0"})  # redelivered
    late = w.write(rows_for(ds, [T0 - timedelta(days=1)], value=7), [], set())  # late reading
    w.close()
    assert (first.inserted, again.inserted, late.inserted) == (5, 0, 1)
    with psycopg.connect(to_libpq_url(database_url)) as c:
        values = c.execute("SELECT result FROM sensor.observations WHERE datastream_id = %s"
                           " ORDER BY phenomenon_time", [ds]).fetchall()
        latest = c.execute("SELECT phenomenon_time, result FROM sensor.latest_observations"
                           " WHERE datastream_id = %s", [ds]).fetchone()
        hours = c.execute("SELECT count(*) FROM sensor.pending_rollups WHERE datastream_id = %s",
                          [ds]).fetchone()[0]
    assert [v for (v,) in values] == [7, 1, 2, 3, 4, 5]  # first arrival kept, late one added
    assert latest == (times[-1], 5.0)  # neither the redelivery nor the late reading moved it
    assert hours == 6


def test_a_batch_mixing_stored_and_new_readings_stores_only_the_new(database_url, prefix):
    """The plain insert fails on the stored readings; the batch is then stored skipping them."""
    ds = make_stations(database_url, prefix, 1)[f"{prefix}-0"]["pm25"]
    w = Writer(database_url)
    times = [T0 + timedelta(minutes=m) for m in range(0, 60, 5)]
    first = w.write(rows_for(ds, times[:6]), [], set())
    mixed = w.write(rows_for(ds, times[3:], value=50), [], set())  # 3 redelivered, 6 new
    w.close()
    assert (first.inserted, mixed.inserted) == (6, 6)
    with psycopg.connect(to_libpq_url(database_url)) as c:
        values = [v for (v,) in c.execute(
            "SELECT result FROM sensor.observations WHERE datastream_id = %s"
            " ORDER BY phenomenon_time", [ds]).fetchall()]
        latest = c.execute("SELECT phenomenon_time FROM sensor.latest_observations"
                           " WHERE datastream_id = %s", [ds]).fetchone()[0]
    assert values == [1, 2, 3, 4, 5, 6, 53, 54, 55, 56, 57, 58]  # the stored ones unchanged
    assert latest == times[-1]


def test_duplicates_inside_one_batch_keep_the_first(database_url, prefix):
    ds = make_stations(database_url, prefix, 1)[f"{prefix}-0"]["no2"]
    w = Writer(database_url)
    res = w.write([(ds, T0, 1.0, None, T0, 0), (ds, T0, 2.0, None, T0, 1)], [], set())
    w.close()
    assert res.inserted == 1
    with psycopg.connect(to_libpq_url(database_url)) as c:
        assert c.execute("SELECT result FROM sensor.observations WHERE datastream_id = %s",
                         [ds]).fetchone()[0] == 1.0
        assert c.execute("SELECT result FROM sensor.latest_observations WHERE datastream_id"
                         " = %s", [ds]).fetchone()[0] == 1.0


def test_old_months_get_their_partition(database_url, prefix):
    ds = make_stations(database_url, prefix, 1)[f"{prefix}-0"]["pm25"]
    w = Writer(database_url)
    t = datetime(2016, 3, 31, 23, 30, tzinfo=UTC)
    assert w.write(rows_for(ds, [t]), [], set()).inserted == 1
    w.close()
    with psycopg.connect(to_libpq_url(database_url)) as c:
        part = c.execute("SELECT tableoid::regclass::text FROM sensor.observations"
                         " WHERE datastream_id = %s", [ds]).fetchone()[0]
    assert part == "sensor.observations_2016_03"


def test_a_batch_of_one_month_goes_to_its_partition_and_one_across_months_too(database_url,
                                                                              prefix):
    """Within a month the writer inserts into the partition itself; across months, through
    the partitioned table. Either way each reading lands in its month, once."""
    ds = make_stations(database_url, prefix, 1)[f"{prefix}-0"]["pm25"]
    w = Writer(database_url)
    june = [datetime(2017, 6, d, tzinfo=UTC) for d in (1, 15, 30)]
    across = [datetime(2017, 6, 30, 23, 59, tzinfo=UTC), datetime(2017, 7, 1, tzinfo=UTC)]
    assert w.write(rows_for(ds, june), [], set()).inserted == 3
    assert "observations_2017_06" in str(w._table(june[0], june[-1]))  # the direct path
    assert w.write(rows_for(ds, across), [], set()).inserted == 2
    assert w.write(rows_for(ds, june + across), [], set()).inserted == 0  # redelivered
    w.close()
    with psycopg.connect(to_libpq_url(database_url)) as c:
        parts = c.execute("SELECT tableoid::regclass::text, count(*) FROM sensor.observations"
                          " WHERE datastream_id = %s GROUP BY 1 ORDER BY 1", [ds]).fetchall()
    assert parts == [("sensor.observations_2017_06", 4), ("sensor.observations_2017_07", 1)]


def test_rejects_and_notify_after_commit(database_url, prefix):
    codes = [f"{prefix}-{i}" for i in range(3)]
    streams = make_stations(database_url, prefix, 3)
    with psycopg.connect(to_libpq_url(database_url), autocommit=True) as listener:
        listener.execute(f"LISTEN {STATIONS_CHANNEL}")
        w = Writer(database_url)
        rows = [(streams[c]["pm25"], T0, 5.0, "ok", T0, i) for i, c in enumerate(codes)]
        w.write(rows, [("stations/x/telemetry", b"\xff", "not valid JSON", T0)], set(codes))
        w.close()
        got = [json.loads(n.payload) for n in listener.notifies(timeout=2, stop_after=1)]
    assert got == [{"stations": sorted(codes)}]
    with psycopg.connect(to_libpq_url(database_url)) as c:
        assert c.execute("SELECT payload FROM sensor.rejects WHERE topic = 'stations/x/telemetry'"
                         ).fetchone()[0] == b"\xff"


def test_notify_payloads_are_chunked_under_8000_bytes():
    codes = [f"STATION-WITH-A-LONG-CODE-{i:05d}" for i in range(2000)]
    payloads = notify_payloads(codes)
    assert len(payloads) > 1 and all(len(p.encode()) < 8000 for p in payloads)
    assert sorted(c for p in payloads for c in json.loads(p)["stations"]) == sorted(codes)
