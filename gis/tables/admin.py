"""Administrative units (migration 0002_admin): 2025 provinces and communes, former units."""

from __future__ import annotations

from geoalchemy2 import Geometry
from sqlalchemy import CHAR, Boolean, Column, Double, ForeignKey, Index, Integer, Table, Text

from gis.tables.meta import metadata

provinces = Table(
    "provinces",
    metadata,
    Column("code", CHAR(2), primary_key=True),
    Column("name", Text, nullable=False),
    Column("full_name", Text, nullable=False),
    Column("name_en", Text, nullable=True),
    Column("kind", Text, nullable=False),
    Column("area_km2", Double, nullable=True),
    Column("geom", Geometry("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=False),
    Index("provinces_geom_idx", "geom", postgresql_using="gist"),
    schema="admin",
)

communes = Table(
    "communes",
    metadata,
    Column("code", CHAR(5), primary_key=True),
    Column("province_code", CHAR(2), ForeignKey("admin.provinces.code"), nullable=False),
    Column("name", Text, nullable=False),
    Column("full_name", Text, nullable=False),
    Column("name_en", Text, nullable=True),
    Column("kind", Text, nullable=False),
    Column("area_km2", Double, nullable=True),
    Column("tm3_srid", Integer, nullable=True),
    Column("geom", Geometry("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=False),
    Index("communes_geom_idx", "geom", postgresql_using="gist"),
    Index("communes_province_idx", "province_code"),
    schema="admin",
)

former_provinces = Table(
    "former_provinces",
    metadata,
    Column("code", CHAR(2), primary_key=True),
    Column("name", Text, nullable=False),
    Column("province_code", CHAR(2), ForeignKey("admin.provinces.code"), nullable=False),
    Column("central_meridian", Double, nullable=True),
    Column("tm3_srid", Integer, nullable=True),
    schema="admin",
)

former_communes = Table(
    "former_communes",
    metadata,
    Column("code", CHAR(5), primary_key=True),
    Column("name", Text, nullable=False),
    Column("district_code", CHAR(3), nullable=True),
    Column("district_name", Text, nullable=True),
    Column(
        "former_province_code", CHAR(2), ForeignKey("admin.former_provinces.code"), nullable=False
    ),
    Column("commune_code", CHAR(5), primary_key=True),
    Column("divided", Boolean, nullable=False),
    Index("former_communes_new_idx", "commune_code"),
    schema="admin",
)
