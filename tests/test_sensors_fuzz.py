"""Hypothesis-fuzzed payloads through the broker: each ends stored or rejected; ingest stays up."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gis.settings import to_libpq_url
from sensors.catalog import load_catalog
from sensors.messages import to_rows
from tests.fixtures.sensors import (
    IngesterProcess,
    ReliablePublisher,
    make_stations,
    wait_for,
)
from tests.test_sensors_messages import payloads

GROUP = f"fuzz{uuid.uuid4().hex[:6]}"


@pytest.fixture(scope="module")
def fuzz_setup(database_url, mosquitto):
    prefix = "F" + uuid.uuid4().hex[:6]
    make_stations(database_url, prefix, 2, params=("pm25", "no2"))
    make_stations(database_url, prefix + "W", 1, kind="water", params=("ph", "no2"))
    ing = IngesterProcess(database_url, mosquitto.url("ingester"), f"fuzz-{prefix}",
                          "--group", GROUP).start()
    ing.wait_subscribed()
    pub = ReliablePublisher(mosquitto.url("simulator"), f"pubfuzz-{prefix}")
    with psycopg.connect(to_libpq_url(database_url)) as c:
        catalog = load_catalog(c)
    yield prefix, ing, pub, catalog
    pub.close()
    if ing.alive():
        ing.kill9()
    ing.forget_session()


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=st.lists(st.tuples(st.integers(0, 3), payloads), min_size=1, max_size=30))
def test_fuzzed_messages_are_stored_or_rejected(database_url, fuzz_setup, batch):
    prefix, ing, pub, catalog = fuzz_setup
    codes = [f"{prefix}-0", f"{prefix}-1", f"{prefix}W-0", "NOSUCHSTATION"]
    msgs = [(f"stations/{codes[i]}/telemetry", p) for i, p in batch]
    now = datetime.now(UTC)
    outcomes = [to_rows(t, p, catalog, now) for t, p in msgs]
    with psycopg.connect(to_libpq_url(database_url), autocommit=True) as c:
        rejects_before = c.execute("SELECT count(*) FROM sensor.rejects").fetchone()[0]
        keys = sorted({(r[0], r[1]) for o in outcomes for r in o.rows})
        assert pub.publish(msgs) == len(msgs)
        expected_rejects = sum(1 for o in outcomes if o.reason)

        def done() -> bool:
            rej = c.execute("SELECT count(*) FROM sensor.rejects").fetchone()[0]
            have = c.execute(
                "SELECT count(*) FROM sensor.observations o JOIN unnest(%s::int[],"
                " %s::timestamptz[]) k(ds, t) ON o.datastream_id = k.ds AND o.phenomenon_time"
                " = k.t", [[k[0] for k in keys], [k[1] for k in keys]]).fetchone()[0]
            return rej - rejects_before == expected_rejects and have == len(keys)

        assert wait_for(done, timeout=30), ing.output()[-2000:]
    assert ing.alive()
    assert all(o.rows or o.reason for o in outcomes)
