"""The ingest loop: take a batch, turn it into rows, commit, then acknowledge."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial

import psycopg

from gis.db import connect
from gis.errors import IocGisError
from sensors.catalog import Catalog, catalog_version, load_catalog
from sensors.messages import to_rows
from sensors.rollups import process_pending, sweep_due
from sensors.store import RejectRow, StageRow, Writer, month_start
from sensors.transport import Message, Subscriber

log = logging.getLogger(__name__)

ROLLUP_INTERVAL = 1.0  # s, at least, between two rollup runs
RETIRE_QUIET = 3.0  # s without a message before a retiring ingester deems its session drained
STOP_GRACE = 10.0  # s a stop request waits for the database before leaving the rest unacked


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


class Rollups(threading.Thread):
    """Runs ``sensors.rollups.process_pending`` at most once a second, off the ack path."""

    def __init__(self, database_url: str | None) -> None:
        super().__init__(name="rollups", daemon=True)
        self.url = database_url
        self.due = threading.Event()
        self.stopping = threading.Event()

    def run(self) -> None:
        """Wait for commits; run the rollup job; log and retry later on failure."""
        conn: psycopg.Connection | None = None
        while not self.stopping.is_set():
            # Also when nothing arrives: silent stations must still turn offline/interrupted.
            if not self.due.wait(0.5) and not sweep_due():
                continue
            self.due.clear()
            try:
                if conn is None or conn.closed or conn.broken:
                    conn = connect(self.url)
                process_pending(conn)
                conn.commit()
            except Exception as exc:  # never let rollups stop ingest: log, retry later
                log.warning("rollups failed, will retry: %s", exc)
                self.due.set()
                if conn is not None and not conn.closed:
                    conn.close()
                conn = None
            self.stopping.wait(ROLLUP_INTERVAL)
        if conn is not None:
            conn.close()


@dataclass
class Prepared:
    """A parsed batch waiting for its commit; its messages are acknowledged after it."""

    messages: list[Message]
    rows: list[StageRow]
    rejects: list[RejectRow]
    stations: set[str]


class Ingester:
    """Ties the subscriber, the pure parser and the writer together.

    Two stages run at once: the main thread takes and parses batch N+1 while the committer
    thread writes batch N (PostgreSQL works outside the GIL). The committer is the only one
    to acknowledge, in batch order, and only after the commit.
    """

    def __init__(self, config: IngestConfig) -> None:
        self.config = config
        self.stop_event = threading.Event()
        self.stats = IngestStats()
        self.writer = Writer(config.database_url)  # the committer's connection
        self.registry = Writer(config.database_url)  # the parser's, for catalogue reloads
        self.subscriber = Subscriber(
            config.mqtt_url, config.client_id, group=config.group,
            receive_maximum=config.receive_maximum,
        )
        self.catalog = Catalog()
        self.rollups = Rollups(config.database_url)
        self.queue: queue.Queue[Prepared | None] = queue.Queue(maxsize=1)
        self.failed = threading.Event()
        self.crashed = False
        self.drained = False  # a retiring ingester found its session empty

    def stop(self) -> None:
        """Ask the loop to flush, acknowledge and return (safe from a signal handler)."""
        self.stop_event.set()
        self.subscriber.wake()

    def _retry(self, what: str, action: Callable[[], object], writer: Writer) -> bool:
        """Run ``action`` until it succeeds; False when a stop request outlasts the outage."""
        delay = 0.1
        give_up: float | None = None
        while True:
            try:
                action()
                return True
            except (psycopg.Error, IocGisError) as exc:
                self.stats.retries += 1
                writer.close()
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                log.warning("%s failed, retrying in %.1f s: %s", what, delay, first)
            if self.stop_event.is_set():
                give_up = give_up or time.monotonic() + STOP_GRACE
                if time.monotonic() > give_up:
                    return False
                time.sleep(delay)
            else:
                self.stop_event.wait(delay)
            delay = min(delay * 2, 5.0)

    def _reload_catalog(self) -> None:
        conn = self.registry.connection()
        self.catalog = load_catalog(conn)
        conn.commit()

    def _refresh_catalog(self) -> None:
        """Reload the catalogue only if the registry changed (one small query)."""
        conn = self.registry.connection()
        changed = catalog_version(conn) != self.catalog.version
        conn.commit()
        if changed:
            self._reload_catalog()

    def _prepare(self, batch: list[Message]) -> Prepared | None:
        now = datetime.now(UTC)
        outcomes = [to_rows(m.topic, m.payload, self.catalog, now) for m in batch]
        if any(o.unknown for o in outcomes):
            # a station registered a moment ago: its first readings must not be refused
            old = self.catalog
            if not self._retry("catalogue reload", self._refresh_catalog, self.registry):
                return None
            if self.catalog is not old:
                outcomes = [
                    to_rows(m.topic, m.payload, self.catalog, now) if o.unknown else o
                    for m, o in zip(batch, outcomes, strict=True)
                ]
        prepared = Prepared(batch, [], [], set())
        rows = prepared.rows
        for m, o in zip(batch, outcomes, strict=True):
            received = datetime.fromtimestamp(m.received_at, UTC)
            seq = len(rows)
            rows.extend((r[0], r[1], r[2], r[3], received, seq + i) for i, r in enumerate(o.rows))
            prepared.stations |= o.stations
            if o.reason is not None:
                prepared.rejects.append((m.topic, m.payload, o.reason, received))
        return prepared

    def _commit(self, p: Prepared) -> bool:
        result = None

        def commit() -> None:
            nonlocal result
            result = self.writer.write(p.rows, p.rejects, p.stations)

        if not self._retry("batch commit", commit, self.writer) or result is None:
            return False
        self.stats.acked += self.subscriber.ack(p.messages)
        self.stats.batches += 1
        self.stats.messages += len(p.messages)
        self.stats.readings += result.staged
        self.stats.inserted += result.inserted
        self.stats.rejected += result.rejected
        if p.rows and self.config.rollups:
            self.rollups.due.set()
        return True

    def _committer(self) -> None:
        """Commit prepared batches in order; after a failure, only drain the queue."""
        next_partitions = time.monotonic() + 3600
        lost = 0
        while (p := self.queue.get()) is not None:
            try:
                ok = not self.failed.is_set() and self._commit(p)
            except Exception:  # a bug, not an outage: stop (unacknowledged messages stay)
                log.exception("committer failed; stopping")
                self.crashed = True
                self.stop()
                ok = False
            if not ok:
                self.failed.set()
                lost += len(p.messages)
            self.queue.task_done()
            if time.monotonic() > next_partitions:
                # months ahead are created before the first reading of the month arrives
                t = datetime.now(UTC)
                months = [month_start(t), month_start(t + timedelta(days=40))]
                self._retry("partitions", partial(self.writer.ensure_partitions, months),
                            self.writer)
                next_partitions = time.monotonic() + 3600
        if lost:
            log.error("stopped with %d messages not committed (the broker keeps them)", lost)

    def run(self) -> IngestStats:
        """Ingest until :meth:`stop`; the last batch is committed and acknowledged first."""
        now = datetime.now(UTC)
        self._retry("start-up", self._reload_catalog, self.registry)
        ahead = [month_start(now - timedelta(days=31)), month_start(now + timedelta(days=62))]
        self._retry("partitions", partial(self.writer.ensure_partitions, ahead), self.writer)
        committer = threading.Thread(target=self._committer, name="committer")
        committer.start()
        if self.config.rollups:
            self.rollups.start()
        cfg = self.config
        self.subscriber.retiring = cfg.retire
        self.subscriber.start()
        idle_since = time.monotonic()
        try:
            while not self.stop_event.is_set():
                batch = self.subscriber.take(cfg.batch_messages, cfg.max_wait)
                if cfg.retire:
                    # the session's queue arrives right after connecting: quiet, with every
                    # batch committed and acknowledged (a full in-flight window is quiet too),
                    # means drained
                    busy = (batch or self.queue.unfinished_tasks
                            or not self.subscriber.connected.is_set())
                    if busy:
                        idle_since = time.monotonic()
                    elif time.monotonic() - idle_since > RETIRE_QUIET:
                        self.drained = True
                        self.stop_event.set()
                if batch and (p := self._prepare(batch)) is not None:
                    self.queue.put(p)
            # Flush what was received before the stop request.
            while not self.failed.is_set() and (
                batch := self.subscriber.take(cfg.batch_messages, 0.0, idle_wait=0.0)
            ):
                if (p := self._prepare(batch)) is not None:
                    self.queue.put(p)
        finally:
            self.queue.put(None)
            committer.join()
            self.subscriber.stop(forget=self.drained and not self.failed.is_set())
            self.rollups.stopping.set()
            self.writer.close()
            self.registry.close()
        return self.stats
