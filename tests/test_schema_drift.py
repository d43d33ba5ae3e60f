"""The migrations and the table declarations (``gis.tables``) describe the same schema.

alembic's autogenerate comparison runs against the test database migrated to every head:
tables, columns, types (geoalchemy2 geometry types too), nullability, primary and foreign keys,
unique constraints and indexes. Partitions of a partitioned table and PostGIS's own table are left
out; views are not compared (alembic does not reflect them).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import gis.tables
from gis.settings import to_sqlalchemy_url
from gis.tables import ident, metadata
from gis.tables.land import parcels

#: Managed by PostGIS or alembic, not by our migrations.
FOREIGN = {"spatial_ref_sys", "alembic_version"}


@pytest.fixture(scope="module")
def engine(database_url: str) -> Iterator[sa.Engine]:
    eng = sa.create_engine(to_sqlalchemy_url(database_url), poolclass=sa.pool.NullPool)
    yield eng
    eng.dispose()


def _partitions(conn: sa.Connection) -> set[tuple[str, str]]:
    rows = conn.execute(sa.text(
        "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE c.relispartition"
    ))  # fmt: skip
    return {(r[0], r[1]) for r in rows}


def _differences(conn: sa.Connection, declared: sa.MetaData) -> list[Any]:
    """alembic's list of what would turn the database into ``declared``."""
    partitions = _partitions(conn)

    def include_name(name: str | None, type_: str, parents: dict[str, str | None]) -> bool:
        if type_ == "schema":  # every schema, so a new area's schema is compared too
            return name is None or not (name == "information_schema" or name.startswith("pg_"))
        if type_ == "table":
            schema = parents.get("schema_name") or "public"
            return name not in FOREIGN and (schema, name) not in partitions
        return True

    def include_object(obj: Any, name: str, type_: str, reflected: bool, other: Any) -> bool:
        return not (type_ == "table" and obj.info.get("owner") == "postgis")

    context = MigrationContext.configure(conn, opts={
        "include_schemas": True, "include_name": include_name,
        "include_object": include_object, "compare_type": True,
    })  # fmt: skip
    return list(compare_metadata(context, declared))


def _describe(diff: Any) -> str:
    """One readable line per difference (alembic's tuples hold whole Table objects)."""
    if isinstance(diff, list):  # a column's modifications come as a list of tuples
        return "; ".join(_describe(d) for d in diff)
    kind, *rest = diff
    if kind in ("add_table", "remove_table"):
        return f"{kind} {rest[0].fullname}"
    if kind in ("add_column", "remove_column"):
        return f"{kind} {rest[0] or 'public'}.{rest[1]}.{rest[2].name}"
    if kind.startswith("modify_"):
        schema, table, column = rest[0], rest[1], rest[2]
        return f"{kind} {schema}.{table}.{column}: database {rest[-2]!r}, declared {rest[-1]!r}"
    obj = rest[0]
    table = getattr(getattr(obj, "table", None), "fullname", "?")
    name = getattr(obj, "name", None) or repr(obj)
    return f"{kind} {name} on {table}"


def test_declarations_match_the_migrated_database(engine):
    with engine.connect() as conn:
        diffs = _differences(conn, metadata)
    assert not diffs, (
        "the migrations and gis/tables disagree (remove_…: the database has it, gis/tables does"
        " not; declare a new table in gis/tables/<area>.py, a column or index beside its"
        " table):\n" + "\n".join(_describe(d) for d in diffs)
    )


def test_the_comparison_sees_drift(engine):
    """A declaration with a column too many, one nullability changed and an index renamed is
    caught: the comparison really looks at columns, nullability and indexes."""
    changed = sa.MetaData()
    for table in metadata.tables.values():
        table.to_metadata(changed)
    land = changed.tables["land.parcels"]
    land.append_column(sa.Column("not_in_any_migration", sa.Text))
    land.c.address.nullable = False
    next(i for i in land.indexes if i.name == "parcels_sheet_idx").name = "parcels_sheet_idx2"
    with engine.connect() as conn:
        found = "\n".join(_describe(d) for d in _differences(conn, changed))
    assert "add_column land.parcels.not_in_any_migration" in found
    assert "modify_nullable land.parcels.address" in found
    assert "add_index parcels_sheet_idx2" in found and "remove_index parcels_sheet_idx" in found


def test_every_area_module_is_collected():
    """Importing the package collects every module's tables into one MetaData."""
    names = set(metadata.tables)
    assert {"admin.communes", "land.parcels", "sensor.stations", "auth.api_keys",
            "audit.personal_data_views", "layers.changes"} <= names  # fmt: skip
    assert gis.tables.land.parcels is metadata.tables["land.parcels"]


def test_ident_names_declared_tables_and_columns_only(conn):
    assert ident(parcels).as_string(conn) == '"land"."parcels"'
    assert ident(parcels, "valid_to").as_string(conn) == '"land"."parcels"."valid_to"'
    with pytest.raises(KeyError):
        ident(parcels, "no_such_column")
