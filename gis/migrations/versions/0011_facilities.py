"""Facilities (factories) and their monitoring points, transmission interruptions, completeness.

A monitoring point (waste-water outlet or stack) is a ``sensor.stations`` row of kind
``wastewater`` or ``stack`` whose ``facility_id`` names its facility, so readings reach it by
MQTT or by Circular 10/2021 files alike. ``sensor.monitoring_points`` holds what judges it: the
regulation (QCVN 40 / QCVN 19 and successors), its class or column and its coefficients.

Interruptions of transmission ("gián đoạn truyền", TT 10/2021) are rows of ``sensor.alerts``
with period ``transmission`` and no datastream, so they travel the alerts' NOTIFY channel, view
and layer like an exceedance. ``sensor.completeness_daily`` counts the readings received per
station and local day (refreshed by the rollup job).

Revision ID: 0011_facilities
Revises: 0008_access
Create Date: 2026-12-02
"""

from alembic import op

revision = "0011_facilities"
down_revision = "0008_access"
branch_labels = None
depends_on = None

READER = "iocgis_reader"

#: Order in which a facility shows its points' states (worst first): one declaration.
WORST_FIRST = (
    "exceeding", "device_fault", "offline", "about_to_exceed", "trending", "calibrating",
    "working",
)  # fmt: skip

TABLES = r"""
CREATE TABLE sensor.facilities (
    id           serial PRIMARY KEY,
    code         text NOT NULL UNIQUE CHECK (code ~ '^[A-Za-z0-9_.-]{1,64}$'),
    name         text NOT NULL CHECK (name <> ''),
    -- mã số thuế: 10 digits, or 10 digits + '-' + 3 for a dependent unit (Circular 86/2024)
    tax_code     text CHECK (tax_code ~ '^[0-9]{10}(-[0-9]{3})?$'),
    address      text,
    commune_code char(5),
    sector       text,
    geom         geometry(Point, 4326) NOT NULL,
    metadata     jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX facilities_geom_idx ON sensor.facilities USING gist (geom);

ALTER TABLE sensor.stations DROP CONSTRAINT stations_kind_check;
ALTER TABLE sensor.stations ADD CONSTRAINT stations_kind_check
    CHECK (kind IN ('air', 'water', 'wastewater', 'stack'));
ALTER TABLE sensor.stations
    ADD COLUMN facility_id integer REFERENCES sensor.facilities (id) ON DELETE RESTRICT;
-- A point belongs to a facility; an ambient station to none.
ALTER TABLE sensor.stations ADD CONSTRAINT stations_facility_check
    CHECK ((kind IN ('wastewater', 'stack')) = (facility_id IS NOT NULL));
CREATE INDEX stations_facility_idx ON sensor.stations (facility_id);

CREATE TABLE sensor.monitoring_points (
    station_id   integer PRIMARY KEY REFERENCES sensor.stations (id) ON DELETE CASCADE,
    regulation   text NOT NULL,
    class        text NOT NULL,
    coefficients jsonb NOT NULL DEFAULT '{}'::jsonb,
    -- limits its environmental permit sets (parameter -> value), before the regulation's
    permit_limits jsonb NOT NULL DEFAULT '{}'::jsonb,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- Interruptions: a station-wide alert, no datastream; one row per silent spell.
ALTER TABLE sensor.alerts ALTER COLUMN datastream_id DROP NOT NULL;
ALTER TABLE sensor.alerts DROP CONSTRAINT alerts_period_check;
ALTER TABLE sensor.alerts ADD CONSTRAINT alerts_period_check
    CHECK (period IN ('1h', '8h', '24h', 'annual', 'transmission'));
ALTER TABLE sensor.alerts ADD CONSTRAINT alerts_datastream_check
    CHECK ((period = 'transmission') = (datastream_id IS NULL));
CREATE UNIQUE INDEX alerts_transmission_idx ON sensor.alerts (station_id, start_time)
    WHERE period = 'transmission';

CREATE TABLE sensor.completeness_daily (
    station_id integer NOT NULL REFERENCES sensor.stations (id) ON DELETE CASCADE,
    day        date NOT NULL,
    received   integer NOT NULL CHECK (received >= 0),
    expected   integer NOT NULL CHECK (expected >= 0),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (station_id, day)
);
"""

#: Transmission tolerance beyond a station's expected interval before it counts as
#: interrupted: TT 24/2017 Điều 56 (kept by TT 10/2021) wants data sent at most 5 minutes
#: after the measurement.
GRACE = "5 minutes"

TRANSMISSION = f"""
-- Per station: the last reading received, the interval its datastreams promise
-- (3600 s / the highest readings per hour) and whether it has been silent longer than that
-- plus the grace: "gián đoạn truyền". Only active stations can be interrupted; a station
-- without datastreams promises nothing. No GROUP BY at the top: a filter on station_id
-- (the facilities view's, per point) applies before the per-station work.
CREATE VIEW sensor.transmission_status AS
SELECT s.id AS station_id, s.code, s.kind, x.last_received, x.expected_interval,
       s.status = 'active'
           AND coalesce(x.last_received, s.created_at) + x.expected_interval
               + interval '{GRACE}' < now() AS interrupted,
       coalesce(x.last_received, s.created_at) + x.expected_interval AS due_at
FROM sensor.stations s
CROSS JOIN LATERAL (
    SELECT max(lo.received_at) AS last_received,
           make_interval(secs => ceil(3600.0 / max(d.expected_per_hour))) AS expected_interval
    FROM sensor.datastreams d
    LEFT JOIN sensor.latest_observations lo ON lo.datastream_id = d.id
    WHERE d.station_id = s.id
) x
WHERE x.expected_interval IS NOT NULL;
"""

# Per facility through a LATERAL: a tile's or a page's filter on f.geom applies before its
# points are aggregated (a GROUP BY over the whole join would aggregate every facility first).
VIEW = """
CREATE VIEW layers.facilities AS
SELECT f.id::bigint AS fid, f.code, f.name, f.tax_code, f.address,
       f.commune_code::text AS commune_code, f.sector, p.points, p.outlets, p.stacks, p.state,
       p.interrupted, f.geom
FROM sensor.facilities f
CROSS JOIN LATERAL (
    SELECT count(s.id)::integer AS points,
           count(s.id) FILTER (WHERE s.kind = 'wastewater')::integer AS outlets,
           count(s.id) FILTER (WHERE s.kind = 'stack')::integer AS stacks,
           -- a point exceeding its limit in the last hour wins; else its worst station state
           CASE WHEN bool_or(ex.open) THEN 'exceeding' ELSE
           (ARRAY[%s])[min(array_position(ARRAY[%s], coalesce(st.state, 'offline')))]
           END AS state,
           bool_or(tr.interrupted) IS TRUE AS interrupted
    FROM sensor.stations s
    LEFT JOIN sensor.station_states st ON st.station_id = s.id
    LEFT JOIN sensor.transmission_status tr ON tr.station_id = s.id
    LEFT JOIN LATERAL (
        SELECT true AS open FROM sensor.alerts a
        WHERE a.station_id = s.id AND a.period = '1h' AND a.end_time > now() - interval '1 hour'
        LIMIT 1
    ) ex ON true
    WHERE s.facility_id = f.id
) p;
""" % ((", ".join(f"'{s}'" for s in WORST_FIRST),) * 2)

TRIGGERS = """
CREATE TRIGGER facilities_layer_changed AFTER INSERT OR UPDATE OR DELETE ON sensor.facilities
    FOR EACH STATEMENT EXECUTE FUNCTION layers.report_layer_change('facilities');
"""

GRANTS = f"""
GRANT SELECT ON sensor.facilities, sensor.monitoring_points, sensor.completeness_daily
    TO {READER};
GRANT SELECT ON layers.facilities, sensor.transmission_status TO {READER};
"""


def upgrade() -> None:
    op.execute(TABLES)
    op.execute(TRANSMISSION)
    op.execute(VIEW)
    op.execute(TRIGGERS)
    op.execute(GRANTS)


def downgrade() -> None:
    op.execute("DROP VIEW layers.facilities; DROP VIEW sensor.transmission_status")
    op.execute("DROP TABLE sensor.completeness_daily")
    # Interruptions have no datastream: they go before the column is NOT NULL again.
    op.execute("DELETE FROM sensor.alerts WHERE period = 'transmission'")
    op.execute(
        "DROP INDEX sensor.alerts_transmission_idx;"
        " ALTER TABLE sensor.alerts DROP CONSTRAINT alerts_datastream_check;"
        " ALTER TABLE sensor.alerts DROP CONSTRAINT alerts_period_check;"
        " ALTER TABLE sensor.alerts ADD CONSTRAINT alerts_period_check"
        " CHECK (period IN ('1h', '8h', '24h', 'annual'));"
        " ALTER TABLE sensor.alerts ALTER COLUMN datastream_id SET NOT NULL"
    )
    op.execute("DROP TABLE sensor.monitoring_points")
    # Points cannot stay without their kind: they are removed with their readings' streams.
    op.execute("DELETE FROM sensor.stations WHERE kind IN ('wastewater', 'stack')")
    op.execute(
        "ALTER TABLE sensor.stations DROP CONSTRAINT stations_facility_check;"
        " ALTER TABLE sensor.stations DROP COLUMN facility_id;"
        " ALTER TABLE sensor.stations DROP CONSTRAINT stations_kind_check;"
        " ALTER TABLE sensor.stations ADD CONSTRAINT stations_kind_check"
        " CHECK (kind IN ('air', 'water'))"
    )
    op.execute("DROP TABLE sensor.facilities")
