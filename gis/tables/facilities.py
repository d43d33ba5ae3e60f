"""Facility tables (migration 0011_facilities): facilities, their points' regulation,
completeness per station and day; the facility reference of ``sensor.stations``. (The
interruption alerts' nullable datastream and index are declared with ``sensor.alerts``.)"""

from __future__ import annotations

from geoalchemy2 import Geometry
from sqlalchemy import (
    CHAR,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB

from gis.tables.meta import metadata
from gis.tables.sensor import stations

facilities = Table(
    "facilities",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("tax_code", Text, nullable=True),
    Column("address", Text, nullable=True),
    Column("commune_code", CHAR(5), nullable=True),
    Column("sector", Text, nullable=True),
    Column("geom", Geometry("POINT", srid=4326, spatial_index=False), nullable=False),
    Column("metadata", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("code", name="facilities_code_key"),
    Index("facilities_geom_idx", "geom", postgresql_using="gist"),
    schema="sensor",
)

stations.append_column(
    Column(
        "facility_id",
        Integer,
        ForeignKey("sensor.facilities.id", ondelete="RESTRICT"),
        nullable=True,
    )
)
Index("stations_facility_idx", stations.c.facility_id)

monitoring_points = Table(
    "monitoring_points",
    metadata,
    Column(
        "station_id",
        Integer,
        ForeignKey("sensor.stations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("regulation", Text, nullable=False),
    Column("class", Text, nullable=False),
    Column("coefficients", JSONB, nullable=False),
    Column("permit_limits", JSONB, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    schema="sensor",
)

completeness_daily = Table(
    "completeness_daily",
    metadata,
    Column(
        "station_id",
        Integer,
        ForeignKey("sensor.stations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("day", Date, primary_key=True),
    Column("received", Integer, nullable=False),
    Column("expected", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    schema="sensor",
)
