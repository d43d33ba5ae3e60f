"""Rollups (hourly, daily), AQI and WQI per station, exceedance alerts, station states.

Hours are labelled by their start (UTC instants); days are local dates in Vietnam time
(Asia/Ho_Chi_Minh, UTC+7): day D holds the hours starting 00:00–23:00 local, the decision's
01:00–24:00. New alerts are announced with NOTIFY on channel ``iocgis_alerts``.

Revision ID: 0006_indices
Revises: 0005_sensor
Create Date: 2026-11-25
"""

from alembic import op

revision = "0006_indices"
down_revision = "0005_sensor"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        r"""
        -- An ingest transaction that meets an already pending (datastream, hour) locks it, so
        -- the rollup worker (which skips locked rows) cannot take the pair before this
        -- transaction's readings are committed. With ON CONFLICT DO NOTHING alone the old
        -- row stays claimable: a worker could recompute the hour without the new readings
        -- and drop the pair, leaving a stale index.
        CREATE FUNCTION sensor.lock_pending_rollup() RETURNS trigger LANGUAGE plpgsql AS $fn$
        BEGIN
            PERFORM 1 FROM sensor.pending_rollups
            WHERE datastream_id = NEW.datastream_id AND hour = NEW.hour FOR UPDATE;
            RETURN NEW;
        END
        $fn$;
        CREATE TRIGGER pending_rollups_lock BEFORE INSERT ON sensor.pending_rollups
            FOR EACH ROW EXECUTE FUNCTION sensor.lock_pending_rollup();

        -- Readings a datastream delivers per hour when complete (hourly coverage = count/this).
        ALTER TABLE sensor.datastreams
            ADD COLUMN IF NOT EXISTS expected_per_hour integer NOT NULL DEFAULT 1
            CHECK (expected_per_hour > 0);

        CREATE TABLE sensor.hourly (
            datastream_id integer NOT NULL REFERENCES sensor.datastreams (id) ON DELETE CASCADE,
            hour          timestamptz NOT NULL,
            mean          double precision NOT NULL,
            min           double precision NOT NULL,
            max           double precision NOT NULL,
            count         integer NOT NULL,
            coverage      real NOT NULL,
            PRIMARY KEY (datastream_id, hour)
        );

        -- mean = mean of the hourly means (the decision's 24 h mean); coverage = hours/24.
        CREATE TABLE sensor.daily (
            datastream_id integer NOT NULL REFERENCES sensor.datastreams (id) ON DELETE CASCADE,
            day           date NOT NULL,
            mean          double precision NOT NULL,
            min           double precision NOT NULL,
            max           double precision NOT NULL,
            count         integer NOT NULL,
            hours         integer NOT NULL,
            coverage      real NOT NULL,
            PRIMARY KEY (datastream_id, day)
        );

        CREATE TABLE sensor.aqi_hourly (
            station_id     integer NOT NULL REFERENCES sensor.stations (id) ON DELETE CASCADE,
            scheme         text NOT NULL CHECK (scheme IN ('vn', 'us')),
            hour           timestamptz NOT NULL,
            aqi            integer NOT NULL,
            dominant       text NOT NULL,
            sub_indices    jsonb NOT NULL,
            computed_at    timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (station_id, scheme, hour)
        );

        CREATE TABLE sensor.aqi_daily (
            station_id     integer NOT NULL REFERENCES sensor.stations (id) ON DELETE CASCADE,
            scheme         text NOT NULL CHECK (scheme IN ('vn', 'us')),
            day            date NOT NULL,
            aqi            integer NOT NULL,
            dominant       text NOT NULL,
            sub_indices    jsonb NOT NULL,
            computed_at    timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (station_id, scheme, day)
        );

        -- A row even when no WQI can be given (wqi NULL, reason says why).
        CREATE TABLE sensor.wqi_hourly (
            station_id  integer NOT NULL REFERENCES sensor.stations (id) ON DELETE CASCADE,
            hour        timestamptz NOT NULL,
            wqi         integer,
            raw         double precision,
            formula     smallint,
            band        text,
            parameters  text[] NOT NULL,
            sub_indices jsonb NOT NULL,
            reason      text,
            computed_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (station_id, hour)
        );

        CREATE TABLE sensor.wqi_daily (
            station_id  integer NOT NULL REFERENCES sensor.stations (id) ON DELETE CASCADE,
            day         date NOT NULL,
            wqi         integer,
            raw         double precision,
            formula     smallint,
            band        text,
            parameters  text[] NOT NULL,
            sub_indices jsonb NOT NULL,
            reason      text,
            computed_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (station_id, day)
        );

        -- One row per exceeding averaging period; consecutive ones form an episode
        -- (sensor.alert_episodes).
        CREATE TABLE sensor.alerts (
            id            bigserial PRIMARY KEY,
            station_id    integer NOT NULL REFERENCES sensor.stations (id) ON DELETE CASCADE,
            datastream_id integer NOT NULL REFERENCES sensor.datastreams (id) ON DELETE CASCADE,
            parameter     text NOT NULL,
            period        text NOT NULL CHECK (period IN ('1h', '8h', '24h', 'annual')),
            value         double precision NOT NULL,
            limit_value   double precision NOT NULL,
            standard      text NOT NULL,
            start_time    timestamptz NOT NULL,
            end_time      timestamptz NOT NULL,
            created_at    timestamptz NOT NULL DEFAULT now(),
            updated_at    timestamptz NOT NULL DEFAULT now(),
            UNIQUE (datastream_id, period, start_time)
        );
        CREATE INDEX alerts_station_time_idx ON sensor.alerts (station_id, start_time);

        CREATE FUNCTION sensor.notify_new_alert() RETURNS trigger LANGUAGE plpgsql AS $fn$
        BEGIN
            PERFORM pg_notify('iocgis_alerts', json_build_object(
                'id', NEW.id,
                'station', (SELECT code FROM sensor.stations WHERE id = NEW.station_id),
                'parameter', NEW.parameter, 'period', NEW.period,
                'value', NEW.value, 'limit', NEW.limit_value, 'standard', NEW.standard,
                'start', NEW.start_time, 'end', NEW.end_time)::text);
            RETURN NULL;
        END
        $fn$;
        CREATE TRIGGER alerts_notify AFTER INSERT ON sensor.alerts
            FOR EACH ROW EXECUTE FUNCTION sensor.notify_new_alert();

        -- Consecutive (touching) exceedances of one datastream and period merged.
        CREATE VIEW sensor.alert_episodes AS
        WITH marked AS (
            SELECT a.*, CASE WHEN lag(end_time) OVER w = start_time THEN 0 ELSE 1 END AS new_ep
            FROM sensor.alerts a
            WINDOW w AS (PARTITION BY datastream_id, period ORDER BY start_time)
        ), numbered AS (
            SELECT m.*, sum(new_ep) OVER (PARTITION BY datastream_id, period
                                          ORDER BY start_time) AS episode
            FROM marked m
        )
        SELECT station_id, datastream_id, parameter, period, standard,
               min(start_time) AS start_time, max(end_time) AS end_time,
               max(value) AS max_value, max(limit_value) AS limit_value, count(*) AS periods
        FROM numbered
        GROUP BY station_id, datastream_id, parameter, period, standard, episode;

        CREATE TABLE sensor.station_states (
            station_id integer PRIMARY KEY REFERENCES sensor.stations (id) ON DELETE CASCADE,
            state      text NOT NULL CHECK (state IN ('working', 'trending', 'about_to_exceed',
                           'exceeding', 'offline', 'calibrating', 'device_fault')),
            reason     text,
            since      timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        """
    )


def downgrade() -> None:
    op.execute(
        "DROP VIEW sensor.alert_episodes;"
        " DROP TABLE sensor.station_states, sensor.alerts, sensor.wqi_daily, sensor.wqi_hourly,"
        " sensor.aqi_daily, sensor.aqi_hourly, sensor.daily, sensor.hourly;"
        " DROP FUNCTION sensor.notify_new_alert();"
        " DROP TRIGGER pending_rollups_lock ON sensor.pending_rollups;"
        " DROP FUNCTION sensor.lock_pending_rollup();"
        " ALTER TABLE sensor.datastreams DROP COLUMN IF EXISTS expected_per_hour"
    )
