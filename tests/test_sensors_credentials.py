"""Device credentials on our real Mosquitto: every wrong login refused, every account boxed in.

Logins are sent as raw MQTT CONNECT packets (3.1.1 and 5), so usernames and passwords can be
anything a device could send — empty, not UTF-8, 64 KiB long — and the broker's CONNACK is read
as it is. tests/test_sensors_broker.py covers a station writing another station's two topics
and the ingester writing telemetry; tests/test_sensors_sessions.py client ids and sessions;
this module covers logins (on both listeners) and the remaining topic tricks.
"""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sensors import broker as ours
from tests.fixtures.broker import Broker, client, publish_all

#: CONNACK codes: 3.1.1 "bad user name or password" / "not authorised"; MQTT 5 the same two.
REFUSED = {4, 5, 0x86, 0x87}
#: Station A (two datastreams) and station B, whose code starts with A's.
CODE = "CR" + uuid.uuid4().hex[:6].upper()
STREAMS = {CODE: [515151, 515152], CODE + "B": [525252]}


def _string(data: bytes) -> bytes:
    return len(data).to_bytes(2, "big") + data


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        n, digit = n >> 7, n & 0x7F
        out.append(digit | (0x80 if n else 0))
        if not n:
            return bytes(out)


def connack(
    port: int, username: bytes | None, password: bytes | None, version: int = 4
) -> int | None:
    """The CONNACK return/reason code for this login, None if the broker just hangs up."""
    flags = 0x02 | (0x80 if username is not None else 0) | (0x40 if password is not None else 0)
    head = _string(b"MQTT") + bytes([version, flags]) + (30).to_bytes(2, "big")
    if version == 5:
        head += b"\x00"  # no properties
    body = head + _string(f"fz-{uuid.uuid4().hex[:10]}".encode())
    body += b"".join(_string(v) for v in (username, password) if v is not None)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"\x10" + _varint(len(body)) + body)
        data = b""
        try:
            while len(data) < 4:
                chunk = s.recv(64)
                if not chunk:
                    break
                data += chunk
        except (ConnectionResetError, TimeoutError):
            return None
    return data[3] if len(data) >= 4 and data[0] == 0x20 else None


@pytest.fixture(scope="module")
def broker(mosquitto: Broker) -> Iterator[tuple[Broker, dict[str, str]]]:
    """The session broker with stations A and B; every account's real password."""
    mosquitto.add_stations(STREAMS)
    yield mosquitto, ours.load_credentials(mosquitto.state)


def test_right_passwords_connect(broker: tuple[Broker, dict[str, str]]) -> None:
    """The control: the helper does connect with the right password (so refusals mean it)."""
    b, creds = broker
    for account in (CODE, CODE + "B", "ingester", "simulator"):
        for port in (b.port, b.station_port):  # one set of accounts, both listeners
            for version in (4, 5):
                assert connack(port, account.encode(), creds[account].encode(), version) == 0


def test_crossed_and_partial_credentials_refused(broker: tuple[Broker, dict[str, str]]) -> None:
    b, creds = broker
    a, other = CODE, CODE + "B"
    cases: list[tuple[bytes | None, bytes | None]] = [
        (None, None),  # anonymous
        (a.encode(), None),  # no password
        (a.encode(), b""),
        (b"", creds[a].encode()),
        (other.encode(), creds[a].encode()),  # a station's password with another's name
        (a.encode(), creds[other].encode()),  # another station's name... and password crossed
        (b"ingester", creds[a].encode()),
        (b"ingester", creds["simulator"].encode()),
        (a.lower().encode(), creds[a].encode()),  # names are case-sensitive
        (a.encode() + b" ", creds[a].encode()),
        (a.encode(), creds[a].encode() + b" "),
        (a.encode(), creds[a][:-1].encode()),
        (a.encode(), creds[a].upper().encode() if creds[a] != creds[a].upper() else b"x"),
        (a.encode() + b"\x00", creds[a].encode()),
    ]
    for username, password in cases:
        for version, port in ((4, b.port), (5, b.port), (4, b.station_port), (5, b.station_port)):
            code = connack(port, username, password, version)
            assert code != 0, (username, password, version)
            if username is not None and b"\x00" not in username:
                assert code in REFUSED, (username, password, version, code)


def _logins(creds: dict[str, str]) -> st.SearchStrategy[tuple[bytes, bytes | None]]:
    names = st.one_of(
        st.sampled_from(sorted(creds)).map(str.encode),
        st.text(max_size=80).map(str.encode),
        st.text(min_size=2000, max_size=3000).map(str.encode),
        st.binary(max_size=64),
        st.just(b""),
    )
    passwords = st.one_of(
        st.sampled_from(sorted(creds.values())).map(str.encode),
        st.sampled_from(sorted(creds.values())).map(lambda p: (p[:-1] + "x").encode()),
        st.text(max_size=80).map(str.encode),
        st.binary(max_size=200),
        st.binary(min_size=60_000, max_size=65_535),
        st.just(b""),
        st.none(),
    )
    return st.tuples(names, passwords)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.data_too_large])  # fmt: skip
@given(data=st.data())
def test_fuzzed_logins_refused(broker: tuple[Broker, dict[str, str]], data: st.DataObject) -> None:
    b, creds = broker
    username, password = data.draw(_logins(creds))
    assume(not (password is not None and creds.get(username.decode(errors="replace"))
                == password.decode(errors="replace")))  # fmt: skip
    version = data.draw(st.sampled_from((4, 5)))
    code = connack(data.draw(st.sampled_from((b.port, b.station_port))), username, password,
                   version)
    assert code != 0, (username[:40], password[:40] if password else password, version)


def test_station_writes_nothing_but_its_own_topics(broker: tuple[Broker, dict[str, str]]) -> None:
    b, creds = broker
    seen: list[str] = []
    reader = client(b, "ingester", creds)
    reader.on_message = lambda _c, _u, m: seen.append(m.topic)
    reader.subscribe([("stations/+/telemetry", 1), ("v1.1/+/Observations", 1)])
    time.sleep(0.3)
    own = [f"stations/{CODE}/telemetry", "v1.1/Datastreams(515151)/Observations",
           "v1.1/Datastreams(515152)/Observations"]  # fmt: skip
    others = [
        f"stations/{CODE.lower()}/telemetry", f"stations/{CODE}B/telemetry",
        f"stations/{CODE[:-1]}/telemetry", "stations/ingester/telemetry",
        "v1.1/Datastreams(5151510)/Observations", "v1.1/Datastreams(51515)/Observations",
        "v1.1/Datastreams(525252)/Observations", "v1.1/Datastreams( 515151)/Observations",
        f"stations/{CODE}/telemetry/x", f"stations/{CODE}/status", f"/stations/{CODE}/telemetry",
        "$SYS/broker/x", "stations", "x",
    ]  # fmt: skip
    station = client(b, CODE, creds)
    acks = publish_all(station, own + others)
    time.sleep(0.5)
    for c in (station, reader):
        c.disconnect()
        c.loop_stop()
    assert sorted(seen) == sorted(own)
    assert all(acks[t] == 0 for t in own), acks
    assert all(acks[t] == 0x87 for t in others), acks  # MQTT 5 clients are told: not authorised


def test_station_and_ingester_rights_are_one_way(broker: tuple[Broker, dict[str, str]]) -> None:
    """A station reads nothing (not even its own topics); the ingester writes nothing."""
    b, creds = broker
    seen: list[str] = []
    station = client(b, CODE, creds)
    station.on_message = lambda _c, _u, m: seen.append(m.topic)
    station.subscribe([("#", 1), (f"stations/{CODE}/telemetry", 1), ("stations/+/telemetry", 1)])
    ingester = client(b, "ingester", creds)
    time.sleep(0.3)
    topics = [f"stations/{CODE}/telemetry", "v1.1/Datastreams(515151)/Observations", "x/y"]
    acks = publish_all(ingester, topics)
    sim = client(b, "simulator", creds)
    publish_all(sim, [f"stations/{CODE}B/telemetry"])
    time.sleep(0.5)
    for c in (station, ingester, sim):
        c.disconnect()
        c.loop_stop()
    assert seen == []
    assert set(acks.values()) == {0x87}
