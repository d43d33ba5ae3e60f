"""Notifications and reports: subscriptions, the alert outbox, episodes, deliveries, reports.

The outbox is written by triggers IN THE SAME TRANSACTION as what it announces: a new
exceedance (``sensor.alerts`` insert), a station state change (``sensor.station_states``) and a
changed hourly VN_AQI (``sensor.aqi_hourly``). A crash therefore loses no notification: the
notifier (``iocgis notify run``) turns outbox rows into deliveries in one transaction, then sends
each delivery and marks it sent right after the SMTP server or webhook accepted it.

Subscriptions hold e-mail addresses and webhook secrets: environment staff and administrators
manage them; nobody but the notifier (the owner) reads a webhook's secret.

Revision ID: 0014_notify
Revises: 0008_access
Create Date: 2026-12-02
"""

from alembic import op

revision = "0014_notify"
down_revision = "0008_access"
branch_labels = None
depends_on = None

STAFF = "iocgis_environment, iocgis_admin"
#: Columns of notify.subscriptions staff read (everything but the webhook secret).
PUBLIC_SUBSCRIPTION_COLUMNS = (
    "id, subscriber, channel, address, kind, area, min_category, language, quiet_start,"
    " quiet_end, active, created_at"
)

TABLES = r"""
CREATE SCHEMA notify;
CREATE TABLE notify.subscriptions (
    id           bigserial PRIMARY KEY,
    subscriber   text NOT NULL CHECK (subscriber ~ '^[^\x00-\x1f\x7f]{1,200}$'),
    channel      text NOT NULL CHECK (channel IN ('email', 'webhook')),
    address      text NOT NULL CHECK (length(address) BETWEEN 3 AND 2000),
    secret       text CHECK (channel = 'email' OR length(secret) >= 16),
    kind         text NOT NULL CHECK (kind IN ('exceedance', 'aqi', 'offline', 'device')),
    area         text NOT NULL CHECK (area ~ '^[A-Za-z0-9_.-]{1,64}$'),
    min_category smallint NOT NULL DEFAULT 1 CHECK (min_category BETWEEN 1 AND 6),
    language     text NOT NULL DEFAULT 'vi' CHECK (language IN ('vi', 'en')),
    quiet_start  time,
    quiet_end    time,
    active       boolean NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK ((quiet_start IS NULL) = (quiet_end IS NULL))
);
CREATE INDEX subscriptions_subscriber_idx ON notify.subscriptions (subscriber);

CREATE TABLE notify.outbox (
    id         bigserial PRIMARY KEY,
    source     text NOT NULL CHECK (source IN ('alert', 'state', 'aqi')),
    station_id integer NOT NULL,
    payload    jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- One open episode per (kind, station, subject): an exceedance of one parameter and period,
-- an AQI episode, an offline or device-fault spell. ``last_at`` and ``noticed_at`` are data
-- times (the reminder policy follows the data, not the notifier's clock).
CREATE TABLE notify.episodes (
    id            bigserial PRIMARY KEY,
    kind          text NOT NULL,
    station_id    integer NOT NULL REFERENCES sensor.stations (id) ON DELETE CASCADE,
    subject       text NOT NULL,
    datastream_id integer,
    period        text,
    level         smallint NOT NULL DEFAULT 0,
    opened_at     timestamptz NOT NULL,
    last_at       timestamptz NOT NULL,
    noticed_at    timestamptz NOT NULL,
    closed_at     timestamptz
);
CREATE UNIQUE INDEX episodes_open_idx ON notify.episodes (kind, station_id, subject)
    WHERE closed_at IS NULL;

CREATE TABLE notify.deliveries (
    id              bigserial PRIMARY KEY,
    subscription_id bigint NOT NULL REFERENCES notify.subscriptions (id) ON DELETE CASCADE,
    episode_id      bigint REFERENCES notify.episodes (id) ON DELETE SET NULL,
    phase           text NOT NULL CHECK (phase IN ('start', 'reminder', 'escalation', 'end',
                                                   'test')),
    station_id      integer,
    subject         text NOT NULL,
    body            text NOT NULL,
    payload         jsonb NOT NULL,
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'retrying', 'sent', 'failed', 'suppressed')),
    reason          text,
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz
);
CREATE INDEX deliveries_due_idx ON notify.deliveries (next_attempt_at)
    WHERE status IN ('pending', 'retrying');
CREATE INDEX deliveries_subscription_idx ON notify.deliveries (subscription_id, created_at);
CREATE INDEX deliveries_episode_idx ON notify.deliveries (episode_id);

CREATE FUNCTION notify.alert_outbox() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    INSERT INTO notify.outbox (source, station_id, payload)
    VALUES ('alert', NEW.station_id, to_jsonb(NEW));
    RETURN NULL;
END
$fn$;
CREATE TRIGGER alerts_outbox AFTER INSERT ON sensor.alerts
    FOR EACH ROW EXECUTE FUNCTION notify.alert_outbox();

CREATE FUNCTION notify.state_outbox() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    IF TG_OP = 'INSERT' OR OLD.state IS DISTINCT FROM NEW.state THEN
        INSERT INTO notify.outbox (source, station_id, payload)
        VALUES ('state', NEW.station_id, jsonb_build_object(
            'state', NEW.state, 'previous', CASE WHEN TG_OP = 'UPDATE' THEN OLD.state END,
            'reason', NEW.reason, 'at', now()));
    END IF;
    RETURN NULL;
END
$fn$;
CREATE TRIGGER station_states_outbox AFTER INSERT OR UPDATE ON sensor.station_states
    FOR EACH ROW EXECUTE FUNCTION notify.state_outbox();

CREATE FUNCTION notify.aqi_outbox() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    IF NEW.scheme = 'vn' AND (TG_OP = 'INSERT' OR OLD.aqi IS DISTINCT FROM NEW.aqi) THEN
        INSERT INTO notify.outbox (source, station_id, payload)
        VALUES ('aqi', NEW.station_id, jsonb_build_object(
            'hour', NEW.hour, 'aqi', NEW.aqi, 'dominant', NEW.dominant));
    END IF;
    RETURN NULL;
END
$fn$;
CREATE TRIGGER aqi_hourly_outbox AFTER INSERT OR UPDATE ON sensor.aqi_hourly
    FOR EACH ROW EXECUTE FUNCTION notify.aqi_outbox();

CREATE SCHEMA reports;
CREATE TABLE reports.reports (
    id           bigserial PRIMARY KEY,
    kind         text NOT NULL CHECK (kind IN ('air', 'water')),
    area         text NOT NULL,
    period       text NOT NULL,
    revision     integer NOT NULL DEFAULT 1,
    fingerprint  text NOT NULL,
    summary      jsonb NOT NULL,
    pdf          bytea NOT NULL,
    xlsx         bytea NOT NULL,
    generated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (kind, area, period, revision)
);
"""


def upgrade() -> None:
    op.execute(TABLES)
    op.execute(
        "\n".join(
            (
                f"GRANT USAGE ON SCHEMA notify, reports TO {STAFF};",
                f"GRANT SELECT ({PUBLIC_SUBSCRIPTION_COLUMNS}) ON notify.subscriptions TO {STAFF};",
                f"GRANT INSERT, UPDATE, DELETE ON notify.subscriptions TO {STAFF};",
                f"GRANT USAGE ON SEQUENCE notify.subscriptions_id_seq TO {STAFF};",
                f"GRANT SELECT ON notify.deliveries, notify.episodes TO {STAFF};",
                "GRANT SELECT (id, kind, area, period, revision, summary, generated_at, pdf, xlsx)"
                f" ON reports.reports TO {STAFF};",
            )
        )
    )


def downgrade() -> None:
    op.execute(
        "DROP TRIGGER aqi_hourly_outbox ON sensor.aqi_hourly;"
        " DROP TRIGGER station_states_outbox ON sensor.station_states;"
        " DROP TRIGGER alerts_outbox ON sensor.alerts;"
        " DROP SCHEMA reports CASCADE; DROP SCHEMA notify CASCADE"
    )
