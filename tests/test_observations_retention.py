"""Raw readings: whole old months dropped by retention; a day's read prunes to its month (BRIN)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest

from sensors.retention import cutoff, drop_old_partitions, partitions


def _months(conn: psycopg.Connection) -> set[str]:
    return {p.name for p in partitions(conn)}


@pytest.fixture()
def old_months(conn: psycopg.Connection) -> psycopg.Connection:
    """Three months of 1990 with a reading each, far before any other test's data."""
    conn.execute("SELECT sensor.ensure_observation_partitions('1990-01-15Z', '1990-03-15Z')")
    # observations carry no foreign key (see 0005_sensor): an id no station uses will do
    for day in ("1990-01-10", "1990-02-10", "1990-03-10"):
        conn.execute("INSERT INTO sensor.observations (datastream_id, phenomenon_time, result)"
                     " VALUES (-1, %s, 12.5)", (f"{day}T03:00Z",))
    return conn


def test_cutoff_counts_the_current_month() -> None:
    assert cutoff(datetime(2026, 12, 2, tzinfo=UTC), 1) == datetime(2026, 12, 1, tzinfo=UTC)
    assert cutoff(datetime(2026, 12, 2, tzinfo=UTC), 13) == datetime(2025, 12, 1, tzinfo=UTC)
    assert cutoff(datetime(2026, 1, 31, tzinfo=UTC), 2) == datetime(2025, 12, 1, tzinfo=UTC)


def test_old_months_dropped_newer_kept(old_months: psycopg.Connection) -> None:
    conn = old_months
    now = datetime(1990, 3, 20, tzinfo=UTC)
    would = drop_old_partitions(conn, 2, now=now, dry_run=True)
    assert [p.name for p in would] == ["observations_1990_01"]
    assert "observations_1990_01" in _months(conn)  # a dry run drops nothing
    dropped = drop_old_partitions(conn, 2, now=now)
    assert [p.name for p in dropped] == ["observations_1990_01"]
    left = _months(conn)
    assert "observations_1990_01" not in left
    assert {"observations_1990_02", "observations_1990_03"} <= left
    rows = conn.execute("SELECT count(*) FROM sensor.observations WHERE phenomenon_time"
                        " BETWEEN '1990-01-01Z' AND '1990-04-01Z'").fetchone()
    assert rows == (2,)


def _plan_nodes(node: dict[str, Any]) -> list[dict[str, Any]]:
    out = [node]
    for child in node.get("Plans", []):
        out += _plan_nodes(child)
    return out


def test_a_day_across_stations_reads_one_month_by_its_brin(
    old_months: psycopg.Connection,
) -> None:
    conn = old_months
    # Tiny tables: show the BRIN is usable (a real month's rows choose it on their own; see
    # bench/bench_scale.py --readings). The primary key (datastream, time) serves one station.
    for setting in ("enable_seqscan", "enable_indexscan", "enable_indexonlyscan"):
        conn.execute(f"SET LOCAL {setting} = off")
    (plan,) = conn.execute(
        "EXPLAIN (FORMAT JSON) SELECT count(*) FROM sensor.observations"
        " WHERE phenomenon_time >= '1990-02-10Z' AND phenomenon_time < '1990-02-11Z'"
    ).fetchone()  # type: ignore[misc]
    nodes = _plan_nodes(plan[0]["Plan"])
    relations = {n["Relation Name"] for n in nodes if "Relation Name" in n}
    assert relations == {"observations_1990_02"}  # partition pruning
    indexes = [n["Index Name"] for n in nodes if "Index Name" in n]
    assert indexes, nodes
    methods = {r[0] for r in conn.execute(
        "SELECT am.amname FROM pg_class c JOIN pg_am am ON am.oid = c.relam"
        " WHERE c.relname = ANY(%s)", (indexes,)).fetchall()}
    assert methods == {"brin"}


def test_every_months_brin_summarises_its_ranges_as_they_fill(
    old_months: psycopg.Connection,
) -> None:
    # Without autosummarize the month being written is read whole until VACUUM (0017).
    options = old_months.execute(
        "SELECT c.relname, c.reloptions FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " WHERE i.inhparent = 'sensor.observations_time_brin'::regclass"
    ).fetchall()
    assert {"observations_1990_01_phenomenon_time_idx"} <= {name for name, _ in options}
    assert all("autosummarize=on" in (opts or []) for _, opts in options), options
