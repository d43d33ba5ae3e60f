"""The layers schema's table (migration 0007_layers): the change log the tile cache follows."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Double, Table, Text

from gis.tables.meta import metadata

changes = Table(
    "changes",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("source", Text, nullable=False),
    Column("west", Double, nullable=True),
    Column("south", Double, nullable=True),
    Column("east", Double, nullable=True),
    Column("north", Double, nullable=True),
    Column("at", DateTime(timezone=True), nullable=False),
    schema="layers",
)
