"""Land tables (migrations 0003_land, 0004_land_use_codes, 0007_layers, 0012_parcel_code,
0012_parcel_lineage): codes, sheets, imports, parcels with their purposes and land users,
planning zones, split/merge operations and lineage, minimums for new parcels."""

from __future__ import annotations

from geoalchemy2 import Geometry
from sqlalchemy import (
    CHAR,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from gis.tables.meta import metadata

land_use_codes = Table(
    "land_use_codes",
    metadata,
    Column("code", Text, primary_key=True),
    Column("name_vi", Text, nullable=False),
    Column("name_en", Text, nullable=False),
    Column("land_group", Text, nullable=False),
    Column("category", Text, nullable=False),
    Column("sort_order", Integer, nullable=False),
    schema="land",
)

land_use_legacy_codes = Table(
    "land_use_legacy_codes",
    metadata,
    Column("legacy_code", Text, primary_key=True),
    Column("code", Text, ForeignKey("land.land_use_codes.code"), nullable=False),
    Column("note", Text, nullable=True),
    schema="land",
)

map_sheets = Table(
    "map_sheets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("commune_code", CHAR(5), ForeignKey("admin.communes.code"), nullable=False),
    Column("sheet_number", Integer, nullable=False),
    Column("srid", Integer, ForeignKey("spatial_ref_sys.srid"), nullable=False),
    Column("scale", Integer, nullable=True),
    UniqueConstraint(
        "commune_code", "sheet_number", name="map_sheets_commune_code_sheet_number_key"
    ),
    schema="land",
)

imports = Table(
    "imports",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("source", Text, nullable=False),
    Column("sha256", Text, nullable=True),
    Column("layer", Text, nullable=True),
    Column("srid", Integer, nullable=True),
    Column("commune_code", CHAR(5), nullable=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Column("added", Integer, nullable=False),
    Column("versioned", Integer, nullable=False),
    Column("unchanged", Integer, nullable=False),
    Column("rejected", Integer, nullable=False),
    schema="land",
)

parcels = Table(
    "parcels",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("commune_code", CHAR(5), ForeignKey("admin.communes.code"), nullable=False),
    Column("sheet_id", Integer, ForeignKey("land.map_sheets.id"), nullable=False),
    Column("sheet_number", Integer, nullable=False),
    Column("parcel_number", Integer, nullable=False),
    Column("old_sheet_number", Text, nullable=True),
    Column("old_parcel_number", Text, nullable=True),
    Column("address", Text, nullable=True),
    Column("certificate_number", Text, nullable=True),
    Column("legal_area_m2", Numeric(14, 1), nullable=False),
    Column("srid", Integer, nullable=False),
    Column("geom_native", Geometry("MULTIPOLYGON", srid=-1, spatial_index=False), nullable=False),
    Column("geom", Geometry("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=False),
    Column("content_hash", Text, nullable=False),
    Column("valid_from", DateTime(timezone=True), nullable=False),
    Column("valid_to", DateTime(timezone=True), nullable=True),
    Column("import_id", BigInteger, ForeignKey("land.imports.id"), nullable=True),
    Column("parcel_code", Text, nullable=True),
    Index("parcels_code_history_idx", "parcel_code"),
    Index(
        "parcels_code_key", "parcel_code", unique=True, postgresql_where=text("valid_to IS NULL")
    ),
    Index(
        "parcels_current_key",
        "commune_code",
        "sheet_number",
        "parcel_number",
        unique=True,
        postgresql_where=text("valid_to IS NULL"),
    ),
    Index(
        "parcels_geom_idx",
        "geom",
        postgresql_using="gist",
        postgresql_where=text("valid_to IS NULL"),
    ),
    Index(
        "parcels_geom_native_idx",
        "geom_native",
        postgresql_using="gist",
        postgresql_where=text("valid_to IS NULL"),
    ),
    Index("parcels_history_idx", "commune_code", "sheet_number", "parcel_number", "valid_from"),
    Index("parcels_sheet_idx", "sheet_id"),
    schema="land",
)

parcel_purposes = Table(
    "parcel_purposes",
    metadata,
    Column("parcel_id", BigInteger, ForeignKey("land.parcels.id"), primary_key=True),
    Column("land_use_code", Text, ForeignKey("land.land_use_codes.code"), primary_key=True),
    Column("area_m2", Numeric(14, 1), nullable=False),
    Column("term", Text, nullable=True),
    Column("origin", Text, nullable=True),
    Index("parcel_purposes_code_idx", "land_use_code"),
    schema="land",
)

land_users = Table(
    "land_users",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("full_name", Text, nullable=False),
    Column("id_number", Text, nullable=True),
    Column("address", Text, nullable=True),
    UniqueConstraint("id_number", name="land_users_id_number_key"),
    schema="land",
)

parcel_land_users = Table(
    "parcel_land_users",
    metadata,
    Column("parcel_id", BigInteger, ForeignKey("land.parcels.id"), primary_key=True),
    Column("land_user_id", BigInteger, ForeignKey("land.land_users.id"), primary_key=True),
    Index("parcel_land_users_user_idx", "land_user_id"),
    schema="land",
)

import_rejects = Table(
    "import_rejects",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("import_id", BigInteger, ForeignKey("land.imports.id"), nullable=False),
    Column("feature_index", Integer, nullable=True),
    Column("reason", Text, nullable=False),
    Column("raw", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("import_rejects_import_idx", "import_id"),
    schema="land",
)

planning_zones = Table(
    "planning_zones",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("plan_code", Text, nullable=False),
    Column("plan_name", Text, nullable=False),
    Column("period", Text, nullable=True),
    Column("commune_code", CHAR(5), ForeignKey("admin.communes.code"), nullable=True),
    Column("zone_code", Text, nullable=False),
    Column("planned_use", Text, ForeignKey("land.land_use_codes.code"), nullable=False),
    Column("note", Text, nullable=True),
    Column("synthetic", Boolean, nullable=False),
    Column("geom", Geometry("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=False),
    UniqueConstraint("plan_code", "zone_code", name="planning_zones_plan_code_zone_code_key"),
    Index("planning_zones_commune_idx", "commune_code"),
    Index("planning_zones_geom_idx", "geom", postgresql_using="gist"),
    schema="land",
)

# Splits and merges (migration 0012_parcel_lineage): each operation, its parent → child links,
# and the provinces' minimums for new parcels.
parcel_operations = Table(
    "parcel_operations",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("kind", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("subject", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("commune_code", CHAR(5), ForeignKey("admin.communes.code"), nullable=False),
    Column("sheet_number", Integer, nullable=False),
    Column("note", Text, nullable=True),
    Index("parcel_operations_at_idx", "at"),
    schema="land",
)

parcel_lineage = Table(
    "parcel_lineage",
    metadata,
    Column("operation_id", BigInteger, ForeignKey("land.parcel_operations.id"), nullable=False),
    Column("parent_id", BigInteger, ForeignKey("land.parcels.id"), primary_key=True),
    Column("child_id", BigInteger, ForeignKey("land.parcels.id"), primary_key=True),
    Index("parcel_lineage_child_idx", "child_id"),
    schema="land",
)

split_minimums = Table(
    "split_minimums",
    metadata,
    Column("province_code", CHAR(2), ForeignKey("admin.provinces.code"), primary_key=True),
    Column("land_use_code", Text, ForeignKey("land.land_use_codes.code"), primary_key=True),
    Column("min_area_m2", Numeric(14, 1), nullable=False),
    Column("min_width_m", Numeric(8, 2), nullable=True),
    Column("min_depth_m", Numeric(8, 2), nullable=True),
    Column("source", Text, nullable=True),
    schema="land",
)
