"""Exceedance alerts of QCVN 05:2023 and QCVN 08:2023, their episodes and NOTIFY."""

from __future__ import annotations

import json
from datetime import date, timedelta

import psycopg
import pytest

from gis.settings import to_libpq_url
from sensors import rollups
from sensors.indices.store import day_start
from tests.fixtures.indices import T0, H, ingest, make_station, series


def test_alerts_and_notify(db, database_url: str) -> None:
    _code, sid, ds = make_station(db, "air", ["pm25", "no2"])
    with psycopg.connect(to_libpq_url(database_url), autocommit=True) as listener:
        listener.execute("LISTEN iocgis_alerts")
        # NO2 over its 1 h limit (200) at hour 2; PM2.5 daily mean 46 > 45 (2026 limit).
        no2 = [50.0, 60.0, 250.0, 70.0]
        ingest(db, series(ds["no2"], no2) + series(ds["pm25"], [46.0] * 4))
        rollups.process_pending(db)
        got = db.execute(
            "SELECT parameter, period, value, limit_value, start_time, end_time"
            " FROM sensor.alerts WHERE station_id = %s ORDER BY parameter, period",
            [sid],
        ).fetchall()
        assert ("no2", "1h", 250.0, 200.0, T0 + 2 * H, T0 + 3 * H) in got
        assert ("pm25", "24h", 46.0, 45.0, T0, T0 + 24 * H) in got
        notes = [json.loads(n.payload) for n in listener.notifies(timeout=2, stop_after=3)]
        assert {(n["parameter"], n["period"]) for n in notes} >= {("no2", "1h"), ("pm25", "24h")}
    assert ("no2", "24h", 107.5, 100.0, T0, T0 + 24 * H) in got  # (50+60+250+70)/4
    # A late correction below the limit removes the 1 h and 24 h exceedances; the annual
    # mean so far (70) still exceeds 40.
    ingest(db, [(ds["no2"], T0 + 2 * H + timedelta(minutes=m), 100.0, None) for m in (10, 40)])
    rollups.process_pending(db)
    left = db.execute(
        "SELECT period, value FROM sensor.alerts WHERE station_id = %s AND parameter = 'no2'", [sid]
    ).fetchall()
    assert left == [("annual", 70.0)]


def test_pm25_24h_limit_before_2026(db) -> None:
    _code, sid, ds = make_station(db, "air", ["pm25"])
    start = day_start(date(2025, 12, 20))
    ingest(db, series(ds["pm25"], [48.0] * 3, start))
    rollups.process_pending(db)
    ingest(db, series(ds["pm25"], [48.0] * 3, day_start(date(2026, 1, 1))))
    rollups.process_pending(db)
    got = db.execute(
        "SELECT start_time, limit_value FROM sensor.alerts WHERE station_id = %s"
        " AND period = '24h'",
        [sid],
    ).fetchall()
    assert got == [(day_start(date(2026, 1, 1)), 45.0)]  # 48 ≤ 50 in 2025, > 45 from 2026


def test_o3_8h_alert_and_episodes(db) -> None:
    _code, sid, ds = make_station(db, "air", ["pm25", "o3"])
    # 10 hours at 130 µg/m³: every full 8 h window from hour 0 to hour 2 exceeds 120
    # (windows with at least 6 of their 8 hours present count: ends at hours 5…11).
    ingest(db, series(ds["o3"], [130.0] * 10) + series(ds["pm25"], [10.0] * 10))
    rollups.process_pending(db)
    got = db.execute(
        "SELECT start_time, end_time, value FROM sensor.alerts WHERE station_id = %s"
        " AND period = '8h' ORDER BY start_time",
        [sid],
    ).fetchall()
    assert [g[0] for g in got] == [T0 + k * H for k in range(-2, 5)]
    assert all(g[1] - g[0] == 8 * H and g[2] == pytest.approx(130.0) for g in got)
    episodes = db.execute(
        "SELECT period, start_time, end_time, periods FROM"
        " sensor.alert_episodes WHERE station_id = %s AND period = '8h'",
        [sid],
    ).fetchall()
    # Consecutive 8 h windows overlap rather than touch: each is its own row of the view,
    # while the 1 h exceedances (none here, O3 1 h limit 200) would merge.
    assert len(episodes) == 7
    assert (
        db.execute(
            "SELECT count(*) FROM sensor.alerts WHERE station_id = %s AND period = '1h'", [sid]
        ).fetchone()[0]
        == 0
    )


def test_one_hour_episodes_merge(db) -> None:
    _code, sid, ds = make_station(db, "air", ["pm25", "no2"])
    ingest(
        db, series(ds["no2"], [250.0, 260.0, 270.0, 50.0, 210.0]) + series(ds["pm25"], [10.0] * 5)
    )
    rollups.process_pending(db)
    episodes = db.execute(
        "SELECT start_time, end_time, max_value, periods FROM"
        " sensor.alert_episodes WHERE station_id = %s AND period = '1h'"
        " ORDER BY start_time",
        [sid],
    ).fetchall()
    assert episodes == [(T0, T0 + 3 * H, 270.0, 3), (T0 + 4 * H, T0 + 5 * H, 210.0, 1)]


def test_water_alert_qcvn_08(db) -> None:
    _code, sid, ds = make_station(db, "water", ["nh4", "no2", "ph"])
    ingest(
        db,
        [
            (ds["nh4"], T0 + timedelta(minutes=5), 0.5, None),
            (ds["no2"], T0 + timedelta(minutes=5), 0.04, None),
            (ds["ph"], T0 + timedelta(minutes=5), 7.0, None),
        ],
    )
    rollups.process_pending(db)
    got = db.execute(
        "SELECT parameter, period, value, limit_value, standard FROM sensor.alerts"
        " WHERE station_id = %s",
        [sid],
    ).fetchall()
    assert got == [("nh4", "1h", 0.5, 0.3, "QCVN 08:2023/BTNMT")]
