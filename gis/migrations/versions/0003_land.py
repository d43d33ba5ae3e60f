"""Land: land-use codes, map sheets, parcels with history, purposes, land users, imports.

Revision ID: 0003_land
Revises: 0002_admin
Create Date: 2026-11-25
"""

from alembic import op

revision = "0003_land"
down_revision = "0002_admin"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE land.land_use_codes (
            code        text PRIMARY KEY CHECK (code ~ '^[A-Z]{3}$'),
            name_vi     text NOT NULL,
            name_en     text NOT NULL,
            land_group  text NOT NULL
                        CHECK (land_group IN ('agricultural', 'non_agricultural', 'unused')),
            category    text NOT NULL,
            sort_order  integer NOT NULL
        );
        -- Codes of earlier circulars still met in files (BHK, NHK → HNK, ...).
        CREATE TABLE land.land_use_legacy_codes (
            legacy_code text PRIMARY KEY,
            code        text NOT NULL REFERENCES land.land_use_codes (code),
            note        text
        );

        -- A cadastral map sheet (tờ bản đồ) and the VN-2000 TM-3 zone it is drawn in.
        CREATE TABLE land.map_sheets (
            id            serial PRIMARY KEY,
            commune_code  char(5) NOT NULL REFERENCES admin.communes (code),
            sheet_number  integer NOT NULL CHECK (sheet_number > 0),
            srid          integer NOT NULL REFERENCES spatial_ref_sys (srid),
            scale         integer,
            UNIQUE (commune_code, sheet_number)
        );

        CREATE TABLE land.imports (
            id           bigserial PRIMARY KEY,
            source       text NOT NULL,
            sha256       text,
            layer        text,
            srid         integer,
            commune_code char(5),
            started_at   timestamptz NOT NULL DEFAULT now(),
            finished_at  timestamptz,
            added        integer NOT NULL DEFAULT 0,
            versioned    integer NOT NULL DEFAULT 0,
            unchanged    integer NOT NULL DEFAULT 0,
            rejected     integer NOT NULL DEFAULT 0
        );

        -- One row per version of a parcel; the current version has valid_to IS NULL.
        CREATE TABLE land.parcels (
            id                 bigserial PRIMARY KEY,
            commune_code       char(5) NOT NULL REFERENCES admin.communes (code),
            sheet_id           integer NOT NULL REFERENCES land.map_sheets (id),
            sheet_number       integer NOT NULL,
            parcel_number      integer NOT NULL CHECK (parcel_number > 0),
            old_sheet_number   text,
            old_parcel_number  text,
            address            text,
            certificate_number text,
            legal_area_m2      numeric(14, 1) NOT NULL CHECK (legal_area_m2 > 0),
            srid               integer NOT NULL,
            geom_native        geometry(MultiPolygon) NOT NULL CHECK (ST_SRID(geom_native) = srid),
            geom               geometry(MultiPolygon, 4326) NOT NULL,
            content_hash       text NOT NULL,
            valid_from         timestamptz NOT NULL DEFAULT now(),
            valid_to           timestamptz,
            import_id          bigint REFERENCES land.imports (id),
            CHECK (valid_to IS NULL OR valid_to >= valid_from)
        );
        CREATE UNIQUE INDEX parcels_current_key
            ON land.parcels (commune_code, sheet_number, parcel_number) WHERE valid_to IS NULL;
        CREATE INDEX parcels_history_idx
            ON land.parcels (commune_code, sheet_number, parcel_number, valid_from);
        CREATE INDEX parcels_geom_idx ON land.parcels USING gist (geom) WHERE valid_to IS NULL;
        CREATE INDEX parcels_geom_native_idx
            ON land.parcels USING gist (geom_native) WHERE valid_to IS NULL;
        CREATE INDEX parcels_sheet_idx ON land.parcels (sheet_id);

        -- Land-use purposes of a parcel version (mục đích sử dụng), with area, term, origin.
        CREATE TABLE land.parcel_purposes (
            parcel_id     bigint NOT NULL REFERENCES land.parcels (id),
            land_use_code text NOT NULL REFERENCES land.land_use_codes (code),
            area_m2       numeric(14, 1) NOT NULL CHECK (area_m2 > 0),
            term          text,
            origin        text,
            PRIMARY KEY (parcel_id, land_use_code)
        );
        CREATE INDEX parcel_purposes_code_idx ON land.parcel_purposes (land_use_code);

        -- Land users (người sử dụng đất): personal data, kept apart from the parcels.
        CREATE TABLE land.land_users (
            id        bigserial PRIMARY KEY,
            full_name text NOT NULL,
            id_number text UNIQUE,
            address   text
        );
        CREATE TABLE land.parcel_land_users (
            parcel_id    bigint NOT NULL REFERENCES land.parcels (id),
            land_user_id bigint NOT NULL REFERENCES land.land_users (id),
            PRIMARY KEY (parcel_id, land_user_id)
        );
        CREATE INDEX parcel_land_users_user_idx ON land.parcel_land_users (land_user_id);

        CREATE TABLE land.import_rejects (
            id            bigserial PRIMARY KEY,
            import_id     bigint NOT NULL REFERENCES land.imports (id),
            feature_index integer,
            reason        text NOT NULL,
            raw           jsonb NOT NULL,
            created_at    timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX import_rejects_import_idx ON land.import_rejects (import_id);

        -- History is append-only: a version may only be closed (valid_to set once), never
        -- rewritten or deleted.
        CREATE FUNCTION land.parcels_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                RAISE EXCEPTION 'parcel versions are never deleted (parcel %)', OLD.id
                    USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            IF OLD.valid_to IS NOT NULL
               OR NEW.valid_to IS NULL
               OR (to_jsonb(NEW) - 'valid_to') IS DISTINCT FROM (to_jsonb(OLD) - 'valid_to') THEN
                RAISE EXCEPTION 'parcel versions are never rewritten: close it and add a new one'
                    USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER parcels_guard BEFORE UPDATE OR DELETE ON land.parcels
            FOR EACH ROW EXECUTE FUNCTION land.parcels_guard();
        """
    )


def downgrade() -> None:
    op.execute(
        """
        DROP TABLE land.import_rejects, land.parcel_land_users, land.land_users,
            land.parcel_purposes, land.parcels, land.imports, land.map_sheets,
            land.land_use_legacy_codes, land.land_use_codes;
        DROP FUNCTION land.parcels_guard();
        """
    )
