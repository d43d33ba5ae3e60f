"""Splits and merges: operations (the audit of each), parcel lineage, provincial minimums.

``land.parcel_operations`` records who split or merged what, when; ``land.parcel_lineage``
links every retired parcel version to the versions made from it (Land Law 2024 Art. 220);
``land.split_minimums`` holds the province's minimum area (and width/depth where set) per land
type. Land officials (``iocgis_land``) may now write parcel versions: the split and merge
routes run as their role, so the database still decides what a request may do.

Revision ID: 0012_parcel_lineage
Revises: 0012_parcel_code
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0012_parcel_lineage"
down_revision = "0012_parcel_code"
branch_labels = None
depends_on = None

TABLES = """
CREATE TABLE land.parcel_operations (
    id         bigserial PRIMARY KEY,
    kind       text NOT NULL CHECK (kind IN ('split', 'merge')),
    at         timestamptz NOT NULL DEFAULT now(),
    subject    text NOT NULL,
    role       text NOT NULL,
    commune_code char(5) NOT NULL REFERENCES admin.communes (code),
    sheet_number integer NOT NULL,
    note       text
);
CREATE INDEX parcel_operations_at_idx ON land.parcel_operations (at);

CREATE TABLE land.parcel_lineage (
    operation_id bigint NOT NULL REFERENCES land.parcel_operations (id),
    parent_id    bigint NOT NULL REFERENCES land.parcels (id),
    child_id     bigint NOT NULL REFERENCES land.parcels (id),
    PRIMARY KEY (parent_id, child_id)
);
CREATE INDEX parcel_lineage_child_idx ON land.parcel_lineage (child_id);

-- Minimum area (and width/depth where the province sets them) of a new parcel per land type
-- (Land Law 2024 Art. 220(2)(a): "theo quy định của Ủy ban nhân dân cấp tỉnh").
CREATE TABLE land.split_minimums (
    province_code char(2) NOT NULL REFERENCES admin.provinces (code),
    land_use_code text NOT NULL REFERENCES land.land_use_codes (code),
    min_area_m2   numeric(14, 1) NOT NULL CHECK (min_area_m2 > 0),
    min_width_m   numeric(8, 2) CHECK (min_width_m > 0),
    min_depth_m   numeric(8, 2) CHECK (min_depth_m > 0),
    source        text,
    PRIMARY KEY (province_code, land_use_code)
);

-- History stays append-only: no lineage or operation is rewritten.
CREATE TRIGGER parcel_lineage_append_only BEFORE UPDATE OR DELETE ON land.parcel_lineage
    FOR EACH ROW EXECUTE FUNCTION audit.append_only();
CREATE TRIGGER parcel_operations_append_only BEFORE UPDATE OR DELETE ON land.parcel_operations
    FOR EACH ROW EXECUTE FUNCTION audit.append_only();
"""

GRANTS = """
GRANT SELECT ON land.parcel_operations, land.parcel_lineage, land.split_minimums
    TO iocgis_reader;
-- New versions carry their parent's land users (linked by the importer's writer, which adds a
-- user it does not know yet: hence land.land_users too).
GRANT INSERT ON land.parcels, land.parcel_purposes, land.parcel_land_users, land.land_users,
    land.parcel_operations, land.parcel_lineage TO iocgis_land;
GRANT UPDATE (valid_to) ON land.parcels TO iocgis_land;
GRANT USAGE ON SEQUENCE land.parcels_id_seq, land.land_users_id_seq,
    land.parcel_operations_id_seq TO iocgis_land;
-- The change trigger of land.parcels (0007_layers) logs the extent and NOTIFYs: it runs with its
-- owner's rights, so a land official writing parcels needs no right on layers.changes (and
-- cannot write that log, or NOTIFY, other than through a parcel change).
ALTER FUNCTION layers.report_change() SECURITY DEFINER SET search_path = pg_catalog, public;
"""

REVOKES = """
ALTER FUNCTION layers.report_change() SECURITY INVOKER RESET search_path;
REVOKE UPDATE (valid_to) ON land.parcels FROM iocgis_land;
REVOKE INSERT ON land.parcels, land.parcel_purposes, land.parcel_land_users, land.land_users
    FROM iocgis_land;
REVOKE USAGE ON SEQUENCE land.parcels_id_seq, land.land_users_id_seq FROM iocgis_land;
"""


def upgrade() -> None:
    op.execute(TABLES)
    op.execute(GRANTS)


def downgrade() -> None:
    op.execute(REVOKES)
    op.execute("DROP TABLE land.parcel_lineage, land.parcel_operations, land.split_minimums")
