"""The database's tables declared once, in SQLAlchemy Core with geoalchemy2 geometry types.

One module per area (``admin``, ``land``, ``sensor``, ``layers``, ``access``, ``audit``, ``base``;
an area adding tables in its migration adds ``gis/tables/<area>.py``): importing this package
imports every module beside it, so :data:`metadata` holds every table. The migrations stay the
way the schema changes; ``tests/test_schema_drift.py`` fails when they and these declarations
disagree. Queries name tables and columns from here through :func:`ident` (``psycopg.sql``).
"""

from __future__ import annotations

import importlib
import pkgutil

from psycopg import sql
from sqlalchemy import Column, Table

from gis.tables.meta import metadata

for _module in pkgutil.iter_modules(__path__):
    if _module.name != "meta":
        importlib.import_module(f"{__name__}.{_module.name}")


def ident(table: Table, column: Column | str | None = None) -> sql.Identifier:
    """``schema.table`` (or ``schema.table.column``) of a declared table as a psycopg identifier."""
    parts = [table.schema or "public", table.name]
    if column is not None:
        name = column if isinstance(column, str) else column.name
        if name not in table.c:
            raise KeyError(f"{table.fullname} has no column {name!r}")
        parts.append(name)
    return sql.Identifier(*parts)


__all__ = ["ident", "metadata"]
