"""Tables of the sensors → map contract (migration 0009_contract): filled by the code from its
declarations (``sensors.indices.categories``, ``sensors.contract.states``), never retyped."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKeyConstraint, Integer, Table, Text, UniqueConstraint

from gis.tables.meta import metadata
from gis.tables.sensor import station_states

index_categories = Table(
    "index_categories",
    metadata,
    Column("scale", Text, primary_key=True),
    Column("low", Integer, primary_key=True),
    Column("high", Integer, nullable=False),
    Column("key", Text, nullable=False),
    Column("name_vi", Text, nullable=False),
    Column("name_en", Text, nullable=False),
    Column("color", Text, nullable=False),
    Column("station_kind", Text, nullable=True),
    UniqueConstraint("scale", "key", name="index_categories_scale_key_key"),
    schema="sensor",
)

states = Table(
    "states",
    metadata,
    Column("key", Text, primary_key=True),
    Column("position", Integer, nullable=False),
    Column("name_vi", Text, nullable=False),
    Column("name_en", Text, nullable=False),
    Column("colour", Text, nullable=False),
    UniqueConstraint("position", name="states_position_key"),
    schema="sensor",
)

# 0009 made a station's state one of the declared states.
station_states.append_constraint(
    ForeignKeyConstraint(["state"], ["sensor.states.key"], name="station_states_state_fkey")
)
