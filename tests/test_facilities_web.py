"""The facilities layer and routes through the real app (logged in as iocgis_web): decoded
vector tiles, OGC API features, legend, a facility's card, a station's completeness."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import mapbox_vector_tile
import psycopg
import pytest
from fastapi.testclient import TestClient

from gis.settings import to_libpq_url
from layers.catalog import get_layer
from maps.app import create_app
from sensors import rollups
from sensors.contract import STATES
from sensors.facilities.store import import_file
from tests.fixtures.indices import T0, ingest
from tests.fixtures.web import maps_settings, tile_of
from tests.test_facilities import SAMPLE, _ds


@pytest.fixture(scope="module")
def web(database_url: str) -> Iterator[TestClient]:
    """The app on the test database with the sample facilities and a day of readings."""
    with psycopg.connect(to_libpq_url(database_url)) as conn:
        conn.execute(
            "SELECT sensor.ensure_observation_partitions(%s, %s)",
            [T0 - timedelta(days=1), T0 + timedelta(days=2)],
        )
        import_file(conn, SAMPLE)
        conn.commit()
        ds = _ds(conn, "DEMO-F1-NT1")
        conn.commit()
        # A day of March 2026 (completeness) and the last hour (the facility's state now).
        now = datetime.now(UTC)
        last_hour = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
        ingest(conn, [(ds["cod"], t + timedelta(minutes=5 * i), 160.0, None)
                      for t in (T0, last_hour) for i in range(12)])  # fmt: skip
        rollups.process_pending(conn)
        conn.commit()
    with TestClient(create_app(maps_settings(database_url))) as c:
        yield c


def test_tile_carries_facilities_with_their_state(web: TestClient) -> None:
    z, x, y = tile_of(105.7790, 21.1250, 12)
    r = web.get(f"/tiles/facilities/{z}/{x}/{y}.mvt")
    assert r.status_code == 200
    features = mapbox_vector_tile.decode(r.content)["facilities"]["features"]
    props = {f["properties"]["code"]: f["properties"] for f in features}
    f1 = props["DEMO-F1"]
    assert (f1["outlets"], f1["stacks"], f1["sector"]) == (1, 1, "dệt nhuộm")
    assert f1["state"] in STATES and isinstance(f1["interrupted"], bool)
    assert all(f["geometry"]["type"] == "Point" for f in features)


def test_ogc_features_and_legend(web: TestClient) -> None:
    r = web.get("/collections/facilities/items", params={"limit": 10})
    assert r.status_code == 200
    by_code = {f["properties"]["code"]: f for f in r.json()["features"]}
    assert {"DEMO-F1", "DEMO-F2", "DEMO-F3"} <= set(by_code)
    assert by_code["DEMO-F3"]["properties"]["tax_code"] == "0000000003-001"
    assert by_code["DEMO-F2"]["geometry"]["coordinates"] == pytest.approx([105.7705, 21.1905])
    legend = web.get("/layers/facilities/legend.json").json()
    values = {e["value"] for e in legend["entries"]}
    assert values == set(STATES) and get_layer("facilities").paint.by == "state"


def test_facility_card_with_limits_applied(web: TestClient) -> None:
    card = web.get("/facilities/DEMO-F1").json()
    assert card["name"].startswith("Nhà máy dệt nhuộm")
    points = {p["code"]: p for p in card["points"]}
    outlet, stack = points["DEMO-F1-NT1"], points["DEMO-F1-KT1"]
    # COD: C = 150 (column B) × Kq 0.9 × Kf 1.0; total dust (pm): 200 × Kp 1.0 × Kv 0.8.
    assert outlet["limits"]["cod"]["max"] == pytest.approx(135.0)
    assert outlet["limits"]["ph"] == {"max": None, "low": 5.5, "high": 9.0,
                                      "source": "QCVN 40:2011/BTNMT B"}  # fmt: skip
    assert stack["limits"]["pm"]["max"] == pytest.approx(160.0)
    # Nothing read for these parameters: no limit rather than a guess.
    assert "flow" not in outlet["limits"] and "o2" not in stack["limits"]
    # The hour of 160 mg/L COD exceeds 135: the facility shows it.
    assert card["state"] == "exceeding"
    assert web.get("/facilities/NOPE").status_code == 404


def test_station_completeness_route(web: TestClient) -> None:
    r = web.get(
        "/stations/DEMO-F1-NT1/completeness", params={"from": "2026-03-10", "to": "2026-03-11"}
    )
    assert r.status_code == 200, r.text
    days = r.json()["days"]
    # 7 datastreams × 12 readings an hour × 24 h = 2016 expected; 12 COD readings received.
    assert [(d["day"], d["received"], d["expected"]) for d in days] == [
        ("2026-03-10", 12, 2016), ("2026-03-11", 0, 2016)]  # fmt: skip
    assert web.get("/stations/DEMO-F1-NT1/completeness", params={"from": "x"}).status_code == 400
    bad = web.get(
        "/stations/DEMO-F1-NT1/completeness", params={"from": "2026-03-12", "to": "2026-03-10"}
    )
    assert bad.status_code == 400
    assert web.get("/stations/NOPE/completeness").status_code == 404


def test_point_limits_route(web: TestClient) -> None:
    got = web.get("/stations/DEMO-F2-NT1/limits").json()
    assert got["facility"]["code"] == "DEMO-F2" and got["regulation"] == "QCVN 40:2025/BTNMT"
    # The permit's limits; nothing else (the 2025 table was not read).
    assert {k: v["max"] for k, v in got["limits"].items()} == {
        "cod": 100, "tss": 60, "tn": 30, "tp": 5}  # fmt: skip
    assert web.get("/stations/NOPE/limits").status_code == 404
