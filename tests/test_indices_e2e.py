"""End to end: readings published to our Mosquitto, stored by `iocgis ingest`, indexed by the
rollup job it runs; a late reading published afterwards updates every index it feeds."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import numpy as np
import psycopg

from gis.settings import to_libpq_url
from sensors.indices import hourly_aqi
from tests.fixtures.sensors import IngesterProcess, ReliablePublisher, make_stations, wait_for

H = timedelta(hours=1)


def _publish(mosquitto, msgs: list[tuple[str, bytes]]) -> int:
    pub = ReliablePublisher(mosquitto.url("simulator"), f"pub-{uuid.uuid4().hex[:8]}")
    try:
        return pub.publish(msgs)
    finally:
        pub.close()


def _msg(code: str, t: datetime, values: dict[str, float]) -> tuple[str, bytes]:
    body = {"ts": t.isoformat(), "values": values}
    return f"stations/{code}/telemetry", json.dumps(body).encode()


def _stored_aqi(url: str, code: str) -> dict[datetime, int]:
    with psycopg.connect(to_libpq_url(url)) as c:
        return dict(
            c.execute(
                "SELECT a.hour, a.aqi FROM sensor.aqi_hourly a JOIN sensor.stations s"
                " ON s.id = a.station_id WHERE s.code = %s AND a.scheme = 'vn'",
                [code],
            ).fetchall()
        )


def test_indices_follow_ingest_and_late_data(database_url, mosquitto, ingesters, prefix):
    codes = list(make_stations(database_url, prefix, 2, params=("pm25", "no2")))
    ing = IngesterProcess(
        database_url, mosquitto.url("ingester"), f"idx-{prefix}", "--group", prefix
    ).start()
    ingesters.append(ing)
    ing.wait_subscribed()
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - 10 * H
    pm = [12.0, 30.0, 55.0, 41.0, 80.0, 35.0]
    no2 = [40.0, 118.7, 90.0, 60.0, 150.0, 20.0]
    msgs = [
        _msg(code, start + i * H + timedelta(minutes=15), {"pm25": pm[i] + k, "no2": no2[i]})
        for i in range(6)
        for k, code in enumerate(codes)
    ]
    assert _publish(mosquitto, msgs) == len(msgs)

    def expected(pm_values: list[float], offset: float) -> dict[datetime, int]:
        arr = {
            "pm25": np.array([[v + offset for v in pm_values] + [np.nan] * 11]),
            "no2": np.array([no2 + [np.nan] * 11]),
        }
        aqi = hourly_aqi(arr).aqi[0]
        return {start + i * H: int(v) for i, v in enumerate(aqi) if not np.isnan(v)}

    for k, code in enumerate(codes):
        want = expected(pm, k)
        assert wait_for(lambda c=code, w=want: _stored_aqi(database_url, c) == w, timeout=60), (
            _stored_aqi(database_url, code),
            want,
            ing.output()[-2000:],
        )

    # A late reading for hour 1 (an hour already indexed) raises that hour's mean.
    late = start + H + timedelta(minutes=45)
    assert _publish(mosquitto, [_msg(codes[0], late, {"pm25": 130.0})]) == 1
    pm_late = list(pm)
    pm_late[1] = (30.0 + 130.0) / 2
    want = expected(pm_late, 0)
    assert want != expected(pm, 0)
    assert wait_for(lambda: _stored_aqi(database_url, codes[0]) == want, timeout=60), (
        _stored_aqi(database_url, codes[0]),
        want,
        ing.output()[-2000:],
    )
    with psycopg.connect(to_libpq_url(database_url)) as c:
        pending = c.execute(
            "SELECT count(*) FROM sensor.pending_rollups p JOIN sensor.datastreams d"
            " ON d.id = p.datastream_id JOIN sensor.stations s ON s.id = d.station_id"
            " WHERE s.code LIKE %s",
            [prefix + "-%"],
        ).fetchone()[0]
        states = c.execute(
            "SELECT count(*) FROM sensor.station_states st JOIN sensor.stations s"
            " ON s.id = st.station_id WHERE s.code LIKE %s",
            [prefix + "-%"],
        ).fetchone()[0]
    assert pending == 0 and states == 2
    assert ing.terminate() == 0
