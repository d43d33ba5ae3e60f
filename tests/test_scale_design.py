"""The distribution plan of docs/scale.md held against the schema: what already fits, what not.

Citus needs every unique index and every foreign key between distributed tables to include the
distribution column. The plan names the parcels' exceptions; a schema change that adds another,
or removes one without updating the plan, fails here.
"""

from __future__ import annotations

import psycopg

#: Unique indexes of land.parcels without its distribution column, as docs/scale.md lists them.
PLAN_UNIQUE_EXCEPTIONS = {"parcels_pkey", "parcels_code_key"}
#: Tables whose foreign keys to land.parcels must gain commune_code (docs/scale.md).
PLAN_CHILDREN = {"land.parcel_purposes", "land.parcel_land_users", "land.parcel_lineage"}


def test_parcels_unique_indexes_match_the_plan(conn: psycopg.Connection) -> None:
    rows = conn.execute(
        "SELECT c.relname, array(SELECT a.attname FROM unnest(i.indkey) k"
        " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k)"
        " FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
        " WHERE i.indrelid = 'land.parcels'::regclass AND i.indisunique").fetchall()
    without = {name for name, cols in rows if "commune_code" not in cols}
    assert without == PLAN_UNIQUE_EXCEPTIONS
    assert any("commune_code" in cols for _, cols in rows)  # parcels_current_key


def test_parcel_children_match_the_plan(conn: psycopg.Connection) -> None:
    rows = conn.execute(
        "SELECT conrelid::regclass::text, array(SELECT a.attname FROM unnest(conkey) k"
        " JOIN pg_attribute a ON a.attrelid = conrelid AND a.attnum = k)"
        " FROM pg_constraint WHERE confrelid = 'land.parcels'::regclass AND contype = 'f'"
    ).fetchall()
    assert {table for table, _ in rows} == PLAN_CHILDREN
    assert all("commune_code" not in cols for _, cols in rows)  # what the plan must add


def test_observations_fit_distribution_by_datastream(conn: psycopg.Connection) -> None:
    (key,) = conn.execute(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid = 'sensor.observations'::regclass AND contype = 'p'").fetchone()
    assert key.startswith("PRIMARY KEY (datastream_id")
    fks = conn.execute("SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND"
                       " conrelid = 'sensor.observations'::regclass").fetchone()
    assert fks == (0,)  # nothing to co-locate with: stations and datastreams are reference
    (strategy,) = conn.execute("SELECT partstrat FROM pg_partitioned_table"
                               " WHERE partrelid = 'sensor.observations'::regclass").fetchone()
    assert strategy == "r"  # by range of time: the months prune on every node
