"""Sensors: stations, datastreams, month-partitioned observations, latest values, rejects.

Observation partitions are created ahead by ``sensor.ensure_observation_partitions`` (called
here for the months around today and by the ingester for every month it meets). Partition
bounds are UTC months. ``sensor.pending_rollups`` lists the (datastream, hour) pairs touched by
ingest, for the rollup job.

Revision ID: 0005_sensor
Revises: 0002_admin
Create Date: 2026-11-25
"""

from alembic import op

revision = "0005_sensor"
down_revision = "0002_admin"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        r"""
        CREATE TABLE sensor.stations (
            id           serial PRIMARY KEY,
            -- the code appears in MQTT topics and account names: no '/', '+', '#' or spaces
            code         text NOT NULL UNIQUE CHECK (code ~ '^[A-Za-z0-9_.-]{1,64}$'),
            name         text NOT NULL,
            kind         text NOT NULL CHECK (kind IN ('air', 'water')),
            geom         geometry(Point, 4326) NOT NULL,
            commune_code char(5),
            status       text NOT NULL DEFAULT 'active'
                         CHECK (status IN ('active', 'inactive', 'maintenance')),
            metadata     jsonb NOT NULL DEFAULT '{}'::jsonb,
            created_at   timestamptz NOT NULL DEFAULT now(),
            updated_at   timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX stations_geom_idx ON sensor.stations USING gist (geom);
        CREATE INDEX stations_commune_idx ON sensor.stations (commune_code);

        CREATE TABLE sensor.datastreams (
            id            serial PRIMARY KEY,
            station_id    integer NOT NULL REFERENCES sensor.stations (id) ON DELETE CASCADE,
            property_code text NOT NULL,
            unit          text NOT NULL,  -- UCUM code
            UNIQUE (station_id, property_code)
        );

        -- No foreign key to datastreams: the ingester checks every reading against its
        -- catalogue, and a per-row FK lookup would halve the insert rate.
        CREATE TABLE sensor.observations (
            datastream_id   integer NOT NULL,
            phenomenon_time timestamptz NOT NULL,
            result          double precision NOT NULL,
            quality         text,
            received_at     timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (datastream_id, phenomenon_time)
        ) PARTITION BY RANGE (phenomenon_time);

        CREATE TABLE sensor.latest_observations (
            datastream_id   integer PRIMARY KEY
                            REFERENCES sensor.datastreams (id) ON DELETE CASCADE,
            phenomenon_time timestamptz NOT NULL,
            result          double precision NOT NULL,
            quality         text,
            received_at     timestamptz NOT NULL
        );

        CREATE TABLE sensor.rejects (
            id          bigserial PRIMARY KEY,
            topic       text NOT NULL,
            payload     bytea NOT NULL,  -- raw bytes: a bad payload may not even be UTF-8
            reason      text NOT NULL,
            received_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX rejects_received_idx ON sensor.rejects (received_at);

        CREATE TABLE sensor.pending_rollups (
            datastream_id integer NOT NULL,
            hour          timestamptz NOT NULL,
            PRIMARY KEY (datastream_id, hour)
        );

        CREATE FUNCTION sensor.ensure_observation_partitions(t_from timestamptz, t_to timestamptz)
        RETURNS integer LANGUAGE plpgsql AS $fn$
        DECLARE
            m timestamp := date_trunc('month', t_from AT TIME ZONE 'UTC');
            last_m timestamp := date_trunc('month', t_to AT TIME ZONE 'UTC');
            part text;
            created integer := 0;
        BEGIN
            -- one creator at a time: concurrent ingesters may meet the same new month
            PERFORM pg_advisory_xact_lock(hashtext('sensor.observations partitions'));
            WHILE m <= last_m LOOP
                part := 'observations_' || to_char(m, 'YYYY_MM');
                IF to_regclass('sensor.' || part) IS NULL THEN
                    EXECUTE format(
                        'CREATE TABLE sensor.%I PARTITION OF sensor.observations'
                        ' FOR VALUES FROM (%L) TO (%L)',
                        part, (m AT TIME ZONE 'UTC'),
                        ((m + interval '1 month') AT TIME ZONE 'UTC'));
                    created := created + 1;
                END IF;
                m := m + interval '1 month';
            END LOOP;
            RETURN created;
        END
        $fn$;

        SELECT sensor.ensure_observation_partitions(now() - interval '1 month',
                                                     now() + interval '3 months');
        """
    )


def downgrade() -> None:
    op.execute(
        "DROP FUNCTION sensor.ensure_observation_partitions(timestamptz, timestamptz);"
        " DROP TABLE sensor.pending_rollups, sensor.rejects, sensor.latest_observations,"
        " sensor.observations, sensor.datastreams, sensor.stations"
    )
