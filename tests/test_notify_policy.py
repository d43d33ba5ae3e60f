"""Notification policy against a real database and a real HTTP receiver: signed webhook
retries, reminders, ends, rate limits, quiet hours, AQI categories, offline spells."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock

import psycopg
import pytest
from psycopg import sql

from gis.access.keys import add_user
from gis.settings import to_libpq_url
from sensors.notify.config import NotifySettings
from sensors.notify.planner import VN, plan, quiet_until
from sensors.notify.sender import send_due
from tests.fixtures.sensors import make_stations
from tests.notify_support import Receiver

H = timedelta(hours=1)
SECRET = "s3cret-s3cret-s3cret"
T0 = datetime(2026, 11, 3, 2, tzinfo=UTC)


def cfg(**kw: object) -> NotifySettings:
    return NotifySettings(retry_base_s=0.05, page_url="https://ioc.example.vn", **kw)


@pytest.fixture()
def db(database_url):
    with psycopg.connect(to_libpq_url(database_url), autocommit=True) as c:
        c.execute("DELETE FROM notify.outbox")
        yield c


def _station(url: str, prefix: str, params=("no2", "pm25", "so2")) -> tuple[int, dict[str, int]]:
    code, streams = next(iter(make_stations(url, prefix, 1, params=params).items()))
    with psycopg.connect(to_libpq_url(url)) as c:
        sid = c.execute("SELECT id FROM sensor.stations WHERE code = %s", [code]).fetchone()[0]
    return sid, streams


def _sub(db, area: str, kind: str = "exceedance", **kw) -> int:
    cols = {
        "subscriber": kw.pop("subscriber", "env.policy"),
        "channel": "email",
        "address": "a@example.vn",
        "kind": kind,
        "area": area,
        **kw,
    }
    query = sql.SQL("INSERT INTO notify.subscriptions ({}) VALUES ({}) RETURNING id").format(
        sql.SQL(", ").join(map(sql.Identifier, cols)),
        sql.SQL(", ").join(sql.Placeholder() * len(cols)),
    )
    return db.execute(query, list(cols.values())).fetchone()[0]


def _alert(db, sid, ds, param, period, start, value, lim) -> None:
    length = {"1h": H, "8h": H, "24h": 24 * H}[period]
    db.execute(
        "INSERT INTO sensor.alerts (station_id, datastream_id, parameter, period, value,"
        " limit_value, standard, start_time, end_time)"
        " VALUES (%s, %s, %s, %s, %s, %s, 'QCVN 05:2023/BTNMT', %s, %s)",
        [sid, ds, param, period, value, lim, start, start + length],
    )


def _rows(db, sub: int) -> list[tuple]:
    return db.execute(
        "SELECT phase, status, reason, attempts, next_attempt_at > now() + interval '1 minute'"
        " FROM notify.deliveries WHERE subscription_id = %s ORDER BY id",
        [sub],
    ).fetchall()


def _code(db, sid: int) -> str:
    return db.execute("SELECT code FROM sensor.stations WHERE id = %s", [sid]).fetchone()[0]


def test_signed_webhook_is_retried_with_back_off(db, database_url, prefix):
    sid, ds = _station(database_url, prefix)
    with Receiver([500, 503]) as hook, Receiver([500] * 10) as dead:
        sub = _sub(
            db, _code(db, sid), channel="webhook", address=hook.url, secret=SECRET, language="en"
        )
        bad = _sub(db, _code(db, sid), channel="webhook", address=dead.url, secret=SECRET)
        _alert(db, sid, ds["no2"], "no2", "1h", T0, 250.0, 200.0)
        with psycopg.connect(to_libpq_url(database_url)) as c:
            settings = cfg(max_attempts=3)
            assert plan(c, settings) == 2
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and len(dead.requests) < 3:
                send_due(c, settings)
                time.sleep(0.05)
            send_due(c, settings)
    assert [r[:2] for r in _rows(db, sub)] == [("start", "sent")]
    assert _rows(db, sub)[0][3] == 3
    assert [r[:2] for r in _rows(db, bad)] == [("start", "failed")]
    assert len(dead.requests) == 3
    assert len(hook.requests) == 3
    ids = {h["x-ioc-delivery"] for h, _b in hook.requests}
    assert len(ids) == 1  # the same delivery, retried
    for headers, body in hook.requests:
        mac = hmac.new(
            SECRET.encode(), headers["x-ioc-timestamp"].encode() + b"." + body, hashlib.sha256
        ).hexdigest()
        assert headers["x-ioc-signature"] == "sha256=" + mac
        assert abs(int(headers["x-ioc-timestamp"]) - time.time()) < 600
    doc = json.loads(hook.requests[-1][1])
    assert doc["event"]["parameter"] == "no2" and doc["event"]["value"] == 250.0
    assert doc["event"]["limit"] == 200.0 and doc["event"]["phase"] == "start"
    assert "Nitrogen dioxide 1-hour mean: 250 ug/m3, limit 200 ug/m3" in doc["text"]
    assert "https://ioc.example.vn/maps/environment?station=" in doc["text"]
    # A tampered body fails the check a receiver makes.
    headers, body = hook.requests[-1]
    forged = hmac.new(
        SECRET.encode(), headers["x-ioc-timestamp"].encode() + b"." + body + b" ", hashlib.sha256
    ).hexdigest()
    assert headers["x-ioc-signature"] != "sha256=" + forged


def test_reminder_then_end_and_rate_limit(db, database_url, prefix):
    sid, ds = _station(database_url, prefix)
    sub = _sub(db, _code(db, sid))
    for i in range(8):  # eight exceeding hours in a row: start, then a reminder after 6 h
        _alert(db, sid, ds["no2"], "no2", "1h", T0 + i * H, 210.0 + i, 200.0)
    with psycopg.connect(to_libpq_url(database_url)) as c:
        plan(c, cfg(reminder_hours=6, station_per_hour=10))
        assert [r[0] for r in _rows(db, sub)] == ["start", "reminder"]
        # The hour after the last one is judged (an hourly mean exists) and does not exceed.
        db.execute(
            "INSERT INTO sensor.hourly VALUES (%s, %s, 120, 120, 120, 1, 1)",
            [ds["no2"], T0 + 8 * H],
        )
        plan(c, cfg())
        assert [r[0] for r in _rows(db, sub)] == ["start", "reminder", "end"]
        # A flapping station: new episodes of other parameters within the hour are capped.
        _alert(db, sid, ds["so2"], "so2", "1h", T0, 400.0, 350.0)
        _alert(db, sid, ds["pm25"], "pm25", "24h", T0, 60.0, 45.0)
        plan(c, cfg(station_per_hour=2))
    rows = _rows(db, sub)
    assert [(r[0], r[1]) for r in rows[3:]] == [("start", "suppressed"), ("start", "suppressed")]
    assert rows[3][2] == "rate limit: 2/h per station"


def test_quiet_hours_hold_all_but_the_most_severe(db, database_url, prefix):
    now = datetime.now(VN)
    start = clock((now - H).hour, 0)
    end = clock((now + 2 * H).hour, 0)
    assert quiet_until(now, start, end) is not None
    assert quiet_until(now, end, start) is None
    assert quiet_until(datetime(2026, 1, 1, 23, 30, tzinfo=VN), clock(22), clock(6)) == datetime(
        2026, 1, 2, 6, tzinfo=VN
    )
    sid, ds = _station(database_url, prefix)
    sub = _sub(db, _code(db, sid), quiet_start=start, quiet_end=end)
    _alert(db, sid, ds["no2"], "no2", "1h", T0, 250.0, 200.0)  # 1.25 × the limit: held
    _alert(db, sid, ds["so2"], "so2", "1h", T0, 900.0, 350.0)  # 2.6 × the limit: goes now
    with psycopg.connect(to_libpq_url(database_url)) as c:
        plan(c, cfg())
    rows = _rows(db, sub)
    assert rows[0][1] == "pending" and rows[0][4] and rows[0][2].startswith("quiet hours until")
    assert rows[1][1] == "pending" and not rows[1][4] and rows[1][2] is None


def _aqi(db, sid: int, hour: datetime, aqi: int) -> None:
    db.execute(
        "INSERT INTO sensor.aqi_hourly (station_id, scheme, hour, aqi, dominant, sub_indices)"
        " VALUES (%s, 'vn', %s, %s, 'pm25', '{}') ON CONFLICT (station_id, scheme, hour)"
        " DO UPDATE SET aqi = EXCLUDED.aqi",
        [sid, hour, aqi],
    )


def test_aqi_categories_and_offline_spells(db, database_url, prefix):
    sid, _ds = _station(database_url, prefix, params=("pm25",))
    code = _code(db, sid)
    with psycopg.connect(to_libpq_url(database_url)) as c:
        add_user(c, f"u.{prefix.lower()}", "environment")
        c.commit()
    poor = _sub(db, code, "aqi", min_category=3)
    bad = _sub(db, code, "aqi", min_category=4, language="en")
    offline = _sub(db, code, "offline")
    with psycopg.connect(to_libpq_url(database_url)) as c:
        for i, value in enumerate((80, 120, 130, 180, 90)):
            _aqi(db, sid, T0 + i * H, value)
            plan(c, cfg(reminder_hours=24))
        db.execute(
            "INSERT INTO sensor.station_states (station_id, state) VALUES (%s, 'offline')"
            " ON CONFLICT (station_id) DO UPDATE SET state = 'offline'",
            [sid],
        )
        plan(c, cfg())
        db.execute(
            "UPDATE sensor.station_states SET state = 'working' WHERE station_id = %s", [sid]
        )
        plan(c, cfg())
    assert [r[0] for r in _rows(db, poor)] == ["start", "escalation", "end"]
    assert [r[0] for r in _rows(db, bad)] == ["escalation", "end"]
    assert [r[0] for r in _rows(db, offline)] == ["start", "end"]
    bodies = [
        b
        for (b,) in db.execute(
            "SELECT body FROM notify.deliveries WHERE subscription_id = %s ORDER BY id", [bad]
        )
    ]
    assert "VN_AQI 180 – Bad." in bodies[0]


def test_transmission_interruption_and_its_end(db, database_url, prefix):
    sid, ds = _station(database_url, prefix, params=("pm25",))
    sub = _sub(db, _code(db, sid), "offline", language="en")
    # An interruption as issue 11's sweep writes it: period 'transmission', no datastream.
    db.execute(
        "INSERT INTO sensor.alerts (station_id, datastream_id, parameter, period, value,"
        " limit_value, standard, start_time, end_time) VALUES (%s, NULL, 'transmission',"
        " 'transmission', 70, 60, 'TT 10/2021/TT-BTNMT (gián đoạn truyền)',"
        " now() - interval '70 minutes', now())",
        [sid],
    )
    with psycopg.connect(to_libpq_url(database_url)) as c:
        plan(c, cfg())
        assert [r[0] for r in _rows(db, sub)] == ["start"]
        plan(c, cfg())  # still silent: nothing new
        assert [r[0] for r in _rows(db, sub)] == ["start"]
        db.execute(
            "INSERT INTO sensor.latest_observations VALUES (%s, now(), 12, NULL, now())"
            " ON CONFLICT (datastream_id) DO UPDATE SET received_at = now()",
            [ds["pm25"]],
        )
        plan(c, cfg())
    assert [r[0] for r in _rows(db, sub)] == ["start", "end"]
    bodies = [
        b
        for (b,) in db.execute(
            "SELECT body FROM notify.deliveries WHERE subscription_id = %s ORDER BY id", [sub]
        )
    ]
    assert "Data transmission interrupted (Circular 10/2021/TT-BTNMT)" in bodies[0]
    assert "The station reports again" in bodies[1]


def test_rate_limit_per_user_across_stations(db, database_url, prefix):
    (sid1, ds1), (sid2, ds2) = (
        _station(database_url, prefix + "a"),
        _station(database_url, prefix + "b"),
    )
    who = f"busy.{prefix.lower()}"
    one = _sub(db, _code(db, sid1), subscriber=who)
    two = _sub(db, _code(db, sid2), subscriber=who)
    _alert(db, sid1, ds1["no2"], "no2", "1h", T0, 250.0, 200.0)
    _alert(db, sid2, ds2["no2"], "no2", "1h", T0, 260.0, 200.0)
    with psycopg.connect(to_libpq_url(database_url)) as c:
        plan(c, cfg(user_per_hour=1))
    assert [r[:3] for r in _rows(db, one)] == [("start", "pending", None)]
    assert [r[:3] for r in _rows(db, two)] == [("start", "suppressed", "rate limit: 1/h per user")]


def test_facility_area_covers_its_points(db, database_url, prefix):
    fac = f"F{prefix}"
    db.execute(
        "INSERT INTO sensor.facilities (code, name, geom) VALUES"
        " (%s, 'Nhà máy thử', ST_SetSRID(ST_MakePoint(105.9, 21.1), 4326))",
        [fac],
    )
    sid = db.execute(
        "INSERT INTO sensor.stations (code, name, kind, geom, facility_id)"
        " SELECT %s, 'Cửa xả 1', 'wastewater', geom, id FROM sensor.facilities WHERE code = %s"
        " RETURNING id",
        [f"{fac}-OUT1", fac],
    ).fetchone()[0]
    ds = db.execute(
        "INSERT INTO sensor.datastreams (station_id, property_code, unit)"
        " VALUES (%s, 'cod', 'mg/L') RETURNING id",
        [sid],
    ).fetchone()[0]
    sub = _sub(db, fac)
    db.execute(
        "INSERT INTO sensor.alerts (station_id, datastream_id, parameter, period, value,"
        " limit_value, standard, start_time, end_time) VALUES (%s, %s, 'cod', '1h', 180, 150,"
        " 'QCVN 40:2011/BTNMT', %s, %s)",
        [sid, ds, T0, T0 + H],
    )
    with psycopg.connect(to_libpq_url(database_url)) as c:
        plan(c, cfg())
    (row,) = db.execute(
        "SELECT phase, body FROM notify.deliveries WHERE subscription_id = %s", [sub]
    ).fetchall()
    assert row[0] == "start" and "Cửa xả 1" in row[1] and "QCVN 40:2011/BTNMT" in row[1]
