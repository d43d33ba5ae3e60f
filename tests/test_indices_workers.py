"""Several rollup workers (one per ingester): they take turns and no pending pair is lost."""

# ruff: noqa: F811
from __future__ import annotations

import threading

import psycopg
import pytest

from gis.settings import to_libpq_url
from sensors import rollups
from tests.test_indices_rollups import db, ingest, make_station, series  # noqa: F401


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
