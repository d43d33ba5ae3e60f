"""Our Mosquitto config and accounts: options accepted by 2.0, ACL, persistence, queue size."""

from __future__ import annotations

import threading
import time
import uuid

import paho.mqtt.client as mqtt

from sensors import broker as ours
from tests.fixtures.sensors import ReliablePublisher


def subscriber(mosquitto, account: str, topics: list[str]):
    got: list[tuple[str, bytes]] = []
    ready = threading.Event()
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"s-{uuid.uuid4().hex[:6]}",
                    protocol=mqtt.MQTTv5)
    creds = ours.load_credentials(mosquitto.state)
    c.username_pw_set(account, creds[account])
    c.on_message = lambda _c, _u, m: got.append((m.topic, m.payload))
    c.on_subscribe = lambda *_a: ready.set()
    c.on_connect = lambda cl, *_a: cl.subscribe([(t, 1) for t in topics])
    c.connect("127.0.0.1", mosquitto.port)
    c.loop_start()
    assert ready.wait(5)
    return c, got


def test_config_renders_every_tuning_option(tmp_path):
    text = ours.render_config(1884, tmp_path)
    for line in ("persistence true", "set_tcp_nodelay true", "max_inflight_messages 2000",
                 "max_queued_messages 1000000", "allow_anonymous false", "listener 1884"):
        assert line in text
    assert "@" not in text.replace("@STATE@", "")  # every placeholder filled
    assert "listener 1884 127.0.0.1" in text  # loopback unless told otherwise


def test_config_for_a_container_listens_everywhere_as_mosquitto(tmp_path):
    text = ours.render_config(1884, tmp_path, bind="0.0.0.0", user="mosquitto")
    assert "listener 1884 0.0.0.0" in text
    assert "\nuser mosquitto\n" in text


def _listeners(text: str) -> dict[str, list[str]]:
    """``listener`` line → the options that follow it (until the next listener)."""
    out: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("listener "):
            current = line
            out[current] = []
        elif current and line and not line.startswith("#"):
            out[current].append(line)
    return out


def test_config_binds_client_ids_to_accounts_on_the_stations_listener(tmp_path):
    text = ours.render_config(1884, tmp_path, station_port=1885, station_bind="0.0.0.0")
    assert _listeners(text) == {
        "listener 1884 127.0.0.1": [],  # services choose their ids; loopback by default
        "listener 1885 0.0.0.0": ["use_username_as_clientid true"],
    }
    assert "\nper_listener_settings true" not in text  # it breaks offline queues from 2.0.12
    single = ours.render_config(1884, tmp_path)  # no station port: no stations' listener
    assert _listeners(single) == {"listener 1884 127.0.0.1": []}
    assert "use_username_as_clientid" not in single.split("listener 1884")[1]


def test_compose_publishes_only_the_stations_listener():
    import yaml

    compose = yaml.safe_load((ours.TEMPLATE.parents[2] / "docker-compose.yml").read_text())
    services = compose["services"]
    prepare = " ".join(services["broker-config"]["command"])
    assert "--port 1884" in prepare and "--station-port 1885" in prepare
    assert "--station-bind 0.0.0.0" in prepare
    assert "--no-simulator" in prepare  # it may publish as any station
    assert services["broker"]["ports"] == ["1885:1885"]  # never the services' 1884
    ingest = " ".join(services["ingest"]["command"])
    assert f"--client-id \"{ours.SERVICE_PREFIX}" in ingest


def test_production_leaves_out_the_simulator_account(tmp_path):
    ours.prepare(tmp_path, 1884, {"S1": [4]}, station_port=1885)  # a development state first
    creds = ours.prepare(tmp_path, 1884, {"S1": [4]}, station_port=1885, simulator=False)
    assert sorted(creds) == ["S1", "ingester"]
    assert "simulator" not in (tmp_path / "acl").read_text()
    assert "simulator:" not in (tmp_path / "passwd").read_text()


def test_reserved_names_get_no_station_account(tmp_path):
    creds = ours.prepare(tmp_path, 1884, {"iocgis-ingester-1": [1], "IOCGIS-x": [2],
                                          "ingester": [3], "S1": [4]}, station_port=1885)
    assert sorted(creds) == ["S1", "ingester", "simulator"]
    acl = (tmp_path / "acl").read_text()
    assert "iocgis-" not in acl.lower() and "Datastreams(1)" not in acl
    assert ours.url_for(tmp_path, "ingester").endswith("@127.0.0.1:1884")
    assert ours.url_for(tmp_path, "S1").endswith("@127.0.0.1:1885")
    assert ours.url_for(tmp_path, "S1", 1999).endswith(":1999")


def test_start_restarts_a_running_broker_whose_listeners_changed(tmp_path):
    """``iocgis broker start`` reloads accounts with SIGHUP, but restarts for new listeners."""
    from tests.fixtures.broker import free_ports

    state = tmp_path / "state"
    port, station, other = free_ports(3)
    ours.prepare(state, port, {"S1": [1]}, station_port=station)
    pid, started = ours.start(state, port)
    try:
        assert started
        ours.prepare(state, port, {"S1": [1], "S2": [2]}, station_port=station)
        assert ours.start(state, port) == (pid, False)  # accounts only: reloaded
        ours.prepare(state, port, {"S1": [1]}, station_port=other)
        pid2, started = ours.start(state, port)
        assert started and pid2 != pid
        deadline = time.monotonic() + 5
        while not ours._listening(other) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ours._listening(other) and not ours._listening(station)
    finally:
        ours.stop(state)


def test_acl_station_writes_only_its_own_topics(mosquitto):
    code = "ACL" + uuid.uuid4().hex[:6]
    mosquitto.add_stations({code: [424242], code + "B": [434343]})
    sub, got = subscriber(mosquitto, "ingester", ["stations/+/telemetry", "v1.1/+/Observations"])
    pub = ReliablePublisher(mosquitto.url(code), f"p-{code}")
    allowed = [(f"stations/{code}/telemetry", b"1"), ("v1.1/Datastreams(424242)/Observations",
                                                      b"2")]
    denied = [(f"stations/{code}B/telemetry", b"3"), ("v1.1/Datastreams(434343)/Observations",
                                                      b"4")]
    pub.publish(allowed + denied)  # the broker acknowledges and drops what the ACL denies
    time.sleep(0.5)
    pub.close()
    sub.disconnect()
    sub.loop_stop()
    assert sorted(got) == sorted(allowed)


def test_ingester_account_may_only_read(mosquitto):
    sub, got = subscriber(mosquitto, "simulator", ["stations/+/telemetry"])  # no read right
    code = "RO" + uuid.uuid4().hex[:6]
    reader, got_reader = subscriber(mosquitto, "ingester", ["stations/+/telemetry"])
    ing = ReliablePublisher(mosquitto.url("ingester"), f"ing-{code}")
    ing.publish([(f"stations/{code}/telemetry", b"x")])
    sim = ReliablePublisher(mosquitto.url("simulator"), f"sim-{code}")
    sim.publish([(f"stations/{code}/telemetry", b"y")])
    time.sleep(0.5)
    for c in (ing, sim):
        c.close()
    for c in (sub, reader):
        c.disconnect()
        c.loop_stop()
    assert got == []  # the simulator cannot read
    assert got_reader == [(f"stations/{code}/telemetry", b"y")]  # the ingester cannot write


def test_backlog_beyond_debian_limits_survives_a_broker_restart(mosquitto):
    """5,000 messages queued for an offline session (Debian drops beyond 1,000), restart."""
    cid = f"offline-{uuid.uuid4().hex[:6]}"
    topic = f"stations/Q{uuid.uuid4().hex[:6]}/telemetry"

    def session(clean: bool):
        got: list[bytes] = []
        ready = threading.Event()
        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=cid, protocol=mqtt.MQTTv5)
        c.username_pw_set("ingester", ours.load_credentials(mosquitto.state)["ingester"])
        c.on_message = lambda _c, _u, m: got.append(m.payload)
        c.on_subscribe = lambda *_a: ready.set()
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 3600
        c.on_connect = lambda cl, *_a: cl.subscribe(topic, 1)
        c.connect("127.0.0.1", mosquitto.port, clean_start=clean, properties=props)
        c.loop_start()
        assert ready.wait(5)
        return c, got

    # Mosquitto 2.0.11 does not save, across a restart, a session that was opened with
    # clean_start=True even when it has an expiry: our ingester always uses clean_start=False.
    c, _ = session(False)
    c.disconnect()
    c.loop_stop()
    pub = ReliablePublisher(mosquitto.url("simulator"), f"p-{cid}")
    assert pub.publish([(topic, str(i).encode()) for i in range(5000)]) == 5000
    pub.close()
    mosquitto.restart()
    c, got = session(False)
    deadline = time.monotonic() + 30
    while len(set(got)) < 5000 and time.monotonic() < deadline:
        time.sleep(0.1)
    c.disconnect()
    c.loop_stop()
    assert len(set(got)) == 5000
