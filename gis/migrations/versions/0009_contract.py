"""The sensors → map contract in the database: categories and states filled from the code.

Migration 0007 restated the VN_AQI/VN_WQI categories as SQL rows (``layers.index_categories``)
and 0006 the station states as a CHECK list; the code declares both (``sensors.indices.
categories``, ``sensors.contract.states``). This migration makes the database read them from
tables filled from those declarations — ``sensor.index_categories`` (every scale: VN_AQI, US AQI,
VN_WQI) and ``sensor.states`` — and computes each station's status once, in the view
``sensor.station_status``, which the map's ``layers.stations`` view now selects from.
``tests/test_sensors_contract.py`` compares the tables with the code; a change of a category or
a state is a new migration that calls :func:`fill` again.

Revision ID: 0009_contract
Revises: 0008_access
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from sensors.contract.states import STATES, STATION_STATES
from sensors.indices.categories import KIND_SCALES, SCALES

revision = "0009_contract"
down_revision = "0008_access"
branch_labels = None
depends_on = None

READER = "iocgis_reader"

TABLES = """
-- One row per category of every index scale, filled from sensors.indices.categories.SCALES.
-- station_kind: the kind of station whose headline index this scale is (the map's colour).
CREATE TABLE sensor.index_categories (
    scale        text NOT NULL,
    low          integer NOT NULL,
    high         integer NOT NULL CHECK (high >= low),
    key          text NOT NULL,
    name_vi      text NOT NULL,
    name_en      text NOT NULL,
    color        text NOT NULL CHECK (color ~ '^#[0-9a-f]{6}$'),
    station_kind text,
    PRIMARY KEY (scale, low),
    UNIQUE (scale, key)
);
-- The station states, filled from sensors.contract.states.STATION_STATES (legend order).
CREATE TABLE sensor.states (
    key      text PRIMARY KEY,
    position integer NOT NULL UNIQUE,
    name_vi  text NOT NULL,
    name_en  text NOT NULL,
    colour   text NOT NULL CHECK (colour ~ '^#[0-9a-f]{6}$')
);
"""

_categories = sa.table(
    "index_categories",
    *(sa.column(c) for c in ("scale", "low", "high", "key", "name_vi", "name_en", "color")),
    sa.column("station_kind"),
    schema="sensor",
)
_states = sa.table(
    "states", *(sa.column(c) for c in ("key", "position", "name_vi", "name_en", "colour")),
    schema="sensor",
)  # fmt: skip

# The headline index of a station (VN_AQI, scheme 'vn', for air; VN_WQI for water), its
# category on the scale of the station's kind, its state and its latest readings. The category
# is the one with the highest lower bound not above the value: above the top band, the top one.
STATION_STATUS = """
CREATE VIEW sensor.station_status AS
SELECT s.id AS station_id, s.code, s.name, s.kind, s.commune_code, s.geom,
       idx.value AS index_value, idx.hour AS index_time, idx.dominant, idx.parameters,
       cat.scale, cat.key AS category, cat.name_vi AS category_vi,
       cat.name_en AS category_en, cat.color,
       st.state, st.reason AS state_reason, st.since AS state_since,
       lv.observed_at, lv.latest
FROM sensor.stations s
LEFT JOIN LATERAL (
    SELECT a.aqi AS value, a.dominant, NULL::text[] AS parameters, a.hour
    FROM sensor.aqi_hourly a
    WHERE s.kind = 'air' AND a.station_id = s.id AND a.scheme = 'vn'
    UNION ALL
    SELECT w.wqi, NULL, w.parameters, w.hour FROM sensor.wqi_hourly w
    WHERE s.kind = 'water' AND w.station_id = s.id AND w.wqi IS NOT NULL
    ORDER BY hour DESC LIMIT 1
) idx ON true
LEFT JOIN LATERAL (
    SELECT c.scale, c.key, c.name_vi, c.name_en, c.color FROM sensor.index_categories c
    WHERE c.station_kind = s.kind AND c.low <= idx.value
    ORDER BY c.low DESC LIMIT 1
) cat ON true
LEFT JOIN sensor.station_states st ON st.station_id = s.id
LEFT JOIN LATERAL (
    SELECT max(lo.phenomenon_time) AS observed_at,
           json_object_agg(d.property_code, lo.result ORDER BY d.property_code)::text AS latest
    FROM sensor.datastreams d JOIN sensor.latest_observations lo ON lo.datastream_id = d.id
    WHERE d.station_id = s.id
) lv ON true;
"""

# Same columns in the same order as 0007's view: OR REPLACE keeps its grants and dependents.
LAYER_VIEW = """
CREATE OR REPLACE VIEW layers.stations AS
SELECT station_id::bigint AS fid, code, name, kind, commune_code::text AS commune_code,
       index_value, category, category_vi, color, dominant, state, observed_at, latest, geom
FROM sensor.station_status;
"""


def _from_0007(statement: str) -> str:
    """0007's own text of the statement starting with ``statement`` (restored on downgrade).

    Read from the 0007 revision rather than retyped, so the downgrade gives back exactly what
    0007 made: its categories table with its rows and its station view.
    """
    from alembic import context  # the environment running this migration

    module = context.script.get_revision("0007_layers").module
    text = module.CHANGES + module.VIEWS
    start = text.index(statement)
    return text[start : text.index(";\n", start) + 1]


def fill() -> None:
    """(Re)write both tables from the code's declarations."""
    kind_of = {scale: kind for kind, scale in KIND_SCALES.items()}
    op.execute("DELETE FROM sensor.index_categories")
    op.bulk_insert(_categories, [
        {"scale": scale, "low": c.low, "high": c.high, "key": c.key, "name_vi": c.name_vi,
         "name_en": c.name_en, "color": c.hex, "station_kind": kind_of.get(scale)}
        for scale, cats in SCALES.items() for c in cats
    ])  # fmt: skip
    # Existing station_states rows reference the keys: upsert, never delete a used one.
    for position, s in enumerate(STATION_STATES):
        op.get_bind().execute(
            sa.text(
                "INSERT INTO sensor.states (key, position, name_vi, name_en, colour)"
                " VALUES (:key, :position, :name_vi, :name_en, :colour) ON CONFLICT (key)"
                " DO UPDATE SET position = EXCLUDED.position, name_vi = EXCLUDED.name_vi,"
                " name_en = EXCLUDED.name_en, colour = EXCLUDED.colour"
            ),
            {"key": s.key, "position": position, "name_vi": s.name_vi, "name_en": s.name_en,
             "colour": s.colour},
        )  # fmt: skip


def upgrade() -> None:
    op.execute(TABLES)
    fill()
    op.execute(
        "ALTER TABLE sensor.station_states DROP CONSTRAINT station_states_state_check,"
        " ADD CONSTRAINT station_states_state_fkey FOREIGN KEY (state)"
        " REFERENCES sensor.states (key)"
    )
    op.execute(STATION_STATUS)
    op.execute(LAYER_VIEW)
    op.execute("DROP TABLE layers.index_categories")
    op.execute(
        f"GRANT SELECT ON sensor.index_categories, sensor.states, sensor.station_status TO {READER}"
    )


def downgrade() -> None:
    op.execute(_from_0007("CREATE TABLE layers.index_categories"))
    op.execute(_from_0007("INSERT INTO layers.index_categories"))
    op.execute(f"GRANT SELECT ON layers.index_categories TO {READER}")
    op.execute(_from_0007("CREATE VIEW layers.stations").replace("CREATE", "CREATE OR REPLACE", 1))
    op.execute("DROP VIEW sensor.station_status")
    states = ", ".join(f"'{key}'" for key in STATES)  # declared keys, no input
    op.execute(
        "ALTER TABLE sensor.station_states DROP CONSTRAINT station_states_state_fkey,"
        f" ADD CONSTRAINT station_states_state_check CHECK (state IN ({states}))"
    )
    op.execute("DROP TABLE sensor.states, sensor.index_categories")
