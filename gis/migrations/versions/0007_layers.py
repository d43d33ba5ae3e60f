"""Layers: change-extent log and triggers, the planning table, the views the layer catalog reads.

Each trigger reports the extent (WGS 84 bounding box) of the rows a statement touched into
``layers.changes`` and NOTIFYs ``iocgis_layers_changed``, so the tile cache drops exactly the
affected tiles. The views in schema ``layers`` are the sources the catalog (layers/catalog.py)
declares: ``fid``, the declared properties and ``geom`` (MultiPolygon/Point, SRID 4326).

Revision ID: 0007_layers
Revises: 0004_land_use_codes, 0006_indices
Create Date: 2026-11-25
"""

from alembic import op

revision = "0007_layers"
# A merge of the land and sensor branches rather than ``depends_on = ("0006_indices",)``: with
# depends_on, alembic keeps 0006 among the script heads while the database records only 0007,
# so "migrated to every head" could never be checked. Upgrade/downgrade order is the same.
down_revision = ("0004_land_use_codes", "0006_indices")
branch_labels = None
depends_on = None

CHANGES = """
CREATE SCHEMA IF NOT EXISTS layers;

CREATE TABLE layers.changes (
    id      bigserial PRIMARY KEY,
    source  text NOT NULL,
    -- WGS 84 extent of the changed rows; all NULL: the whole layer changed.
    west    double precision,
    south   double precision,
    east    double precision,
    north   double precision,
    at      timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE FUNCTION layers.record_change(src text, box box2d) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    cid bigint;
BEGIN
    INSERT INTO layers.changes (source, west, south, east, north)
    VALUES (src, ST_XMin(box), ST_YMin(box), ST_XMax(box), ST_YMax(box))
    RETURNING id INTO cid;
    -- Readers only need recent changes: keep a day of them.
    IF cid % 1000 = 0 THEN
        DELETE FROM layers.changes WHERE at < clock_timestamp() - interval '1 day';
    END IF;
    PERFORM pg_notify('iocgis_layers_changed', json_build_object(
        'id', cid, 'source', src,
        'bbox', CASE WHEN box IS NULL THEN NULL
                ELSE json_build_array(ST_XMin(box), ST_YMin(box), ST_XMax(box), ST_YMax(box))
                END)::text);
END $$;

-- Statement-level: one row per statement with the extent of every row it touched.
CREATE FUNCTION layers.report_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    box box2d;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT ST_Extent(geom) INTO box FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT ST_Extent(geom) INTO box FROM old_rows;
    ELSE
        SELECT ST_Extent(geom) INTO box
        FROM (SELECT geom FROM new_rows UNION ALL SELECT geom FROM old_rows) AS touched;
    END IF;
    IF box IS NOT NULL THEN
        PERFORM layers.record_change(TG_ARGV[0], box);
    END IF;
    RETURN NULL;
END $$;

-- For small layers redrawn whole (stations, alerts): no extent, every tile of the layer.
CREATE FUNCTION layers.report_layer_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM layers.record_change(TG_ARGV[0], NULL);
    RETURN NULL;
END $$;

-- Categories of the indices (VN_AQI: Decision 1459 Bảng 1; VN_WQI: Decision 1460), for the
-- station layer's colours. tests/test_layers_catalog.py checks them against sensors.indices.
CREATE TABLE layers.index_categories (
    index_kind text NOT NULL CHECK (index_kind IN ('aqi', 'wqi')),
    low        integer NOT NULL,
    high       integer NOT NULL,
    key        text NOT NULL,
    name_vi    text NOT NULL,
    name_en    text NOT NULL,
    color      text NOT NULL,
    PRIMARY KEY (index_kind, low)
);
INSERT INTO layers.index_categories VALUES
    ('aqi', 0, 50, 'good', 'Tốt', 'Good', '#00e400'),
    ('aqi', 51, 100, 'moderate', 'Trung bình', 'Moderate', '#ffff00'),
    ('aqi', 101, 150, 'poor', 'Kém', 'Poor', '#ff7e00'),
    ('aqi', 151, 200, 'bad', 'Xấu', 'Bad', '#ff0000'),
    ('aqi', 201, 300, 'very_bad', 'Rất xấu', 'Very bad', '#8f3f97'),
    ('aqi', 301, 100000, 'hazardous', 'Nguy hại', 'Hazardous', '#7e0023'),
    ('wqi', 91, 100, 'very_good', 'Rất tốt', 'Very good', '#3333ff'),
    ('wqi', 76, 90, 'good', 'Tốt', 'Good', '#00e400'),
    ('wqi', 51, 75, 'medium', 'Trung bình', 'Medium', '#ffff00'),
    ('wqi', 26, 50, 'poor', 'Kém', 'Poor', '#ff7e00'),
    ('wqi', 10, 25, 'heavily_polluted', 'Ô nhiễm nặng', 'Heavily polluted', '#ff0000'),
    ('wqi', 0, 9, 'very_heavily_polluted', 'Ô nhiễm rất nặng', 'Very heavily polluted',
     '#7e0023');
"""

PLANNING = """
-- Land-use planning zones (quy hoạch sử dụng đất): the planned purpose of each zone.
CREATE TABLE land.planning_zones (
    id            bigserial PRIMARY KEY,
    plan_code     text NOT NULL,
    plan_name     text NOT NULL,
    period        text,
    commune_code  char(5) REFERENCES admin.communes (code),
    zone_code     text NOT NULL,
    planned_use   text NOT NULL REFERENCES land.land_use_codes (code),
    note          text,
    synthetic     boolean NOT NULL DEFAULT false,
    geom          geometry(MultiPolygon, 4326) NOT NULL CHECK (ST_IsValid(geom)),
    UNIQUE (plan_code, zone_code)
);
CREATE INDEX planning_zones_geom_idx ON land.planning_zones USING gist (geom);
CREATE INDEX planning_zones_commune_idx ON land.planning_zones (commune_code);
"""

TRIGGERED = (
    ("land.parcels", "parcels"),
    ("land.planning_zones", "planning"),
    ("admin.provinces", "provinces"),
    ("admin.communes", "communes"),
)


#: Sensor tables whose changes redraw the station and alert layers.
WHOLE_LAYER = (
    ("sensor.stations", "stations"),
    ("sensor.aqi_hourly", "stations"),
    ("sensor.wqi_hourly", "stations"),
    ("sensor.station_states", "stations"),
    ("sensor.alerts", "alerts"),
)


def _triggers() -> str:
    parts = []
    for table, source in WHOLE_LAYER:
        name = table.split(".")[1]
        parts.append(
            f"CREATE TRIGGER {name}_layer_changed AFTER INSERT OR UPDATE OR DELETE ON {table}"
            f" FOR EACH STATEMENT EXECUTE FUNCTION layers.report_layer_change('{source}');"
        )
    for table, source in TRIGGERED:
        name = table.split(".")[1]
        for event, ref in (
            ("INSERT", "NEW TABLE AS new_rows"),
            ("UPDATE", "NEW TABLE AS new_rows OLD TABLE AS old_rows"),
            ("DELETE", "OLD TABLE AS old_rows"),
        ):
            parts.append(
                f"CREATE TRIGGER {name}_changed_{event.lower()} AFTER {event} ON {table}"
                f" REFERENCING {ref} FOR EACH STATEMENT"
                f" EXECUTE FUNCTION layers.report_change('{source}');"
            )
    return "\n".join(parts)


VIEWS = """
CREATE VIEW layers.provinces AS
SELECT code::bigint AS fid, code::text AS code, name, name_en, kind, geom
FROM admin.provinces;

CREATE VIEW layers.communes AS
SELECT code::bigint AS fid, code::text AS code, province_code::text AS province_code, name,
       name_en, kind, area_km2, geom
FROM admin.communes;

-- Current parcel versions; land_use = the purpose with the largest area (colour of the map),
-- purposes = every purpose as CODE:AREA;CODE:AREA. Scalar subqueries rather than joins: a
-- query that does not read these columns (a count, a filter on others) does not compute them.
CREATE VIEW layers.parcels AS
SELECT p.id AS fid, p.commune_code::text AS commune_code, p.sheet_number, p.parcel_number,
       (SELECT pp.land_use_code FROM land.parcel_purposes pp WHERE pp.parcel_id = p.id
        ORDER BY pp.area_m2 DESC, pp.land_use_code LIMIT 1) AS land_use,
       (SELECT string_agg(pp.land_use_code || ':' || pp.area_m2::text, ';'
                          ORDER BY pp.area_m2 DESC, pp.land_use_code)
        FROM land.parcel_purposes pp WHERE pp.parcel_id = p.id) AS purposes,
       p.legal_area_m2::double precision AS legal_area_m2, p.address, p.valid_from, p.geom
FROM land.parcels p
WHERE p.valid_to IS NULL;

-- Stations with their current index (VN_AQI for air, VN_WQI for water), category, state and
-- latest values (JSON text: property code → value).
CREATE VIEW layers.stations AS
SELECT s.id::bigint AS fid, s.code, s.name, s.kind, s.commune_code::text AS commune_code,
       idx.value AS index_value, cat.key AS category, cat.name_vi AS category_vi,
       cat.color, idx.dominant, st.state, lv.observed_at, lv.latest, s.geom
FROM sensor.stations s
LEFT JOIN LATERAL (
    SELECT a.aqi AS value, a.dominant, a.hour FROM sensor.aqi_hourly a
    WHERE s.kind = 'air' AND a.station_id = s.id AND a.scheme = 'vn'
    UNION ALL
    SELECT w.wqi, NULL, w.hour FROM sensor.wqi_hourly w
    WHERE s.kind = 'water' AND w.station_id = s.id AND w.wqi IS NOT NULL
    ORDER BY hour DESC LIMIT 1
) idx ON true
LEFT JOIN layers.index_categories cat
    ON cat.index_kind = CASE s.kind WHEN 'air' THEN 'aqi' ELSE 'wqi' END
   AND idx.value BETWEEN cat.low AND cat.high
LEFT JOIN sensor.station_states st ON st.station_id = s.id
LEFT JOIN LATERAL (
    SELECT max(lo.phenomenon_time) AS observed_at,
           json_object_agg(d.property_code, lo.result ORDER BY d.property_code)::text AS latest
    FROM sensor.datastreams d JOIN sensor.latest_observations lo ON lo.datastream_id = d.id
    WHERE d.station_id = s.id
) lv ON true;

CREATE VIEW layers.alerts AS
SELECT a.id AS fid, s.code AS station_code, a.parameter, a.period, a.value, a.limit_value,
       a.standard, a.start_time AS started_at, a.end_time AS ended_at, st.state, s.geom
FROM sensor.alerts a
JOIN sensor.stations s ON s.id = a.station_id
LEFT JOIN sensor.station_states st ON st.station_id = s.id;

-- Delay of the newest stored reading between its observation and its arrival.
CREATE VIEW layers.ingest_status AS
SELECT extract(epoch FROM received_at - phenomenon_time)::double precision AS lag_seconds,
       received_at
FROM sensor.latest_observations ORDER BY received_at DESC LIMIT 1;

CREATE VIEW layers.planning AS
SELECT id AS fid, plan_code, plan_name, period, commune_code::text AS commune_code, zone_code,
       planned_use, note, synthetic, geom
FROM land.planning_zones;
"""


def upgrade() -> None:
    op.execute(CHANGES)
    op.execute(PLANNING)
    op.execute(_triggers())
    op.execute(VIEWS)


def downgrade() -> None:
    for table, _source in TRIGGERED:
        name = table.split(".")[1]
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}_changed_{event} ON {table}")
    for table, _source in WHOLE_LAYER:
        op.execute(f"DROP TRIGGER IF EXISTS {table.split('.')[1]}_layer_changed ON {table}")
    op.execute("DROP SCHEMA layers CASCADE")
    op.execute("DROP TABLE land.planning_zones")
