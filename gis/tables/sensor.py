"""Sensor tables (migrations 0005_sensor, 0006_indices): stations, datastreams, observations,
rollups, indices, alerts and station states.

Columns a later area's migration adds to these tables (``stations.facility_id`` of
0011_facilities, the ``station_states.state`` foreign key of 0009_contract) are declared in that
area's module, beside its own tables (``stations.append_column(...)``).
"""

from __future__ import annotations

from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    CHAR,
    REAL,
    BigInteger,
    Column,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.types import TypeEngine

from gis.tables.meta import metadata

#: The time key of a per-hour and of a per-day table (local days, ``Asia/Ho_Chi_Minh``).
_PERIOD_TYPES: dict[str, TypeEngine[Any]] = {"hour": DateTime(timezone=True), "day": Date()}


def _owner(name: str, table: str, *, primary_key: bool = True, nullable: bool = False) -> Column:
    """A column referencing ``sensor.<table>.id``, rows deleted with their owner."""
    target = ForeignKey(f"sensor.{table}.id", ondelete="CASCADE")
    if primary_key:
        return Column(name, Integer, target, primary_key=True)
    return Column(name, Integer, target, nullable=nullable)


def _rollup(name: str, key: str, *counts: str) -> Table:
    """Per-datastream statistics of an hour or a day (0006_indices)."""
    return Table(
        name,
        metadata,
        _owner("datastream_id", "datastreams"),
        Column(key, _PERIOD_TYPES[key], primary_key=True),
        Column("mean", Double, nullable=False),
        Column("min", Double, nullable=False),
        Column("max", Double, nullable=False),
        *(Column(c, Integer, nullable=False) for c in counts),
        Column("coverage", REAL, nullable=False),
        schema="sensor",
    )


def _aqi(name: str, key: str) -> Table:
    """A station's AQI per scheme and hour or day (0006_indices)."""
    return Table(
        name,
        metadata,
        _owner("station_id", "stations"),
        Column("scheme", Text, primary_key=True),
        Column(key, _PERIOD_TYPES[key], primary_key=True),
        Column("aqi", Integer, nullable=False),
        Column("dominant", Text, nullable=False),
        Column("sub_indices", JSONB, nullable=False),
        Column("computed_at", DateTime(timezone=True), nullable=False),
        schema="sensor",
    )


def _wqi(name: str, key: str) -> Table:
    """A station's WQI (or why there is none) per hour or day (0006_indices)."""
    return Table(
        name,
        metadata,
        _owner("station_id", "stations"),
        Column(key, _PERIOD_TYPES[key], primary_key=True),
        Column("wqi", Integer, nullable=True),
        Column("raw", Double, nullable=True),
        Column("formula", SmallInteger, nullable=True),
        Column("band", Text, nullable=True),
        Column("parameters", ARRAY(Text), nullable=False),
        Column("sub_indices", JSONB, nullable=False),
        Column("reason", Text, nullable=True),
        Column("computed_at", DateTime(timezone=True), nullable=False),
        schema="sensor",
    )


stations = Table(
    "stations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("geom", Geometry("POINT", srid=4326, spatial_index=False), nullable=False),
    Column("commune_code", CHAR(5), nullable=True),
    Column("status", Text, nullable=False),
    Column("metadata", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("code", name="stations_code_key"),
    Index("stations_commune_idx", "commune_code"),
    Index("stations_geom_idx", "geom", postgresql_using="gist"),
    schema="sensor",
)

datastreams = Table(
    "datastreams",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "station_id", Integer, ForeignKey("sensor.stations.id", ondelete="CASCADE"), nullable=False
    ),
    Column("property_code", Text, nullable=False),
    Column("unit", Text, nullable=False),
    Column("expected_per_hour", Integer, nullable=False),
    UniqueConstraint(
        "station_id", "property_code", name="datastreams_station_id_property_code_key"
    ),
    schema="sensor",
)

observations = Table(
    "observations",
    metadata,
    Column("datastream_id", Integer, primary_key=True),
    Column("phenomenon_time", DateTime(timezone=True), primary_key=True),
    Column("result", Double, nullable=False),
    Column("quality", Text, nullable=True),
    Column("received_at", DateTime(timezone=True), nullable=False),
    schema="sensor",
)

latest_observations = Table(
    "latest_observations",
    metadata,
    _owner("datastream_id", "datastreams"),
    Column("phenomenon_time", DateTime(timezone=True), nullable=False),
    Column("result", Double, nullable=False),
    Column("quality", Text, nullable=True),
    Column("received_at", DateTime(timezone=True), nullable=False),
    schema="sensor",
)

rejects = Table(
    "rejects",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("topic", Text, nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("reason", Text, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Index("rejects_received_idx", "received_at"),
    schema="sensor",
)

pending_rollups = Table(  # a pair may be pending twice (migration 0018)
    "pending_rollups",
    metadata,
    Column("datastream_id", Integer, nullable=False),
    Column("hour", DateTime(timezone=True), nullable=False),
    Index("pending_rollups_pair_idx", "datastream_id", "hour"),
    schema="sensor",
)

hourly = _rollup("hourly", "hour", "count")

daily = _rollup("daily", "day", "count", "hours")

aqi_hourly = _aqi("aqi_hourly", "hour")

aqi_daily = _aqi("aqi_daily", "day")

wqi_hourly = _wqi("wqi_hourly", "hour")

wqi_daily = _wqi("wqi_daily", "day")

alerts = Table(
    "alerts",
    metadata,
    Column("id", BigInteger, primary_key=True),
    _owner("station_id", "stations", primary_key=False),
    _owner("datastream_id", "datastreams", primary_key=False, nullable=True),
    Column("parameter", Text, nullable=False),
    Column("period", Text, nullable=False),
    Column("value", Double, nullable=False),
    Column("limit_value", Double, nullable=False),
    Column("standard", Text, nullable=False),
    Column("start_time", DateTime(timezone=True), nullable=False),
    Column("end_time", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint(
        "datastream_id", "period", "start_time", name="alerts_datastream_id_period_start_time_key"
    ),
    Index("alerts_station_time_idx", "station_id", "start_time"),
    Index(
        "alerts_transmission_idx",
        "station_id",
        "start_time",
        unique=True,
        postgresql_where=text("period = 'transmission'"),
    ),
    schema="sensor",
)

station_states = Table(
    "station_states",
    metadata,
    _owner("station_id", "stations"),
    Column("state", Text, nullable=False),
    Column("reason", Text, nullable=True),
    Column("since", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    schema="sensor",
)
