"""Simulated and replayed station traffic, published through the real broker (QoS 1)."""

from __future__ import annotations

import csv
import json
import math
import random
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import paho.mqtt.client as mqtt
import psycopg

from sensors.transport import parse_mqtt_url

ICT = timezone(timedelta(hours=7))  # Vietnam, no daylight saving
Msg = tuple[str, bytes]

# Typical level and spread of each property (µg/m³ for air, mg/L for water, see properties).
BASE = {
    "pm25": (35, 12), "pm10": (60, 20), "no2": (40, 12), "o3": (60, 25), "so2": (15, 6),
    "co": (1200, 400), "temperature": (28, 3), "humidity": (75, 10), "ph": (7.2, 0.3),
    "do": (5.5, 1.0), "bod5": (6, 2), "cod": (18, 5), "toc": (6, 2), "nh4": (0.4, 0.2),
    "no3": (1.5, 0.5), "no2@water": (0.03, 0.01), "po4": (0.15, 0.05), "coliform": (4000, 1500),
    "ecoli": (60, 25), "water_temperature": (28, 1.5), "turbidity": (40, 15),
    "conductivity": (400, 100),
}

SPIKY = frozenset({"pm25", "pm10", "no2", "so2", "co", "o3", "cod", "bod5", "nh4", "coliform"})


@dataclass(frozen=True)
class SimStation:
    """A registered station the simulator speaks for."""

    code: str
    kind: str
    parameters: tuple[str, ...]


def load_stations(conn: psycopg.Connection, limit: int) -> list[SimStation]:
    """The first ``limit`` active stations (ambient ones by code, then facility points) and
    their parameters."""
    rows = conn.execute(
        "SELECT s.code, s.kind, array_agg(d.property_code ORDER BY d.id) FROM sensor.stations s"
        " JOIN sensor.datastreams d ON d.station_id = s.id WHERE s.status = 'active'"
        " GROUP BY s.code, s.kind, s.facility_id ORDER BY s.facility_id IS NOT NULL, s.code"
        " LIMIT %s", [limit]
    ).fetchall()
    return [SimStation(c, k, tuple(p)) for c, k, p in rows]


def level(prop: str, kind: str, t: datetime, rng: random.Random) -> float:
    """A plausible value: diurnal PM, rush-hour NO2, afternoon ozone, rare spikes."""
    mean, spread = BASE.get(f"{prop}@{kind}", BASE.get(prop, (10, 3)))
    h = t.astimezone(ICT).hour + t.astimezone(ICT).minute / 60
    factor = 1.0
    if prop in ("pm25", "pm10"):  # night inversion and morning traffic, clean afternoons
        factor = 1 + 0.35 * math.cos(2 * math.pi * (h - 7) / 24) + 0.15 * math.cos(
            4 * math.pi * (h - 8) / 24)
    elif prop in ("no2", "co") and kind == "air":  # two rush hours
        factor = 0.7 + 0.6 * (math.exp(-((h - 8) ** 2) / 2) + math.exp(-((h - 18) ** 2) / 2))
    elif prop == "o3":
        factor = 0.4 + 0.9 * math.exp(-((h - 14) ** 2) / 8)
    elif prop == "temperature":
        factor = 1 + 0.12 * math.cos(2 * math.pi * (h - 14) / 24)
    value = rng.gauss(mean * factor, spread * 0.3)
    if prop in SPIKY and rng.random() < 0.01:
        value *= rng.uniform(3, 5)  # a spike (a fire, a truck idling next to the inlet)
    if prop == "humidity":
        return round(min(max(value, 20), 100), 1)
    if prop == "ph":
        return round(min(max(value, 4), 10), 2)
    return round(max(value, 0.0), 3)


def bad_payload(st: SimStation, t: datetime, rng: random.Random) -> bytes:
    """One of the faults field devices really produce."""
    p = st.parameters[0]
    choice = rng.randrange(6)
    if choice == 0:
        return b'{"ts": 17, "values": {'  # truncated
    if choice == 1:
        return json.dumps({"ts": int(t.timestamp() * 1000), "values": {p: -5}}).encode()
    if choice == 2:
        return json.dumps({"ts": t.replace(tzinfo=None).isoformat(), "values": {p: 1}}).encode()
    if choice == 3:
        future = int((datetime.now(UTC) + timedelta(days=2)).timestamp() * 1000)
        return json.dumps({"ts": future, "values": {p: 1}}).encode()
    if choice == 4:
        return json.dumps({"ts": int(t.timestamp() * 1000), "values": {"xyz": 1}}).encode()
    return b'{"ts": 1764000000000, "values": {"' + p.encode() + b'": NaN}}'


def synthetic(
    stations: list[SimStation], per_station: int, *, step: timedelta, bad_share: float,
    missing_share: float = 0.03, seed: int = 1, end: datetime | None = None,
) -> Iterator[Msg]:
    """Messages station by station in time order, the last ones at ``end`` (default now)."""
    rng = random.Random(seed)
    end = end or datetime.now(UTC).replace(second=0, microsecond=0)
    start = end - step * (per_station - 1)
    for k in range(per_station):
        t = start + step * k
        for st in stations:
            if rng.random() < missing_share:
                continue  # the station missed this slot (power cut, modem down)
            topic = f"stations/{st.code}/telemetry"
            if rng.random() < bad_share:
                yield topic, bad_payload(st, t, rng)
                continue
            values = {p: level(p, st.kind, t, rng) for p in st.parameters}
            yield topic, json.dumps({"ts": t.isoformat(), "values": values}).encode()


def replay_hcmc(path: Path, prefix: str = "HCM-HA-") -> Iterator[Msg]:
    """HealthyAir HCMC hourly records as telemetry of stations ``HCM-HA-<n>``."""
    cols = {"PM2.5": "pm25", "O3": "o3", "CO": "co", "NO2": "no2", "SO2": "so2",
            "Temperature": "temperature", "Humidity": "humidity"}
    with path.open(encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            t = datetime.strptime(row["date"], "%d-%m-%Y %H:%M").replace(tzinfo=ICT)
            values = {code: float(row[col]) for col, code in cols.items() if row.get(col)}
            if values:
                yield (f"stations/{prefix}{row['Station_No']}/telemetry",
                       json.dumps({"ts": t.isoformat(), "values": values}).encode())


def replay_hanoi(path: Path, code: str = "HN-USEMB") -> Iterator[Msg]:
    """US Embassy Hanoi hourly PM2.5 (valid rows) as telemetry of station ``HN-USEMB``."""
    with path.open(encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            if row["QC Name"] != "Valid" or float(row["Raw Conc."]) < 0:
                continue
            t = datetime.strptime(row["Date (LT)"], "%Y-%m-%d %I:%M %p").replace(tzinfo=ICT)
            yield (f"stations/{code}/telemetry", json.dumps(
                {"ts": t.isoformat(), "values": {"pm25": float(row["Raw Conc."])}}).encode())


class Publisher:
    """A QoS 1 publisher that counts a message only once the broker acknowledged it."""

    def __init__(self, url: str, client_id: str, inflight: int = 1000) -> None:
        a = parse_mqtt_url(url)
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id)
        if a.username:
            self.client.username_pw_set(a.username, a.password)
        self.client.max_inflight_messages_set(inflight)
        self.client.max_queued_messages_set(0)
        self.client.connect(a.host, a.port, keepalive=30)
        self.client.loop_start()

    def publish_all(self, messages: Iterable[Msg], rate: float | None = None,
                    timeout: float = 120) -> int:
        """Publish at ``rate`` messages/s (None: as fast as possible); wait for every PUBACK."""
        infos = []
        t0 = time.monotonic()
        for i, (topic, payload) in enumerate(messages):
            if rate:
                ahead = t0 + i / rate - time.monotonic()
                if ahead > 0:
                    time.sleep(ahead)
            infos.append(self.client.publish(topic, payload, qos=1))
        deadline = time.monotonic() + timeout
        for info in infos:
            info.wait_for_publish(max(deadline - time.monotonic(), 0.1))
        return sum(1 for info in infos if info.is_published())

    def close(self) -> None:
        """Disconnect cleanly."""
        self.client.disconnect()
        self.client.loop_stop()
