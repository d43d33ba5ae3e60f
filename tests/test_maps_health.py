"""Health, readiness (database and broker), Prometheus metrics, the error table."""

from __future__ import annotations

from fastapi.testclient import TestClient

from gis.errors import DatabaseUnavailable, InvalidInput, NotFound, UnknownCRS
from maps.app import create_app
from maps.errors import status_for
from tests.fixtures.web import maps_settings


def test_healthz(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_with_our_broker(database_url, web_data, mosquitto):
    settings = maps_settings(database_url, mqtt_url=f"mqtt://127.0.0.1:{mosquitto.port}")
    with TestClient(create_app(settings)) as c:
        r = c.get("/readyz")
        assert r.status_code == 200, r.text
        assert r.json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_readyz_fails_without_broker_or_database(database_url, web_data):
    settings = maps_settings(database_url, mqtt_url="mqtt://127.0.0.1:9")
    with TestClient(create_app(settings)) as c:
        r = c.get("/readyz")
        assert r.status_code == 503 and r.json()["database"] == "ok"
    dead = maps_settings("postgresql://postgres@127.0.0.1:9/none", listen=False, pool_wait_s=2)
    with TestClient(create_app(dead)) as c:
        r = c.get("/readyz")
        assert r.status_code == 503 and r.json()["database"] != "ok"
        assert c.get("/healthz").status_code == 200
        bad = c.get("/collections/parcels/items")
        assert bad.status_code == 503
        assert "postgres" not in bad.text.lower()  # no connection details leak


def test_metrics_per_layer_and_zoom(client, demo_stations, role_keys):
    client.get("/tiles/communes/10/812/450.mvt")
    client.get("/tiles/communes/10/812/450.mvt")
    # Admin only (Prometheus scrapes with an admin API key as its bearer token).
    assert client.get("/metrics").status_code == 401
    admin = {"Authorization": f"Bearer {role_keys['admin']}"}
    text = client.get("/metrics", headers=admin).text
    assert 'iocgis_tile_seconds_count{cache="hit",layer="communes",zoom="10"}' in text
    assert "iocgis_tile_cache_hit_ratio" in text
    assert "iocgis_ingest_lag_seconds" in text


def test_error_table():
    assert status_for(NotFound("x")) == 404
    assert status_for(UnknownCRS("x")) == 400
    assert status_for(InvalidInput("x")) == 400
    assert status_for(DatabaseUnavailable("x")) == 503
    assert status_for(RuntimeError("x")) == 500
