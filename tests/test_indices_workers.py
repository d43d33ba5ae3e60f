"""Several rollup workers (one per ingester): they take turns and no pending pair is lost."""

from __future__ import annotations

import threading
from datetime import timedelta

import psycopg
import pytest

from gis.settings import to_libpq_url
from sensors import rollups
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


def test_reading_committed_while_its_hour_is_pending_is_not_missed(db, database_url) -> None:
    # The hour is already pending (an earlier batch). A second ingest transaction adds a
    # reading to it and meets the pending pair (ON CONFLICT DO NOTHING, as the ingester
    # does). A worker running before that transaction commits must not take the pair.
    _code, _sid, ds = make_station(db, "air", ["pm25"])
    ingest(db, series(ds["pm25"], [20.0]))
    hour = db.execute(
        "SELECT hour FROM sensor.pending_rollups WHERE datastream_id = %s", [ds["pm25"]]
    ).fetchone()[0]
    db.commit()
    with psycopg.connect(to_libpq_url(database_url)) as t2:
        t2.execute(
            "INSERT INTO sensor.observations (datastream_id, phenomenon_time, result)"
            " VALUES (%s, %s, 80.0)",
            [ds["pm25"], hour + timedelta(minutes=55)],
        )
        t2.execute(
            "INSERT INTO sensor.pending_rollups VALUES (%s, %s) ON CONFLICT DO NOTHING",
            [ds["pm25"], hour],
        )
        rollups.process_pending(db)  # runs while t2 is still open
        db.commit()
        t2.commit()
    rollups.process_pending(db)
    db.commit()
    mean = db.execute(
        "SELECT mean, count FROM sensor.hourly WHERE datastream_id = %s", [ds["pm25"]]
    ).fetchone()
    assert mean == ((19.0 + 21.0 + 80.0) / 3, 3)
