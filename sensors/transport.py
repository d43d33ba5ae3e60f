"""MQTT transport: a persistent QoS 1 session whose messages are acknowledged only on request."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from gis.errors import InvalidInput

log = logging.getLogger(__name__)

#: The topic families the ingester reads (see sensors.messages).
TOPICS = ("stations/+/telemetry", "v1.1/+/Observations")


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    """Where the broker is and who we are there, parsed from an ``mqtt://`` URL."""

    host: str
    port: int
    username: str | None
    password: str | None


def parse_mqtt_url(url: str) -> BrokerAddress:
    """Parse ``mqtt://user:password@host:port`` (port 1883 by default)."""
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "tcp") or not parts.hostname:
        raise InvalidInput(f"not an mqtt:// URL: {parts.scheme}://{parts.hostname or ''}")
    return BrokerAddress(
        host=parts.hostname,
        port=parts.port or 1883,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


@dataclass(frozen=True, slots=True)
class Message:
    """One received message; ``session`` tells which connection its ``mid`` belongs to."""

    topic: str
    payload: bytes
    mid: int
    session: int
    received_at: float  # time.time()
    arrived: float  # time.monotonic()


class Subscriber:
    """A paho client with a fixed id, a persistent session and manual acknowledgement.

    Messages pile up in a buffer read by :meth:`take`; the broker stops sending once its
    in-flight window (``receive_maximum``) is full of unacknowledged messages, which is the
    back-pressure when the database is slow.
    """

    def __init__(
        self,
        url: str,
        client_id: str,
        *,
        group: str | None = None,
        receive_maximum: int = 2000,
        session_expiry: int = 7 * 24 * 3600,
        topics: tuple[str, ...] = TOPICS,
    ) -> None:
        self.address = parse_mqtt_url(url)
        self.topics = [f"$share/{group}/{t}" if group else t for t in topics]
        self.session = 0
        self.retiring = False
        self.connected = threading.Event()
        self._cond = threading.Condition()
        self._buffer: list[Message] = []
        self._wake = False
        client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5
        )
        client.manual_ack_set(True)
        if self.address.username:
            client.username_pw_set(self.address.username, self.address.password)
        client.reconnect_delay_set(min_delay=1, max_delay=5)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = session_expiry
        props.ReceiveMaximum = receive_maximum
        self._connect_props = props
        self.client = client

    def start(self) -> None:
        """Connect in the background (retrying until the broker answers)."""
        a = self.address
        self.client.connect_async(
            a.host, a.port, keepalive=30, clean_start=False, properties=self._connect_props
        )
        self.client.loop_start()

    def _on_connect(self, client: mqtt.Client, _u: object, flags: object, rc: object,
                    _p: object = None) -> None:
        if getattr(rc, "is_failure", False):
            log.error("broker refused the connection: %s", rc)
            return
        self.session += 1
        if self.retiring:  # take no new share; what the session holds still arrives
            client.unsubscribe(self.topics)
        else:
            client.subscribe([(t, mqtt.SubscribeOptions(qos=1)) for t in self.topics])
        log.info("connected to %s:%s (session %d, present=%s)", self.address.host,
                 self.address.port, self.session, getattr(flags, "session_present", None))
        self.connected.set()

    def _on_subscribe(self, _c: mqtt.Client, _u: object, _mid: int,
                      codes: list[ReasonCode], _p: Properties | None = None) -> None:
        failed = [str(c) for c in codes if getattr(c, "is_failure", False)]
        if failed:
            log.error("subscription refused: %s", ", ".join(failed))
        else:
            log.info("subscribed to %s", ", ".join(self.topics))

    def _on_disconnect(self, _c: mqtt.Client, _u: object, _f: object, rc: object,
                       _p: object = None) -> None:
        self.connected.clear()
        log.warning("disconnected from the broker: %s", rc)

    def _on_message(self, _c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        m = Message(
            msg.topic, bytes(msg.payload), msg.mid, self.session, time.time(), time.monotonic()
        )
        with self._cond:
            self._buffer.append(m)
            if len(self._buffer) == 1 or self._wake:
                self._cond.notify()

    def wake(self) -> None:
        """Make a waiting :meth:`take` return now (used on shutdown)."""
        with self._cond:
            self._wake = True
            self._cond.notify_all()

    def take(self, max_messages: int, max_wait: float, idle_wait: float = 0.5) -> list[Message]:
        """Wait for a batch: ``max_messages``, or whatever came ``max_wait`` s after the first."""
        with self._cond:
            end_idle = time.monotonic() + idle_wait
            while True:
                now = time.monotonic()
                n = len(self._buffer)
                if n >= max_messages or self._wake:
                    break
                remaining = (self._buffer[0].arrived + max_wait if n else end_idle) - now
                if remaining <= 0:
                    break
                # Poll at most every 20 ms while filling: notifying per message costs more.
                self._cond.wait(min(remaining, 0.02) if n else remaining)
            self._wake = False
            batch = self._buffer[:max_messages]
            del self._buffer[:max_messages]
            return batch

    def ack(self, messages: list[Message]) -> int:
        """Acknowledge messages of the current connection; older ones will be redelivered."""
        current = self.session
        sent = 0
        for m in messages:
            if m.session == current:
                self.client.ack(m.mid, 1)
                sent += 1
        return sent

    def stop(self, forget: bool = False) -> None:
        """Disconnect after the acknowledgements already queued; ``forget`` ends the session."""
        props = None
        if forget:
            props = Properties(PacketTypes.DISCONNECT)
            props.SessionExpiryInterval = 0
        self.client.disconnect(properties=props)
        self.client.loop_stop()
