"""Facilities and their points on real PostGIS: import, limits × coefficients on hourly means,
exceedance alerts, interruptions of transmission."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from gis.errors import InvalidInput
from sensors import rollups, states
from sensors.facilities import interruptions
from sensors.facilities.regulations import REGULATIONS, point_limit
from sensors.facilities.store import import_file
from tests.fixtures.indices import T0, db, ingest, series  # noqa: F401  (db is a fixture)

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "facilities" / "demo_facilities.csv"
HEADER = SAMPLE.read_text(encoding="utf-8").splitlines()[0]


def _csv(tmp_path: Path, rows: list[str], name: str = "f.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def _row(fac: str, point: str, kind: str = "wastewater", params: str = "ph;cod;tss",
         regulation: str = "QCVN 40:2011/BTNMT", klass: str = "B",
         coefficients: str = "kq=0.9;kf=1.1", permit: str = "", per_hour: str = "12",
         name: str = "Nhà máy thử") -> str:  # fmt: skip
    return (
        f"{fac},{name},0101234567,,,dệt,105.78,21.12,{point},{point} outlet,{kind},,,"
        f"{params},{regulation},{klass},{coefficients},{permit},{per_hour}"
    )


def _codes() -> tuple[str, str]:
    tag = uuid.uuid4().hex[:6].upper()
    return f"F{tag}", f"F{tag}-P1"


def _ds(conn: psycopg.Connection, point: str) -> dict[str, int]:
    rows = conn.execute(
        "SELECT d.property_code, d.id FROM sensor.datastreams d JOIN sensor.stations s"
        " ON s.id = d.station_id WHERE s.code = %s",
        [point],
    ).fetchall()
    return dict(rows)


def test_limits_apply_coefficients_where_the_regulation_says() -> None:
    """Cmax = C × Kq × Kf (QCVN 40:2011) and C × Kp × Kv (QCVN 19:2009); a permit wins."""
    cod = point_limit("QCVN 40:2011/BTNMT", "B", {"kq": 0.9, "kf": 1.1}, {}, "cod")
    assert cod is not None and cod.value == pytest.approx(150 * 0.9 * 1.1)
    dust = point_limit("QCVN 19:2009/BTNMT", "B", {"kp": 1.0, "kv": 0.8}, {}, "pm")
    assert dust is not None and dust.value == pytest.approx(200 * 0.8)
    ph = point_limit("QCVN 40:2011/BTNMT", "B", {"kq": 0.9, "kf": 1.1}, {}, "ph")
    assert ph is not None and (ph.low, ph.high) == (5.5, 9.0)  # a range: no coefficient
    assert ph.exceeded_by(9.5) and ph.exceeded_by(5.0) and not ph.exceeded_by(7.0)
    permit = point_limit("QCVN 40:2025/BTNMT", "B", {}, {"cod": 100}, "cod")
    assert permit is not None and permit.value == 100 and permit.source == "permit"
    # No value read for the 2025 table and none in the permit: not judged (never guessed).
    assert point_limit("QCVN 40:2025/BTNMT", "B", {}, {}, "tss") is None
    assert not REGULATIONS["QCVN 40:2025/BTNMT"].limits


def test_import_registers_facilities_and_points(database_url: str, conn, tmp_path) -> None:
    summary = import_file(conn, SAMPLE)
    conn.commit()
    assert (summary.facilities, summary.points) == (3, 4)
    rows = conn.execute(
        "SELECT s.code, s.kind, f.code, mp.regulation, mp.class, mp.coefficients,"
        " mp.permit_limits FROM sensor.stations s JOIN sensor.facilities f"
        " ON f.id = s.facility_id JOIN sensor.monitoring_points mp ON mp.station_id = s.id"
        " WHERE f.code LIKE 'DEMO-F%' ORDER BY s.code"
    ).fetchall()
    assert [r[0] for r in rows] == ["DEMO-F1-KT1", "DEMO-F1-NT1", "DEMO-F2-NT1", "DEMO-F3-KT1"]
    assert rows[1][1:6] == ("wastewater", "DEMO-F1", "QCVN 40:2011/BTNMT", "B",
                            {"kq": 0.9, "kf": 1.0})  # fmt: skip
    assert rows[2][6] == {"cod": 100, "tss": 60, "tn": 30, "tp": 5}
    per_hour = conn.execute(
        "SELECT DISTINCT d.expected_per_hour FROM sensor.datastreams d JOIN sensor.stations s"
        " ON s.id = d.station_id WHERE s.code = 'DEMO-F1-NT1'"
    ).fetchall()
    assert per_hour == [(12,)]


def test_reimport_updates_and_never_loses(database_url: str, db, tmp_path) -> None:  # noqa: F811
    conn = db
    fac, point = _codes()
    import_file(conn, _csv(tmp_path, [_row(fac, point, params="ph;cod;tss")]))
    conn.commit()
    ds = _ds(conn, point)
    ingest(conn, [(ds["cod"], T0, 50.0, None)])
    # Renamed, one parameter dropped from the file, another added, class changed.
    import_file(conn, _csv(tmp_path, [_row(fac, point, params="cod;tn", klass="A",
                                           name="Nhà máy đổi tên")]))  # fmt: skip
    conn.commit()
    after = _ds(conn, point)
    assert set(after) == {"ph", "cod", "tss", "tn"} and after["cod"] == ds["cod"]
    name, klass = conn.execute(
        "SELECT f.name, mp.class FROM sensor.facilities f JOIN sensor.stations s"
        " ON s.facility_id = f.id JOIN sensor.monitoring_points mp ON mp.station_id = s.id"
        " WHERE s.code = %s",
        [point],
    ).fetchone()
    assert (name, klass) == ("Nhà máy đổi tên", "A")
    kept = conn.execute(
        "SELECT count(*) FROM sensor.observations WHERE datastream_id = %s", [ds["cod"]]
    ).fetchone()
    assert kept == (1,)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (dict(kind="air"), "kind 'air' must be one of wastewater, stack"),
        (dict(params="ph;pm25"), "unknown wastewater parameter(s) pm25"),
        (dict(regulation="QCVN 99:2030/BTNMT"), "unknown regulation 'QCVN 99:2030/BTNMT'"),
        (dict(kind="stack", params="pm"), "QCVN 40:2011/BTNMT governs wastewater points"),
        (dict(klass="Z"), "has class A, B, not 'Z'"),
        (dict(coefficients="kq=0.9"), "needs coefficient(s) kf"),
        (dict(coefficients="kq=0.9;kf=abc"), "coefficient kf=abc is not a number"),
        (dict(coefficients="kq=0;kf=1"), "coefficient(s) kq must be in (0, 10]"),
        (dict(permit="bod5=30"), "permit limit(s) for unmeasured bod5"),
        (dict(per_hour="0"), "readings_per_hour 0 must be 1-3600"),
    ],
)
def test_bad_rows_are_named(database_url: str, conn, tmp_path, row, message) -> None:
    fac, point = _codes()
    good = _row(f"{fac}X", f"{point}X")
    path = _csv(tmp_path, [good, _row(fac, point, **row)])
    with pytest.raises(InvalidInput) as err:
        import_file(conn, path)
    assert "line 3" in str(err.value) and message in str(err.value)
    # All or nothing: the good row was not registered either.
    assert conn.execute(
        "SELECT count(*) FROM sensor.facilities WHERE code = %s", [f"{fac}X"]
    ).fetchone() == (0,)


def test_a_point_cannot_take_an_ambient_station_code(database_url: str, conn, tmp_path) -> None:
    fac, point = _codes()
    conn.execute(
        "INSERT INTO sensor.stations (code, name, kind, geom) VALUES (%s, 'air', 'air',"
        " ST_SetSRID(ST_MakePoint(105.8, 21.0), 4326))",
        [point],
    )
    conn.commit()
    with pytest.raises(InvalidInput, match=f"{point} is a air station"):
        import_file(conn, _csv(tmp_path, [_row(fac, point)]))


def test_geojson_import(database_url: str, conn, tmp_path) -> None:
    fac, point = _codes()
    doc = {"type": "FeatureCollection", "features": [{
        "type": "Feature", "geometry": {"type": "Point", "coordinates": [105.9, 21.05]},
        "properties": {"code": fac, "name": "Geo", "tax_code": "0101234567-002", "points": [
            {"code": point, "kind": "stack", "parameters": ["pm", "so2", "o2"],
             "regulation": "QCVN 19:2009/BTNMT", "class": "B",
             "coefficients": {"kp": 0.9, "kv": 1.0}},
        ]},
    }]}  # fmt: skip
    path = tmp_path / "f.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    summary = import_file(conn, path)
    conn.commit()
    assert (summary.facilities_created, summary.points_created) == (1, 1)
    assert set(_ds(conn, point)) == {"pm", "so2", "o2"}


def test_exceedances_from_hourly_means(database_url: str, db, tmp_path) -> None:  # noqa: F811
    """COD limit 150 × 0.9 × 1.1 = 148.5 mg/L: an hourly mean of 149 exceeds, 148 does not; a
    late reading that lowers the mean clears the alert; pH 9.6 breaks the 5.5–9 range."""
    fac, point = _codes()
    import_file(db, _csv(tmp_path, [_row(fac, point)]))
    db.commit()
    ds = _ds(db, point)
    ingest(db, series(ds["cod"], [148.0, 149.0]) + series(ds["ph"], [7.0, 9.6]))
    rollups.process_pending(db)
    found = db.execute(
        "SELECT parameter, period, value, limit_value, standard, start_time FROM sensor.alerts"
        " WHERE datastream_id = ANY(%s) ORDER BY parameter",
        [[ds["cod"], ds["ph"]]],
    ).fetchall()
    assert [(r[0], r[1], r[5]) for r in found] == [
        ("cod", "1h", T0 + timedelta(hours=1)), ("ph", "1h", T0 + timedelta(hours=1)),
    ]  # fmt: skip
    assert found[0][2] == pytest.approx(149.0) and found[0][3] == pytest.approx(148.5)
    assert found[0][4] == "QCVN 40:2011/BTNMT"
    assert found[1][3] == pytest.approx(9.0)
    # The point's state is judged by its own limit too (not by the ambient QCVN 08).
    sid = db.execute("SELECT id FROM sensor.stations WHERE code = %s", [point]).fetchone()[0]
    judged = states.refresh(db, [sid], now=T0 + timedelta(hours=1, minutes=50))
    assert judged[sid] == ("exceeding", "cod 1h 149 vs limit 148.5")
    # A late third reading brings the hour's mean to (150 + 148 + 140) / 3 = 146: cleared.
    ingest(db, [(ds["cod"], T0 + timedelta(hours=1, minutes=55), 140.0, None)])
    rollups.process_pending(db)
    assert db.execute(
        "SELECT count(*) FROM sensor.alerts WHERE datastream_id = %s", [ds["cod"]]
    ).fetchone() == (0,)


def test_permit_limit_and_calibration_readings(database_url: str, db, tmp_path) -> None:  # noqa: F811
    """A permit's limit judges a QCVN 40:2025 point; calibration readings are not judged."""
    fac, point = _codes()
    row = _row(fac, point, regulation="QCVN 40:2025/BTNMT", coefficients="", permit="cod=100")
    import_file(db, _csv(tmp_path, [row]))
    db.commit()
    ds = _ds(db, point)
    start = T0 + timedelta(days=2)
    ingest(
        db,
        series(ds["cod"], [120.0], start=start)
        + [(ds["tss"], start + timedelta(minutes=m), 900.0, "calibrating") for m in (5, 35)],
    )
    rollups.process_pending(db)
    rows = db.execute(
        "SELECT parameter, limit_value, standard FROM sensor.alerts WHERE station_id ="
        " (SELECT id FROM sensor.stations WHERE code = %s)",
        [point],
    ).fetchall()
    assert rows == [("cod", 100.0, "QCVN 40:2025/BTNMT (giấy phép môi trường)")]


def _age(conn: psycopg.Connection, point: str, minutes: float) -> None:
    """Make the point's latest reading received ``minutes`` ago."""
    conn.execute(
        "UPDATE sensor.latest_observations SET received_at = now() - make_interval(mins => %s)"
        " WHERE datastream_id IN (SELECT d.id FROM sensor.datastreams d JOIN sensor.stations s"
        " ON s.id = d.station_id WHERE s.code = %s)",
        [minutes, point],
    )
    conn.commit()


def test_interruption_after_the_expected_interval(database_url: str, db, tmp_path) -> None:  # noqa: F811
    """12 readings an hour: expected every 5 min, + 5 min grace. Silent 8 min: not interrupted;
    silent 20 min: one transmission alert from when the next reading was due, extended."""
    fac, point = _codes()
    import_file(db, _csv(tmp_path, [_row(fac, point)]))
    db.commit()
    ds = _ds(db, point)
    sid = db.execute("SELECT id FROM sensor.stations WHERE code = %s", [point]).fetchone()[0]
    ingest(db, [(ds["cod"], T0, 10.0, None)])
    _age(db, point, 8)
    assert interruptions.refresh(db, [sid]) == []
    _age(db, point, 20)
    assert interruptions.refresh(db, [sid]) == [sid]
    db.commit()
    assert interruptions.refresh(db, [sid]) == [sid]  # extended, not a second alert
    db.commit()
    rows = db.execute(
        "SELECT a.parameter, a.datastream_id, a.limit_value, a.value,"
        " a.start_time = lo.received_at + interval '5 minutes', a.end_time > a.start_time"
        " FROM sensor.alerts a, sensor.latest_observations lo"
        " WHERE a.station_id = %s AND a.period = 'transmission' AND lo.datastream_id = %s",
        [sid, ds["cod"]],
    ).fetchall()
    assert len(rows) == 1
    param, stream, interval, silent, starts_when_due, open_ = rows[0]
    assert (param, stream, interval, starts_when_due, open_) == (
        "transmission", None, 5.0, True, True)  # fmt: skip
    assert silent == pytest.approx(20, abs=0.5)
    layer = db.execute(
        "SELECT interrupted, state FROM layers.facilities WHERE code = %s", [fac]
    ).fetchone()
    assert layer[0] is True


def test_rollup_thread_sweeps_when_nothing_arrives(database_url: str, db, tmp_path) -> None:  # noqa: F811
    """No reading arrives at all: the rollup thread still runs the periodic sweep, so a silent
    point gets its interruption alert (and its state) without any ingest."""
    import time

    from sensors.rollups import Rollups

    fac, point = _codes()
    import_file(db, _csv(tmp_path, [_row(fac, point)]))
    db.commit()
    ds = _ds(db, point)
    ingest(db, [(ds["cod"], T0, 10.0, None)])
    rollups.process_pending(db)
    _age(db, point, 30)
    rollups._last_sweep["at"] = float("-inf")  # this process's sweep is due
    worker = Rollups(database_url)
    worker.start()
    try:
        found = 0
        for _ in range(100):  # polled until the sweep has run (not a timing assertion)
            found = db.execute(
                "SELECT count(*) FROM sensor.alerts a JOIN sensor.stations s"
                " ON s.id = a.station_id WHERE s.code = %s AND a.period = 'transmission'",
                [point],
            ).fetchone()[0]
            db.commit()
            if found:
                break
            time.sleep(0.2)
        assert found == 1
    finally:
        worker.stopping.set()
        worker.join(10)


def test_cli_import_and_list(database_url: str, tmp_path, capsys) -> None:
    from cli.common import run_app
    from cli.main import app

    assert run_app(app, ["facilities", "import", str(SAMPLE)]) == 0
    assert "3 facilities" in capsys.readouterr().out
    fac, point = _codes()
    bad = _csv(tmp_path, [_row(fac, point, klass="Z")])
    assert run_app(app, ["facilities", "import", str(bad)]) == 2
    assert "line 2: QCVN 40:2011/BTNMT has class A, B, not 'Z'" in capsys.readouterr().err
    assert run_app(app, ["facilities", "list", "--json"]) == 0
    listed = {f["code"]: f for f in json.loads(capsys.readouterr().out)}
    assert (listed["DEMO-F1"]["outlets"], listed["DEMO-F1"]["stacks"]) == (1, 1)


def test_the_facility_state_ranking_covers_every_station_state() -> None:
    """Migration 0011 ranks the states worst first for the facilities view; a state added to the
    contract without a rank there would give facilities no state."""
    import importlib.util

    from sensors.contract import STATES

    path = ROOT / "gis" / "migrations" / "versions" / "0011_facilities.py"
    spec = importlib.util.spec_from_file_location("m0011", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert sorted(module.WORST_FIRST) == sorted(STATES)
    assert module.WORST_FIRST[0] == "exceeding"
