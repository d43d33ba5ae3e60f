"""The ingest loop: take a batch, hand it to the store process, acknowledge what it committed."""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import threading
import time
from collections import deque
from dataclasses import dataclass, field

from sensors.handover import READY, Committed, store_main
from sensors.transport import Message, Subscriber

log = logging.getLogger(__name__)

RETIRE_QUIET = 3.0  # s without a message before a retiring ingester deems its session drained


@dataclass
class IngestConfig:
    """How the ingester connects and batches."""

    mqtt_url: str
    database_url: str | None = None
    client_id: str = "iocgis-ingester-1"
    # None: a plain subscription, which Mosquitto 2.0.11 keeps across its restarts; a group
    # name: a shared subscription for scale-out, which 2.0.11 does not restore after a
    # restart (messages published before the ingesters re-subscribe are dropped).
    group: str | None = None
    batch_messages: int = 1000
    max_wait: float = 0.2
    receive_maximum: int = 2000
    rollups: bool = True  # run sensors.rollups after commits (off when a separate worker does)
    retire: bool = False  # drain this client id's session, delete it, and exit


@dataclass
class IngestStats:
    """Counters of one ingester run."""

    messages: int = 0
    readings: int = 0
    inserted: int = 0
    rejected: int = 0
    batches: int = 0
    retries: int = 0
    acked: int = 0
    started: float = field(default_factory=time.monotonic)


class Ingester:
    """Receives and acknowledges; the store process (``sensors.ingest_store``) parses, commits.

    Batches go to the store process in order and come back as :class:`Committed` replies in
    the same order; the acknowledger thread acknowledges a batch only after its commit, so a
    kill of either process leaves the rest unacknowledged for the broker to send again.
    """

    def __init__(self, config: IngestConfig) -> None:
        self.config = config
        self.stop_event = threading.Event()
        self.stats = IngestStats()
        self.subscriber = Subscriber(
            config.mqtt_url, config.client_id, group=config.group,
            receive_maximum=config.receive_maximum,
        )
        # spawn, not fork: the parent has threads (paho's, a test runner's) whose locks a
        # forked child would inherit held
        self._mp = multiprocessing.get_context("spawn")
        self.stopping = self._mp.Event()  # seen by the store process's retry loops
        self.inflight: deque[tuple[int, list[Message]]] = deque()
        self.failed = threading.Event()
        self.crashed = False
        self.drained = False  # a retiring ingester found its session empty
        self.lost = 0

    def stop(self) -> None:
        """Ask the loop to flush, acknowledge and return (safe from a signal handler)."""
        self.stop_event.set()
        self.stopping.set()
        self.subscriber.wake()

    def _crash(self, why: str) -> None:
        log.error("%s; stopping (unacknowledged messages stay with the broker)", why)
        self.crashed = True
        self.failed.set()
        self.stop()

    def _acknowledge(self, replies: multiprocessing.connection.Connection) -> None:
        """Acknowledge each batch its reply says is committed; the rest stays unacknowledged."""
        while True:
            try:
                reply: Committed | None = replies.recv()
            except (EOFError, OSError):
                reply = None
                if not self.crashed:
                    self._crash("the store process ended without finishing")
            if reply is None:
                self.lost += sum(len(m) for _, m in self.inflight)
                self.inflight.clear()
                return
            seq, messages = self.inflight.popleft()
            if seq != reply.seq:  # a bug: never acknowledge a batch by another's reply
                self.lost += len(messages)
                self._crash(f"reply for batch {reply.seq} while {seq} was first")
                continue
            self.stats.retries = reply.retries
            if not reply.ok:
                self.failed.set()
                self.lost += len(messages)
                continue
            self.stats.acked += self.subscriber.ack(messages)
            self.stats.batches += 1
            self.stats.messages += len(messages)
            self.stats.readings += reply.staged
            self.stats.inserted += reply.inserted
            self.stats.rejected += reply.rejected

    def _start_store(self) -> tuple[multiprocessing.process.BaseProcess,
                                    multiprocessing.connection.Connection,
                                    multiprocessing.connection.Connection]:  # fmt: skip
        """Start the store process and wait until it has loaded the catalogue.

        No time limit: during a database outage it retries, as the ingester always has, until
        the outage ends or a stop request outlasts STOP_GRACE.
        """
        batches_out, batches_in = self._mp.Pipe(duplex=False)
        replies_out, replies_in = self._mp.Pipe(duplex=False)
        cfg = self.config
        store = self._mp.Process(
            target=store_main, name="iocgis-ingest-store", daemon=True,
            args=(batches_out, replies_in, self.stopping, cfg.database_url, cfg.rollups),
        )
        store.start()
        batches_out.close()  # the child's ends: closed here so that its exit reads as EOF
        replies_in.close()
        while not replies_out.poll(0.5):
            if not store.is_alive():
                break
        try:
            started = replies_out.recv() == READY
        except (EOFError, OSError):
            started = False
        if not started:
            self._crash("the store process did not start")
        return store, batches_in, replies_out

    def _send(self, batches: multiprocessing.connection.Connection, batch: list[Message],
              seq: int) -> None:  # fmt: skip
        self.inflight.append((seq, batch))
        try:
            batches.send((seq, [(m.topic, m.payload, m.received_at) for m in batch]))
        except OSError:
            self._crash("the store process is gone")

    def run(self) -> IngestStats:
        """Ingest until :meth:`stop`; the last batch is committed and acknowledged first."""
        store, batches, replies = self._start_store()
        acknowledger = threading.Thread(target=self._acknowledge, args=(replies,),
                                        name="acknowledger")  # fmt: skip
        acknowledger.start()
        cfg = self.config
        self.subscriber.retiring = cfg.retire
        if not self.crashed and not self.stop_event.is_set():
            self.subscriber.start()
        idle_since = time.monotonic()
        seq = 0
        try:
            while not self.stop_event.is_set():
                batch = self.subscriber.take(cfg.batch_messages, cfg.max_wait)
                if cfg.retire:
                    # the session's queue arrives right after connecting: quiet, with every
                    # batch committed and acknowledged (a full in-flight window is quiet too),
                    # means drained
                    if batch or self.inflight or not self.subscriber.connected.is_set():
                        idle_since = time.monotonic()
                    elif time.monotonic() - idle_since > RETIRE_QUIET:
                        self.drained = True
                        self.stop_event.set()
                if batch:
                    seq += 1
                    self._send(batches, batch, seq)
            # Flush what was received before the stop request.
            while not self.failed.is_set() and (
                batch := self.subscriber.take(cfg.batch_messages, 0.0, idle_wait=0.0)
            ):
                seq += 1
                self._send(batches, batch, seq)
        finally:
            with contextlib.suppress(OSError):  # the store process may be gone already
                batches.send(None)
            acknowledger.join()
            store.join(30)
            if store.is_alive():
                store.kill()
            batches.close()
            replies.close()
            if self.lost:
                log.error("stopped with %d messages not committed (the broker keeps them)",
                          self.lost)  # fmt: skip
            self.subscriber.stop(forget=self.drained and not self.failed.is_set())
        return self.stats
