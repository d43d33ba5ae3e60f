"""Access: database roles and grants per role, users and API keys, the personal-data audit log.

Roles are enforced in the database. The web app logs in as ``iocgis_web`` (NOINHERIT: no rights
of its own) and runs each request as ``iocgis_public``, ``iocgis_environment``, ``iocgis_land`` or
``iocgis_admin`` (``SET ROLE``). Only ``iocgis_land`` may read land users: the tables
``land.land_users``, ``land.parcel_land_users``, ``land.import_rejects`` (raw import rows) and the
columns ``layers.parcels.land_users`` and ``land.parcels.certificate_number``. API keys are
looked up through ``auth.verify_api_key`` (SECURITY DEFINER), so no web role reads ``auth``.
``audit.personal_data_views`` is append-only.

PostgreSQL roles belong to the cluster, not the database: they are created if missing and never
dropped on downgrade (another database of the cluster may use them).

Revision ID: 0008_access
Revises: 0007_layers
Create Date: 2026-11-25
"""

from alembic import op

revision = "0008_access"
down_revision = "0007_layers"
branch_labels = None
depends_on = None

#: Group of the grants every web role shares, then the four roles, then the web login role.
READER = "iocgis_reader"
ROLES = ("iocgis_public", "iocgis_environment", "iocgis_land", "iocgis_admin")
WEB = "iocgis_web"

#: Tables and views every role reads (personal data and operational detail excluded).
SHARED_SCHEMAS = ("admin", "sensor", "layers")
LAND_SHARED = (
    "land.land_use_codes", "land.land_use_legacy_codes", "land.map_sheets", "land.imports",
    "land.parcel_purposes", "land.planning_zones",
)  # fmt: skip
#: Columns of land.parcels everyone reads: all but ``certificate_number`` (the land-use right
#: certificate's number identifies its holder through other records: personal data).
LAND_PARCEL_COLUMNS = (
    "id, commune_code, sheet_id, sheet_number, parcel_number, old_sheet_number, "
    "old_parcel_number, address, legal_area_m2, srid, geom_native, geom, content_hash, "
    "valid_from, valid_to, import_id"
)
#: Columns of layers.parcels everyone reads; land officials read every column (+ land_users).
PARCEL_COLUMNS = (
    "fid, commune_code, sheet_number, parcel_number, land_use, purposes, legal_area_m2, "
    "address, valid_from, geom"
)

#: The columns of layers.parcels as migration 0007 made them (restored on downgrade).
PUBLIC_SELECT = """
SELECT p.id AS fid, p.commune_code::text AS commune_code, p.sheet_number, p.parcel_number,
       (SELECT pp.land_use_code FROM land.parcel_purposes pp WHERE pp.parcel_id = p.id
        ORDER BY pp.area_m2 DESC, pp.land_use_code LIMIT 1) AS land_use,
       (SELECT string_agg(pp.land_use_code || ':' || pp.area_m2::text, ';'
                          ORDER BY pp.area_m2 DESC, pp.land_use_code)
        FROM land.parcel_purposes pp WHERE pp.parcel_id = p.id) AS purposes,
       p.legal_area_m2::double precision AS legal_area_m2, p.address, p.valid_from, p.geom"""
CURRENT = """
FROM land.parcels p
WHERE p.valid_to IS NULL;
"""
# Personal data (JSON text) as the last column: only iocgis_land is granted it.
PARCELS_VIEW = (
    "CREATE OR REPLACE VIEW layers.parcels AS"
    + PUBLIC_SELECT
    + """,
       (SELECT json_agg(json_build_object('full_name', u.full_name, 'id_number', u.id_number,
                                          'address', u.address) ORDER BY u.full_name, u.id)::text
        FROM land.parcel_land_users l JOIN land.land_users u ON u.id = l.land_user_id
        WHERE l.parcel_id = p.id) AS land_users"""
    + CURRENT
)
OLD_PARCELS_VIEW = (
    "DROP VIEW layers.parcels; CREATE VIEW layers.parcels AS" + PUBLIC_SELECT + CURRENT
)

TABLES = """
CREATE SCHEMA auth;
CREATE TABLE auth.users (
    id         bigserial PRIMARY KEY,
    name       text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9._@-]{1,64}$'),
    role       text NOT NULL CHECK (role IN ('public', 'environment', 'land', 'admin')),
    full_name  text,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
-- An API key is stored as its SHA-256 only; key_id is its public prefix (shown in listings).
CREATE TABLE auth.api_keys (
    id           bigserial PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES auth.users (id),
    key_id       text NOT NULL UNIQUE,
    key_hash     bytea NOT NULL UNIQUE CHECK (length(key_hash) = 32),
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz,
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX api_keys_user_idx ON auth.api_keys (user_id);

-- The one way the web app checks a key: (user name, role) of a valid key, else no row.
CREATE FUNCTION auth.verify_api_key(p_hash bytea) RETURNS TABLE (name text, role text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, auth AS $$
DECLARE
    k_id bigint;
BEGIN
    SELECT k.id, u.name, u.role INTO k_id, name, role
    FROM auth.api_keys k JOIN auth.users u ON u.id = k.user_id
    WHERE k.key_hash = p_hash AND k.revoked_at IS NULL AND u.revoked_at IS NULL
      AND (k.expires_at IS NULL OR k.expires_at > now());
    IF NOT FOUND THEN
        RETURN;
    END IF;
    -- At most one write a minute per key, so authentication stays a read.
    UPDATE auth.api_keys SET last_used_at = now()
    WHERE id = k_id AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute');
    RETURN NEXT;
END $$;
REVOKE ALL ON FUNCTION auth.verify_api_key(bytea) FROM PUBLIC;

CREATE SCHEMA audit;
-- Who saw which land users' data, when, through which request. Append-only.
CREATE TABLE audit.personal_data_views (
    id         bigserial PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    subject    text NOT NULL,
    role       text NOT NULL,
    method     text NOT NULL,
    action     text NOT NULL,
    target     text,
    parcel_ids bigint[] NOT NULL DEFAULT '{}',
    client     text
);
CREATE INDEX personal_data_views_at_idx ON audit.personal_data_views (at);
CREATE INDEX personal_data_views_subject_idx ON audit.personal_data_views (subject, at);
CREATE FUNCTION audit.append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER personal_data_views_append_only
    BEFORE UPDATE OR DELETE ON audit.personal_data_views
    FOR EACH ROW EXECUTE FUNCTION audit.append_only();
CREATE TRIGGER personal_data_views_no_truncate
    BEFORE TRUNCATE ON audit.personal_data_views
    FOR EACH STATEMENT EXECUTE FUNCTION audit.append_only();
"""


def _create_role(name: str, options: str) -> str:
    # Tolerates a concurrent creator (another database of the cluster migrating at once).
    return f"""
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{name}') THEN
        CREATE ROLE {name} {options};
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
"""


def _grants() -> str:
    shared = ", ".join(SHARED_SCHEMAS)
    lines = [
        f"GRANT USAGE ON SCHEMA {shared}, land TO {READER};",
        *(f"GRANT SELECT ON ALL TABLES IN SCHEMA {s} TO {READER};" for s in SHARED_SCHEMAS),
        # Quarantined sensor payloads are operational detail, not public.
        f"REVOKE SELECT ON sensor.rejects FROM {READER};",
        "GRANT SELECT ON sensor.rejects TO iocgis_environment, iocgis_admin;",
        f"REVOKE SELECT ON layers.parcels FROM {READER};",
        f"GRANT SELECT ({PARCEL_COLUMNS}) ON layers.parcels TO {READER};",
        f"GRANT SELECT ON {', '.join(LAND_SHARED)} TO {READER};",
        f"GRANT SELECT ({LAND_PARCEL_COLUMNS}) ON land.parcels TO {READER};",
        # Land users, their links, certificate numbers and the raw rows of rejected imports:
        # land officials only.
        "GRANT SELECT ON land.land_users, land.parcel_land_users, land.import_rejects,"
        " land.parcels, layers.parcels TO iocgis_land;",
        "GRANT USAGE ON SCHEMA audit TO iocgis_land, iocgis_admin;",
        "GRANT INSERT ON audit.personal_data_views TO iocgis_land;",
        "GRANT USAGE ON SEQUENCE audit.personal_data_views_id_seq TO iocgis_land;",
        "GRANT SELECT ON audit.personal_data_views TO iocgis_admin;",
        # Administrators list users and keys (never the hashes' owners' secrets: only hashes).
        "GRANT USAGE ON SCHEMA auth TO iocgis_admin;",
        "GRANT SELECT (id, name, role, full_name, created_at, revoked_at) ON auth.users"
        " TO iocgis_admin;",
        "GRANT SELECT (id, user_id, key_id, created_at, expires_at, last_used_at, revoked_at)"
        " ON auth.api_keys TO iocgis_admin;",
        # The login role itself: key look-up and the tile caches' change log, nothing else.
        f"GRANT USAGE ON SCHEMA auth, layers TO {WEB};",
        f"GRANT EXECUTE ON FUNCTION auth.verify_api_key(bytea) TO {WEB};",
        f"GRANT SELECT ON layers.changes TO {WEB};",
        # Tables created later in the shared schemas (new partitions read through the parent).
        *(
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT SELECT ON TABLES TO {READER};"
            for s in ("admin", "layers")
        ),
    ]
    return "\n".join(lines)


def upgrade() -> None:
    op.execute(_create_role(READER, "NOLOGIN"))
    for role in ROLES:
        op.execute(_create_role(role, "NOLOGIN"))
        op.execute(f"GRANT {READER} TO {role}")
    op.execute(_create_role(WEB, "LOGIN NOINHERIT"))
    for role in ROLES:
        op.execute(f"GRANT {role} TO {WEB}")
    op.execute(PARCELS_VIEW)
    op.execute(TABLES)
    op.execute(_grants())


def downgrade() -> None:
    for schema in ("admin", "layers"):
        op.execute(
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} REVOKE SELECT ON TABLES FROM {READER}"
        )
    op.execute("DROP SCHEMA audit CASCADE")
    op.execute("DROP SCHEMA auth CASCADE")
    op.execute(OLD_PARCELS_VIEW)
    shared = ", ".join(SHARED_SCHEMAS)
    everyone = ", ".join((READER, *ROLES, WEB))
    for schema in (*SHARED_SCHEMAS, "land"):
        op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {everyone}")
    op.execute(f"REVOKE ALL ON SCHEMA {shared}, land FROM {everyone}")
