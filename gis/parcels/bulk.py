"""Bulk loads of parcels: session tuning, and secondary indexes and foreign keys dropped for the
load and rebuilt once at the end (what pg_restore does)."""

from __future__ import annotations

import psycopg


def tune_session(conn: psycopg.Connection) -> None:
    """Memory for the import's sorts, hashes and index builds (this transaction only).

    JIT is off: the per-batch statements are estimated costly enough to be compiled, which
    takes longer than running them. No statement timeout: rebuilding the indexes of a million
    parcels is one long statement, and an operator's import is bounded by its own size.
    """
    conn.execute("SET LOCAL statement_timeout = 0")
    conn.execute("SET LOCAL work_mem = '64MB'")
    conn.execute("SET LOCAL jit = off")
    conn.execute("SET LOCAL maintenance_work_mem = '256MB'")


#: Tables a bulk load fills (their foreign keys and secondary indexes are rebuilt at the end).
BULK_TABLES = ("parcels", "parcel_purposes", "parcel_land_users")
#: Indexes the load itself reads (current versions of a batch's sheets), so never dropped.
KEEP_DURING_LOAD = ("parcels_sheet_idx",)


def drop_bulk_indexes(conn: psycopg.Connection) -> list[str]:
    """Drop the secondary indexes of the bulk tables (bulk loads); return their definitions.

    GiST and non-unique B-tree indexes are built once at the end, several times faster than
    growing them row by row; unique ones stay (they guard the load). The drop holds an
    exclusive lock on those tables until the import commits.
    """
    rows = conn.execute(
        "SELECT c.relname, pg_get_indexdef(c.oid) FROM pg_index x"
        " JOIN pg_class c ON c.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid"
        " WHERE t.relnamespace = 'land'::regnamespace AND t.relname = ANY(%s)"
        " AND NOT x.indisunique AND c.relname <> ALL(%s) ORDER BY c.relname",
        (list(BULK_TABLES), list(KEEP_DURING_LOAD)),
    ).fetchall()
    for name, _ in rows:
        conn.execute(psycopg.sql.SQL("DROP INDEX land.{}").format(psycopg.sql.Identifier(name)))
    return [str(definition) for _, definition in rows]


def restore_indexes(conn: psycopg.Connection, definitions: list[str]) -> None:
    """Recreate indexes from the definitions PostgreSQL gave (pg_indexes.indexdef)."""
    for definition in definitions:
        conn.execute(psycopg.sql.SQL(definition))
    if definitions:  # fresh statistics after a bulk load, so the planner uses the indexes
        conn.execute(
            "ANALYZE land.parcels, land.parcel_purposes, land.parcel_land_users,"
            " land.land_users, land.map_sheets"
        )


def drop_foreign_keys(conn: psycopg.Connection) -> list[tuple[str, str, str]]:
    """Drop the foreign keys of the land tables a bulk load writes; return (table, name, def).

    PostgreSQL checks a foreign key row by row on insert; adding it back at the end checks
    all rows in one join (what pg_restore does). A violation then fails the whole import.
    """
    rows = conn.execute(
        "SELECT t.relname, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c"
        " JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace"
        " WHERE c.contype = 'f' AND n.nspname = 'land' AND t.relname = ANY(%s)"
        " ORDER BY t.relname, c.conname",
        (list(BULK_TABLES),),
    ).fetchall()
    for table, name, _ in rows:
        conn.execute(
            psycopg.sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                psycopg.sql.Identifier("land", table), psycopg.sql.Identifier(name)
            )
        )
    return [(str(t), str(n), str(d)) for t, n, d in rows]


def restore_foreign_keys(conn: psycopg.Connection, keys: list[tuple[str, str, str]]) -> None:
    """Add back foreign keys from their catalog definitions (each checked in one query)."""
    for table, name, definition in keys:
        conn.execute(
            psycopg.sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
                psycopg.sql.Identifier("land", table),
                psycopg.sql.Identifier(name),
                psycopg.sql.SQL(definition),
            )
        )
