"""Rollups against the real PostGIS: statistics, stored AQI/WQI, late data, alerts, states."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest

from sensors import rollups
from sensors.indices import daily_aqi, hourly_aqi, round_half_up, vn_sub_index
from tests.fixtures.indices import DAY, T0, H, ingest, make_station, series


def test_hourly_daily_stats_and_coverage(db) -> None:
    _code, _sid, ds = make_station(db, "air", ["pm25"])
    db.execute("UPDATE sensor.datastreams SET expected_per_hour = 4 WHERE id = %s", [ds["pm25"]])
    db.commit()
    ingest(db, series(ds["pm25"], [30.0, 50.0, None, 10.0]))
    assert rollups.process_pending(db) == 3
    rows = db.execute(
        "SELECT hour, mean, min, max, count, coverage FROM sensor.hourly"
        " WHERE datastream_id = %s ORDER BY hour",
        [ds["pm25"]],
    ).fetchall()
    assert [(r[0], r[1], r[2], r[3], r[4]) for r in rows] == [
        (T0, 30.0, 29.0, 31.0, 2),
        (T0 + H, 50.0, 49.0, 51.0, 2),
        (T0 + 3 * H, 10.0, 9.0, 11.0, 2),
    ]
    assert rows[0][5] == pytest.approx(0.5)
    day = db.execute(
        "SELECT day, mean, min, max, count, hours, coverage FROM sensor.daily"
        " WHERE datastream_id = %s",
        [ds["pm25"]],
    ).fetchall()
    assert day == [(DAY, 30.0, 9.0, 51.0, 6, 3, pytest.approx(3 / 24))]
    assert db.execute("SELECT count(*) FROM sensor.pending_rollups").fetchone()[0] == 0


def test_stored_aqi_matches_the_formulas(db) -> None:
    code, sid, ds = make_station(db, "air", ["pm25", "no2", "o3"])
    rng = np.random.default_rng(3)
    pm = [float(v) for v in np.round(rng.gamma(3, 12, 30), 1)]
    no2 = [float(v) for v in np.round(rng.gamma(3, 30, 30), 1)]
    o3 = [float(v) for v in np.round(rng.gamma(4, 30, 30), 1)]
    pm[5] = None  # a gap
    start = T0 - 3 * H
    rows = (
        series(ds["pm25"], pm, start) + series(ds["no2"], no2, start) + series(ds["o3"], o3, start)
    )
    ingest(db, rows)
    rollups.process_pending(db)
    arr = {
        p: np.array([[np.nan if v is None else v for v in vals]])
        for p, vals in (("pm25", pm), ("no2", no2), ("o3", o3))
    }
    expected = hourly_aqi(arr)
    stored = dict(
        db.execute(
            "SELECT hour, aqi FROM sensor.aqi_hourly WHERE station_id = %s AND scheme = 'vn'", [sid]
        ).fetchall()
    )
    for i in range(30):
        hour = start + i * H
        if np.isnan(expected.aqi[0, i]):
            assert hour not in stored
        else:
            assert stored[hour] == expected.aqi[0, i], hour
    # Daily: the day's 24 h starting 00:00 local; the 3 hours before are its O3 8 h lead.
    lead = {p: np.concatenate([np.full((1, 4), np.nan), a[:, :27]], axis=1) for p, a in arr.items()}
    daily = daily_aqi(lead, lead=7)
    got = db.execute(
        "SELECT aqi, dominant FROM sensor.aqi_daily WHERE station_id = %s"
        " AND scheme = 'vn' AND day = %s",
        [sid, DAY],
    ).fetchone()
    assert got == (daily.aqi[0, 0], daily.dominant[0, 0])
    assert (
        db.execute(
            "SELECT count(*) FROM sensor.aqi_hourly WHERE station_id = %s AND scheme = 'us'", [sid]
        ).fetchone()[0]
        > 0
    )
    assert code


def test_late_reading_recomputes_hour_nowcast_hours_and_day(db) -> None:
    _code, sid, ds = make_station(db, "air", ["pm25"])
    values = [20.0] * 20
    values[4] = None
    ingest(db, series(ds["pm25"], values))
    rollups.process_pending(db)

    def stored() -> dict[datetime, int]:
        return dict(
            db.execute(
                "SELECT hour, aqi FROM sensor.aqi_hourly WHERE station_id = %s AND scheme = 'vn'",
                [sid],
            ).fetchall()
        )

    before = stored()
    first_pass = db.execute(
        "SELECT max(computed_at) FROM sensor.aqi_hourly WHERE station_id = %s", [sid]
    ).fetchone()[0]
    db.commit()
    assert before[T0 + 10 * H] == round_half_up(vn_sub_index("pm25", 20.0))
    day_before = db.execute(
        "SELECT aqi FROM sensor.aqi_daily WHERE station_id = %s AND scheme = 'vn'", [sid]
    ).fetchone()[0]
    # A late, much higher reading for hour 4 arrives after everything was computed.
    ingest(db, [(ds["pm25"], T0 + 4 * H + timedelta(minutes=30), 200.0, None)])
    assert rollups.process_pending(db) == 1
    after = stored()
    filled = [np.nan if v is None else v for v in values]
    filled[4] = 200.0
    expected = hourly_aqi({"pm25": np.array([filled])}).aqi[0]
    for i in range(20):
        assert after.get(T0 + i * H) == (None if np.isnan(expected[i]) else expected[i]), i
    # Every NowCast hour the late hour feeds (4 … 15) was recomputed, and rose where the
    # weight 0.5^(i-1) still shows after rounding; hour 3 and hours 16+ were left alone.
    for i in range(4, 10):
        assert after[T0 + i * H] > before[T0 + i * H]
    stamps = dict(
        db.execute(
            "SELECT hour, computed_at > %s FROM sensor.aqi_hourly"
            " WHERE station_id = %s AND scheme = 'vn'",
            [first_pass, sid],
        )
    )
    assert [i for i in range(20) if stamps.get(T0 + i * H)] == list(range(4, 16))
    day_after = db.execute(
        "SELECT aqi FROM sensor.aqi_daily WHERE station_id = %s AND scheme = 'vn'", [sid]
    ).fetchone()[0]
    mean = (20.0 * 19 + 200.0) / 20  # 19 hours at 20 and the late hour
    assert day_after == round_half_up(vn_sub_index("pm25", mean)) > day_before


def test_water_wqi_stored_with_parameter_set_and_reason(db) -> None:
    _code, sid, ds = make_station(
        db, "water", ["ph", "do", "water_temperature", "bod5", "cod", "nh4", "coliform"]
    )
    vals = {
        "ph": 7.0,
        "do": 6.0,
        "water_temperature": 25.0,
        "bod5": 5.0,
        "cod": 12.0,
        "nh4": 0.2,
        "coliform": 3000.0,
    }
    ingest(db, [(ds[p], T0 + timedelta(minutes=5), v, None) for p, v in vals.items()])
    ingest(db, [(ds["bod5"], T0 + H + timedelta(minutes=5), 5.0, None)])
    rollups.process_pending(db)
    rows = db.execute(
        "SELECT hour, wqi, formula, band, parameters, reason FROM sensor.wqi_hourly"
        " WHERE station_id = %s ORDER BY hour",
        [sid],
    ).fetchall()
    assert rows[0][1:5] == (91, 3, "very_good", ["bod5", "cod", "coliform", "do", "nh4", "ph"])
    assert rows[1][1] is None and "group IV" in rows[1][5]


def test_flagged_readings_stay_out_of_the_statistics(db) -> None:
    _code, _sid, ds = make_station(db, "air", ["pm25"])
    ingest(
        db,
        [
            (ds["pm25"], T0 + timedelta(minutes=5), 20.0, None),
            (ds["pm25"], T0 + timedelta(minutes=25), 900.0, "calibration"),
            (ds["pm25"], T0 + timedelta(minutes=45), 30.0, "ok"),
        ],
    )
    rollups.process_pending(db)
    assert db.execute(
        "SELECT mean, count FROM sensor.hourly WHERE datastream_id = %s", [ds["pm25"]]
    ).fetchone() == (25.0, 2)


def test_long_backlog_in_adjacent_windows(db, monkeypatch) -> None:
    # A backlog longer than one window is cut into adjacent windows; the hours and days both
    # windows reach are written once, with the same values as one whole computation.
    from sensors.indices import store

    monkeypatch.setattr(store, "CLUSTER_SPAN", timedelta(hours=10))
    _code, sid, ds = make_station(db, "air", ["pm25", "o3"])
    rng = np.random.default_rng(11)
    pm = [float(v) for v in np.round(rng.gamma(3, 15, 40), 1)]
    o3 = [float(v) for v in np.round(rng.gamma(4, 40, 40), 1)]
    ingest(db, series(ds["pm25"], pm) + series(ds["o3"], o3))
    rollups.process_pending(db)
    arr = {"pm25": np.array([pm + [np.nan] * 11]), "o3": np.array([o3 + [np.nan] * 11])}
    want = hourly_aqi(arr).aqi[0]
    stored = dict(
        db.execute(
            "SELECT hour, aqi FROM sensor.aqi_hourly WHERE station_id = %s AND scheme = 'vn'", [sid]
        ).fetchall()
    )
    assert stored == {T0 + i * H: int(v) for i, v in enumerate(want) if not np.isnan(v)}
    lead = {p: np.concatenate([np.full((1, 7), np.nan), a[:, :48]], axis=1) for p, a in arr.items()}
    days = dict(
        db.execute(
            "SELECT day, aqi FROM sensor.aqi_daily WHERE station_id = %s AND scheme = 'vn'", [sid]
        ).fetchall()
    )
    assert days == {
        DAY: daily_aqi(lead, lead=7).aqi[0, 0],
        DAY + timedelta(days=1): daily_aqi(lead, lead=7).aqi[0, 1],
    }
