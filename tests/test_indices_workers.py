"""Several rollup workers (one per ingester): they take turns and no pending pair is lost."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from gis.settings import to_libpq_url
from sensors import rollups
from sensors.store import store_readings
from tests.fixtures.indices import ingest, make_station, series


def test_second_worker_waits_for_the_first_and_takes_the_rest(db, database_url: str) -> None:
    _code, _sid, ds = make_station(db, "air", ["pm25"])
    ingest(db, series(ds["pm25"], [20.0, 30.0, 40.0]))
    result: list[int] = []
    with psycopg.connect(to_libpq_url(database_url)) as other:
        # Another worker holds the rollup lock (its transaction is open).
        other.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [rollups.LOCK_KEY])
        worker = threading.Thread(target=lambda: result.append(rollups.process_pending(db)))
        worker.start()
        worker.join(timeout=1.0)
        assert worker.is_alive()  # waiting, not skipping the pairs committed before it
        other.rollback()  # the other worker finishes without having claimed these pairs
        worker.join(timeout=60)
    assert result and result[0] >= 3
    db.commit()
    assert (
        db.execute(
            "SELECT count(*) FROM sensor.hourly WHERE datastream_id = %s", [ds["pm25"]]
        ).fetchone()[0]
        == 3
    )


def test_a_worker_gives_up_after_the_lock_wait(db, database_url: str, monkeypatch) -> None:
    _code, _sid, ds = make_station(db, "air", ["pm25"])
    ingest(db, series(ds["pm25"], [20.0]))
    monkeypatch.setattr(rollups, "LOCK_WAIT", "200ms")
    with psycopg.connect(to_libpq_url(database_url)) as other:
        other.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [rollups.LOCK_KEY])
        with pytest.raises(psycopg.errors.LockNotAvailable):
            rollups.process_pending(db)
        other.rollback()
    db.rollback()
    # Nothing was claimed: the pair is still pending for the next call.
    assert (
        db.execute(
            "SELECT count(*) FROM sensor.pending_rollups WHERE datastream_id = %s", [ds["pm25"]]
        ).fetchone()[0]
        == 1
    )
    assert rollups.process_pending(db) >= 1


def _late_reading(conn: psycopg.Connection, ds: int, hour: datetime) -> None:
    """The ingester's statements for one more reading in ``hour``, its transaction left open."""
    now = datetime.now(UTC)
    store_readings(conn, [(ds, hour + timedelta(minutes=55), 80.0, None, now, 0)])


def _pending_hour(db: psycopg.Connection) -> tuple[int, datetime]:
    """A new station's pm25 datastream with one committed hour of readings, still pending."""
    _code, _sid, ds = make_station(db, "air", ["pm25"])
    ingest(db, series(ds["pm25"], [20.0]))
    db.commit()
    return ds["pm25"], _pending(db, ds["pm25"])[0]


def _pending(db: psycopg.Connection, ds: int) -> list[datetime]:
    return [h for (h,) in db.execute(
        "SELECT hour FROM sensor.pending_rollups WHERE datastream_id = %s", [ds])]


def _hourly(db: psycopg.Connection, ds: int) -> tuple[float, int]:
    return db.execute(
        "SELECT mean, count FROM sensor.hourly WHERE datastream_id = %s", [ds]
    ).fetchone()


def test_reading_committed_while_its_hour_is_pending_is_not_missed(db, database_url) -> None:
    # The hour is already pending (an earlier batch). A second ingest transaction adds a
    # reading to it and meets the pending pair. A worker running before that transaction
    # commits must not take the pair.
    pm25, hour = _pending_hour(db)
    with psycopg.connect(to_libpq_url(database_url)) as t2:
        _late_reading(t2, pm25, hour)
        rollups.process_pending(db)  # runs while t2 is still open
        db.commit()
        t2.commit()
    rollups.process_pending(db)
    db.commit()
    assert _hourly(db, pm25) == ((19.0 + 21.0 + 80.0) / 3, 3)


def test_ingest_does_not_wait_for_a_worker_recomputing_its_hour(db, database_url) -> None:
    # The worker has taken the pending pair and is still recomputing (its transaction open)
    # when an ingest transaction adds a reading to that hour: the ingest commits at once, and
    # the pair is pending again for the next run.
    pm25, hour = _pending_hour(db)
    db.execute("SELECT 1")  # an open transaction: process_pending's work stays uncommitted
    assert rollups.process_pending(db) == 1  # the worker holds the pair
    with psycopg.connect(to_libpq_url(database_url)) as t2:
        t2.execute("SET lock_timeout = '1s'")  # waiting for the worker would raise here
        _late_reading(t2, pm25, hour)
        t2.commit()
    db.commit()
    assert _hourly(db, pm25) == (20.0, 2)  # the worker's run did not see it
    rollups.process_pending(db)
    db.commit()
    assert _hourly(db, pm25) == ((19.0 + 21.0 + 80.0) / 3, 3)
    assert _pending(db, pm25) == []


def test_a_pending_pair_met_again_is_not_added_twice(db, database_url) -> None:
    pm25, hour = _pending_hour(db)
    with psycopg.connect(to_libpq_url(database_url)) as t2:
        _late_reading(t2, pm25, hour)
        t2.commit()
    assert _pending(db, pm25) == [hour]
