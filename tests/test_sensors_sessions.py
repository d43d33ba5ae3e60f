"""MQTT client ids on our real Mosquitto: a station cannot take over another client's session.

Client ids are global and not bound to accounts: a login with an id in use kicks its holder and
inherits its persistent session and queue. On the stations' listener the client id is the
account name (``use_username_as_clientid``); the services' listener, which is never published,
has no such guard (the control test shows the attack there).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest

from sensors import broker as ours
from tests.fixtures.broker import Broker, client, end_session, publish_all, session

#: Station A and station B, whose code starts with A's.
CODE = "SS" + uuid.uuid4().hex[:6].upper()


@pytest.fixture(scope="module")
def broker(mosquitto: Broker) -> Iterator[tuple[Broker, dict[str, str]]]:
    """The session broker with stations A and B; every account's real password."""
    mosquitto.add_stations({CODE: [535353], CODE + "B": [545454]})
    yield mosquitto, ours.load_credentials(mosquitto.state)


def _takeover(
    b: Broker, creds: dict[str, str], station_port: int
) -> tuple[list[bytes], list[bytes], list[int]]:
    """A station logs in with the ingester's client id on ``station_port``, while the
    ingester is offline with 3 messages queued, then while it is connected.

    (what the station received, what the ingester received, the ingester's disconnect codes)
    """
    cid, topic = f"iocgis-ingester-{uuid.uuid4().hex[:6]}", f"stations/{CODE}/telemetry"
    ing, _, _ = session(b, "ingester", cid, creds)
    ing.subscribe(topic, 1)
    time.sleep(0.3)
    ing.disconnect()
    ing.loop_stop()
    sim = client(b, "simulator", creds)
    publish_all(sim, [topic] * 3)  # queued for the ingester's offline session
    thief, stolen, _ = session(b, CODE, cid, creds, station_port)  # reusing the ingester's id
    time.sleep(0.5)
    end_session(thief)
    ing, got, drops = session(b, "ingester", cid, creds)
    deadline = time.monotonic() + 5
    while len(got) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    kicker, _, _ = session(b, CODE, cid, creds, station_port)  # and while it is connected
    time.sleep(0.5)
    dropped = list(drops)  # before our own disconnections
    end_session(kicker)
    end_session(ing)
    sim.disconnect()
    sim.loop_stop()
    return stolen, got, dropped


def test_station_cannot_take_over_the_ingester_session(
    broker: tuple[Broker, dict[str, str]],
) -> None:  # fmt: skip
    """On the stations' listener the client id is the account name: the ingester keeps both
    its queue and its connection."""
    b, creds = broker
    stolen, got, drops = _takeover(b, creds, b.station_port)
    assert stolen == []
    assert len(got) == 3, "the ingester's queued messages were lost to the other account"
    assert drops == [], "the ingester was disconnected by another account's login"


def test_the_services_listener_has_no_such_guard(broker: tuple[Broker, dict[str, str]]) -> None:
    """The control (and why the services' port is never published): there, any account may
    pick any client id, and the same attack empties and kicks the ingester's session."""
    b, creds = broker
    stolen, got, drops = _takeover(b, creds, b.port)
    assert got == [], "the station's login did not take the ingester's session and queue"
    assert stolen == []  # not even delivered to the thief (no read right): simply lost
    assert drops and drops[0] != 0, "the station's login did not kick the ingester"


def test_station_cannot_take_over_another_station(broker: tuple[Broker, dict[str, str]]) -> None:
    """Station A sending station B's code as its client id does not disconnect B."""
    b, creds = broker
    victim, _, drops = session(b, CODE + "B", CODE + "B", creds)
    thief, _, _ = session(b, CODE, CODE + "B", creds)
    time.sleep(0.5)
    dropped = list(drops)
    for c in (thief, victim):
        end_session(c)
    assert dropped == []
