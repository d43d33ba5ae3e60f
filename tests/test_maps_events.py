"""``/events``: NOTIFY from the database reaches a connected client as Server-Sent Events."""

from __future__ import annotations

import json
import queue
import threading
import time

import httpx
import psycopg

from gis.parcels.history import edit_parcel
from gis.settings import to_libpq_url


def listen(url: str, events: queue.Queue, stop: threading.Event) -> None:
    """Read the SSE stream, putting (event, data) pairs on ``events``."""
    with httpx.stream("GET", f"{url}/events", timeout=30) as r:
        name = None
        for line in r.iter_lines():
            if stop.is_set():
                return
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                events.put((name, json.loads(line[6:])))


def wait_for(events: queue.Queue, kind: str, timeout: float = 10) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            name, data = events.get(timeout=0.2)
        except queue.Empty:
            continue
        if name == kind:
            return data
    raise AssertionError(f"no {kind} event within {timeout} s")


def test_events_stream_alerts_stations_and_parcels(live_server, database_url):
    events: queue.Queue = queue.Queue()
    stop = threading.Event()
    reader = threading.Thread(target=listen, args=(live_server.url, events, stop), daemon=True)
    reader.start()
    try:
        wait_for(events, "hello")
        with psycopg.connect(to_libpq_url(database_url), autocommit=True) as conn:
            conn.execute(
                "SELECT pg_notify('iocgis_alerts', %s)",
                [json.dumps({"station": "X1", "parameter": "pm25", "value": 80})],
            )
            conn.execute(
                "SELECT pg_notify('iocgis_stations_changed', %s)",
                [json.dumps({"stations": ["X1", "X2"]})],
            )
        alert = wait_for(events, "alerts")
        assert alert["data"] == {"station": "X1", "parameter": "pm25", "value": 80}
        assert alert["channel"] == "iocgis_alerts"
        stations = wait_for(events, "stations")
        assert stations["data"]["stations"] == ["X1", "X2"]
        edit_parcel("00070", 1, 30, address="Số 30 phố sửa", url=database_url)
        change = wait_for(events, "parcels")
        west, south, east, north = change["bbox"]
        assert 105.8 < west <= east < 105.9 and 21.0 < south <= north < 21.1
    finally:
        stop.set()
