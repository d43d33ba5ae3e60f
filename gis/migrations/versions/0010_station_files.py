"""Station files over FTP: the file ledger, the FTP accounts and the stations' code aliases.

``sensor.station_files`` records every file an account uploaded (its folder-relative path,
size, SHA-256, what became of it and when it was relayed upstream); ``sensor.ftp_accounts``
holds one scrypt password hash per station or facility point (read by the FTP receiver only,
never by a web role); ``sensor.station_aliases`` lists other codes a station's files may carry
in their names (a datalogger configured before the station was registered under its code).

Revision ID: 0010_station_files
Revises: 0008_access
Create Date: 2026-12-02
"""

from alembic import op

revision = "0010_station_files"
down_revision = "0008_access"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        r"""
        CREATE TABLE sensor.ftp_accounts (
            code          text PRIMARY KEY
                          REFERENCES sensor.stations (code) ON DELETE CASCADE ON UPDATE CASCADE,
            password_hash text NOT NULL,
            created_at    timestamptz NOT NULL DEFAULT now(),
            rotated_at    timestamptz NOT NULL DEFAULT now()
        );

        CREATE TABLE sensor.station_aliases (
            alias        text PRIMARY KEY CHECK (alias ~ '^[A-Za-z0-9_.-]{1,64}$'),
            station_code text NOT NULL
                         REFERENCES sensor.stations (code) ON DELETE CASCADE ON UPDATE CASCADE
        );

        CREATE TABLE sensor.station_files (
            id             bigserial PRIMARY KEY,
            account        text NOT NULL,
            path           text NOT NULL,  -- inside the account's folder, '/'-separated
            size           bigint NOT NULL,
            sha256         bytea NOT NULL,
            received_at    timestamptz NOT NULL DEFAULT now(),
            state          text NOT NULL DEFAULT 'received'
                           CHECK (state IN ('received', 'done', 'duplicate', 'rejected')),
            processed_at   timestamptz,
            station_code   text,
            measured_at    timestamptz,
            lines          integer,
            stored         integer,
            rejected_lines integer,
            reason         text,
            relayed_at     timestamptz
        );
        CREATE INDEX station_files_key_idx ON sensor.station_files (account, path, sha256);
        CREATE INDEX station_files_received_idx ON sensor.station_files (received_at);
        CREATE INDEX station_files_unrelayed_idx ON sensor.station_files (id)
            WHERE state = 'done' AND relayed_at IS NULL;

        GRANT SELECT ON sensor.station_files TO iocgis_environment, iocgis_admin;
        GRANT SELECT ON sensor.station_aliases TO iocgis_reader;
        """
    )


def downgrade() -> None:
    op.execute(
        "DROP TABLE sensor.station_files, sensor.station_aliases, sensor.ftp_accounts"
    )
