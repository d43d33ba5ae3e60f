"""The sensors → map contract: the database's categories, states and channels are the code's."""

from __future__ import annotations

import os
import uuid

import psycopg
import pytest

from gis import migrate
from gis.db import drop_database
from sensors.contract import (
    ALERTS_CHANNEL,
    KIND_SCALES,
    LAYERS_CHANNEL,
    SCALES,
    STATION_STATES,
    category_of,
)
from tests.conftest import BASE_URL


def test_index_categories_table_is_the_declaration(conn):
    rows = conn.execute(
        "SELECT scale, low, high, key, name_vi, name_en, color, station_kind"
        " FROM sensor.index_categories ORDER BY scale, low"
    ).fetchall()
    kind_of = {scale: kind for kind, scale in KIND_SCALES.items()}
    want = sorted(
        (scale, c.low, c.high, c.key, c.name_vi, c.name_en, c.hex, kind_of.get(scale))
        for scale, cats in SCALES.items()
        for c in cats
    )
    assert rows == want
    assert {r[0] for r in rows} == {"vn_aqi", "us_aqi", "vn_wqi"}


def test_states_table_is_the_declaration(conn):
    rows = conn.execute(
        "SELECT key, name_vi, name_en, colour FROM sensor.states ORDER BY position"
    ).fetchall()
    assert rows == [(s.key, s.name_vi, s.name_en, s.colour) for s in STATION_STATES]


def test_an_undeclared_state_is_refused(conn):
    sid = conn.execute(
        "INSERT INTO sensor.stations (code, name, kind, geom) VALUES"
        " ('CONTRACT1', 'x', 'air', ST_SetSRID(ST_MakePoint(105.8, 21.0), 4326)) RETURNING id"
    ).fetchone()[0]
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        conn.execute(
            "INSERT INTO sensor.station_states (station_id, state) VALUES (%s, 'sleeping')", [sid]
        )


#: How a test writes a station's headline index (air: VN_AQI, water: VN_WQI).
INDEX_ROWS = {
    "air": (
        "DELETE FROM sensor.aqi_hourly WHERE station_id = %s",
        "INSERT INTO sensor.aqi_hourly (station_id, hour, scheme, dominant, sub_indices, aqi)"
        " VALUES (%s, now(), 'vn', 'pm25', '{}'::jsonb, %s)",
    ),
    "water": (
        "DELETE FROM sensor.wqi_hourly WHERE station_id = %s",
        "INSERT INTO sensor.wqi_hourly (station_id, hour, parameters, sub_indices, wqi)"
        " VALUES (%s, now(), '{do}', '{}'::jsonb, %s)",
    ),
}


@pytest.mark.parametrize("scale", sorted(set(KIND_SCALES.values())))
def test_the_status_view_names_every_value_as_the_code_does(conn, scale):
    """Every index value 0–600 gets the same category from the view's rule and from the code."""
    kind = next(k for k, s in KIND_SCALES.items() if s == scale)
    sid = conn.execute(
        "INSERT INTO sensor.stations (code, name, kind, geom) VALUES"
        " (%s, 'x', %s, ST_SetSRID(ST_MakePoint(105.8, 21.0), 4326)) RETURNING id",
        [f"CONTRACT-{kind}", kind],
    ).fetchone()[0]
    delete, insert = INDEX_ROWS[kind]
    got = {}
    for value in range(0, 601):
        conn.execute(delete, [sid])
        conn.execute(insert, [sid, value])
        got[value] = conn.execute(
            "SELECT category, category_vi, color FROM sensor.station_status WHERE station_id = %s",
            [sid],
        ).fetchone()
    for value, row in got.items():
        cat = category_of(value, scale)
        assert row == ((cat.key, cat.name_vi, cat.hex) if cat else (None, None, None)), value


def test_database_notifies_on_the_contract_channels(conn):
    for function, channel in (
        ("sensor.notify_new_alert", ALERTS_CHANNEL),
        ("layers.record_change", LAYERS_CHANNEL),
    ):
        (source,) = conn.execute("SELECT pg_get_functiondef(%s::regproc)", [function]).fetchone()
        assert f"pg_notify('{channel}'" in source, function


def test_downgrade_gives_back_0007s_categories_and_view() -> None:
    url = f"{BASE_URL}/iocgis_contract_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        migrate.upgrade(url)
        with psycopg.connect(url) as c:
            c.execute(
                "INSERT INTO sensor.stations (code, name, kind, geom) VALUES"
                " ('DOWN1', 'x', 'air', ST_SetSRID(ST_MakePoint(105.8, 21.0), 4326))"
            )
        migrate.downgrade(url, "0009_contract-1")
        with psycopg.connect(url) as c:
            rows = c.execute(
                "SELECT index_kind, key, high FROM layers.index_categories ORDER BY 1, low"
            ).fetchall()
            assert [r[1] for r in rows if r[0] == "aqi"] == [c.key for c in SCALES["vn_aqi"]]
            assert ("aqi", "hazardous", 100000) in rows  # exactly as 0007 wrote it
            view = c.execute("SELECT pg_get_viewdef('layers.stations'::regclass)").fetchone()
            assert "index_categories" in view[0] and "station_status" not in view[0]
            with pytest.raises(psycopg.errors.CheckViolation):
                c.execute(
                    "INSERT INTO sensor.station_states (station_id, state)"
                    " SELECT id, 'sleeping' FROM sensor.stations WHERE code = 'DOWN1'"
                )
        migrate.upgrade(url)
        with psycopg.connect(url) as c:
            assert c.execute("SELECT count(*) FROM sensor.states").fetchone() == (
                len(STATION_STATES),
            )
            assert c.execute("SELECT to_regclass('layers.index_categories')").fetchone() == (None,)
    finally:
        drop_database(url)
