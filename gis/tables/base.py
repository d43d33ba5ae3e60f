"""Tables of migration 0001_base, and PostGIS's ``spatial_ref_sys`` (declared for foreign keys only:
PostGIS owns it, the drift test leaves it out)."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Integer, String, Table

from gis.tables.meta import metadata

iocgis_srs_original = Table(
    "iocgis_srs_original",
    metadata,
    Column("srid", Integer, primary_key=True),
    Column("existed", Boolean, nullable=False),
    Column("auth_name", String(256), nullable=True),
    Column("auth_srid", Integer, nullable=True),
    Column("srtext", String(2048), nullable=True),
    Column("proj4text", String(2048), nullable=True),
    schema="public",
)

spatial_ref_sys = Table(
    "spatial_ref_sys",
    metadata,
    Column("srid", Integer, primary_key=True),
    info={"owner": "postgis"},  # in the search path's schema, as PostGIS put it
)
