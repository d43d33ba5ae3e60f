"""Several rollup workers (one per ingester): one works at a time, none loses a pending pair."""

# ruff: noqa: F811
from __future__ import annotations

import psycopg

from gis.settings import to_libpq_url
from sensors import rollups
from tests.test_indices_rollups import T0, db, ingest, make_station, series  # noqa: F401


def test_second_worker_steps_aside_and_nothing_is_lost(db, database_url: str) -> None:
    _code, _sid, ds = make_station(db, "air", ["pm25"])
    ingest(db, series(ds["pm25"], [20.0, 30.0, 40.0]))
    with psycopg.connect(to_libpq_url(database_url)) as other:
        # Another worker holds the rollup lock (its transaction is open).
        other.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [rollups.LOCK_KEY])
        assert rollups.process_pending(db) == 0
        db.commit()
        left = db.execute(
            "SELECT count(*) FROM sensor.pending_rollups WHERE datastream_id = %s", [ds["pm25"]]
        ).fetchone()[0]
        assert left == 3
        other.rollback()  # the other worker finishes without having claimed these pairs
    assert rollups.process_pending(db) >= 3
    db.commit()
    assert (
        db.execute(
            "SELECT count(*) FROM sensor.hourly WHERE datastream_id = %s", [ds["pm25"]]
        ).fetchone()[0]
        == 3
    )
