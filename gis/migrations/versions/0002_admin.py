"""Administrative units after Resolution 202/2025, and the pre-2025 units they replaced.

Revision ID: 0002_admin
Revises: 0001_base
Create Date: 2026-11-25
"""

from alembic import op

revision = "0002_admin"
down_revision = "0001_base"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE admin.provinces (
            code        char(2) PRIMARY KEY CHECK (code ~ '^[0-9]{2}$'),
            name        text NOT NULL,
            full_name   text NOT NULL,
            name_en     text,
            kind        text NOT NULL CHECK (kind IN ('tinh', 'thanh_pho')),
            area_km2    double precision,
            geom        geometry(MultiPolygon, 4326) NOT NULL
        );
        CREATE INDEX provinces_geom_idx ON admin.provinces USING gist (geom);

        CREATE TABLE admin.communes (
            code          char(5) PRIMARY KEY CHECK (code ~ '^[0-9]{5}$'),
            province_code char(2) NOT NULL REFERENCES admin.provinces (code),
            name          text NOT NULL,
            full_name     text NOT NULL,
            name_en       text,
            kind          text NOT NULL CHECK (kind IN ('xa', 'phuong', 'dac_khu')),
            area_km2      double precision,
            -- TM-3 zone of the former province the commune lies in: the default CRS of
            -- new map sheets (the CRS belongs to each sheet; see land.map_sheets).
            tm3_srid      integer,
            geom          geometry(MultiPolygon, 4326) NOT NULL
        );
        CREATE INDEX communes_geom_idx ON admin.communes USING gist (geom);
        CREATE INDEX communes_province_idx ON admin.communes (province_code);

        -- The 63 provinces before 1 Jul 2025, each merged into one current province.
        CREATE TABLE admin.former_provinces (
            code             char(2) PRIMARY KEY,
            name             text NOT NULL,
            province_code    char(2) NOT NULL REFERENCES admin.provinces (code),
            central_meridian double precision,
            tm3_srid         integer
        );

        -- Pre-2025 communes (3-level codes) → current communes; a divided commune has
        -- several rows, one per successor.
        CREATE TABLE admin.former_communes (
            code                 char(5) NOT NULL,
            name                 text NOT NULL,
            district_code        char(3),
            district_name        text,
            former_province_code char(2) NOT NULL REFERENCES admin.former_provinces (code),
            commune_code         char(5) NOT NULL,
            divided              boolean NOT NULL DEFAULT false,
            PRIMARY KEY (code, commune_code)
        );
        CREATE INDEX former_communes_new_idx ON admin.former_communes (commune_code);
        """
    )


def downgrade() -> None:
    op.execute(
        "DROP TABLE admin.former_communes, admin.former_provinces, admin.communes, admin.provinces"
    )
