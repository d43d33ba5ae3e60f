"""Station states: working, trending, about to exceed, exceeding, offline, calibrating, fault."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gis.settings import Settings
from sensors import rollups, states
from tests.fixtures.indices import T0, H, ingest, make_station, series


def test_states(db) -> None:
    _code, sid, ds = make_station(db, "air", ["pm25", "no2"])
    now = T0 + 5 * H + timedelta(minutes=50)
    ingest(
        db,
        series(ds["no2"], [20.0, 40.0, 185.0], T0 + 3 * H)
        + series(ds["pm25"], [20.0, 21.0, 22.0], T0 + 3 * H),
    )
    rollups.process_pending(db)
    # 185 ≥ 0.9 × 200 → about to exceed.
    assert states.refresh(db, [sid], now=now)[sid][0] == "about_to_exceed"
    assert states.refresh(db, [sid], now=now + 2 * H)[sid][0] == "offline"
    ingest(db, [(ds["no2"], T0 + 6 * H + timedelta(minutes=10), 260.0, None)])
    rollups.process_pending(db)
    assert states.refresh(db, [sid], now=now + H)[sid][0] == "exceeding"
    ingest(
        db,
        [
            (ds["pm25"], T0 + 6 * H + timedelta(minutes=m), 22.0, None)
            for m in (11, 12, 13, 14, 15, 16)
        ],
    )
    rollups.process_pending(db)
    assert states.refresh(db, [sid], now=now + H)[sid][0] == "device_fault"
    ingest(db, [(ds["pm25"], T0 + 6 * H + timedelta(minutes=20), 25.0, "calibration")])
    rollups.process_pending(db)
    state = states.refresh(db, [sid], now=now + H)[sid]
    assert state[0] == "calibrating"
    db.commit()
    assert (
        db.execute(
            "SELECT state FROM sensor.station_states WHERE station_id = %s", [sid]
        ).fetchone()[0]
        == "calibrating"
    )


def test_trending_state() -> None:
    cfg = Settings()
    hours = [T0 + 2 * H, T0 + H, T0]
    rising = states.Signal("air", "no2", hours, [150.0, 120.0, 90.0], None, None)
    assert states.judge([rising], cfg)[0] == "trending"
    flat = states.Signal("air", "no2", hours, [150.0, 150.0, 150.0], None, None)
    assert states.judge([flat], cfg)[0] == "working"


def test_state_sweep_marks_silent_stations_offline(db, monkeypatch) -> None:
    _code, sid, ds = make_station(db, "air", ["pm25"])
    recent = datetime.now(UTC) - timedelta(minutes=50)
    ingest(db, [(ds["pm25"], recent, 20.0, None)])
    rollups.process_pending(db)
    db.commit()
    assert (
        db.execute(
            "SELECT state FROM sensor.station_states WHERE station_id = %s", [sid]
        ).fetchone()[0]
        == "working"
    )
    # Nothing new arrives; with a 30-minute threshold the periodic sweep finds it silent.
    monkeypatch.setattr(states, "get_settings", lambda: Settings(state_offline_minutes=30))
    monkeypatch.setitem(rollups._last_sweep, "at", float("-inf"))
    assert rollups.process_pending(db) == 0
    db.commit()
    assert (
        db.execute(
            "SELECT state FROM sensor.station_states WHERE station_id = %s", [sid]
        ).fetchone()[0]
        == "offline"
    )


def test_out_of_range_run_is_a_device_fault(db) -> None:
    code, sid, ds = make_station(db, "air", ["pm25"])
    now = datetime.now(UTC)
    ingest(db, [(ds["pm25"], now - timedelta(minutes=20), 20.0, None)])
    rollups.process_pending(db)
    with db.transaction():
        for k in range(3):
            db.execute(
                "INSERT INTO sensor.rejects (topic, payload, reason) VALUES (%s, %s, %s)",
                [f"stations/{code}/telemetry", b"{}", f"pm25=-{k + 1} outside 0..2000 ug/m3"],
            )
    state, why = states.refresh(db, [sid])[sid]
    assert state == "device_fault" and "out-of-range" in (why or "")
