"""The ingester's store process: parse the batches the MQTT process hands over, commit them.

The MQTT process (``sensors.ingester``) only receives and acknowledges; this process, started
by it, turns each batch into rows, commits it and replies, in batch order, so that the MQTT
process acknowledges exactly what is committed. In one process the parsing, the COPY and the
rollups shared paho's interpreter lock and their time came out of its (0.63× the raw paho
subscriber at 10 readings a message, ``bench/bench_ingest.py``).

Inside, two stages run at once as before: the main thread parses batch N+1 while the committer
thread writes batch N (PostgreSQL works outside the GIL).
"""

from __future__ import annotations

import logging
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event

import psycopg

from gis.errors import IocGisError
from sensors.catalog import Catalog, catalog_version, load_catalog
from sensors.handover import LOG_FORMAT, READY, Batch, Committed, Wire
from sensors.messages import to_rows
from sensors.rollups import Rollups
from sensors.store import RejectRow, StageRow, Writer, month_start

log = logging.getLogger(__name__)

STOP_GRACE = 10.0  # s a stop request waits for the database before leaving the rest unacked


@dataclass
class Prepared:
    """A parsed batch waiting for its commit."""

    seq: int
    rows: list[StageRow] = field(default_factory=list)
    rejects: list[RejectRow] = field(default_factory=list)
    stations: set[str] = field(default_factory=set)


class Store:
    """Parses and commits batches; replies through ``replies``."""

    def __init__(self, database_url: str | None, stopping: Event, replies: Connection,
                 rollups: bool) -> None:  # fmt: skip
        self.stopping = stopping
        self.replies = replies
        self.writer = Writer(database_url)  # the committer's connection
        self.registry = Writer(database_url)  # the parser's, for catalogue reloads
        self.catalog = Catalog()
        self.rollups = Rollups(database_url) if rollups else None
        self.queue: queue.Queue[Prepared | int | None] = queue.Queue(maxsize=1)
        self.failed = threading.Event()
        self.retries = 0

    def _retry(self, what: str, action: Callable[[], object], writer: Writer) -> bool:
        """Run ``action`` until it succeeds; False when a stop request outlasts the outage."""
        delay = 0.1
        give_up: float | None = None
        while True:
            try:
                action()
                return True
            except (psycopg.Error, IocGisError) as exc:
                self.retries += 1
                writer.close()
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                log.warning("%s failed, retrying in %.1f s: %s", what, delay, first)
            if self.stopping.is_set():
                give_up = give_up or time.monotonic() + STOP_GRACE
                if time.monotonic() > give_up:
                    return False
                time.sleep(delay)
            else:
                self.stopping.wait(delay)
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

    def _prepare(self, seq: int, batch: list[Wire]) -> Prepared | None:
        now = datetime.now(UTC)
        outcomes = [to_rows(topic, payload, self.catalog, now) for topic, payload, _ in batch]
        if any(o.unknown for o in outcomes):
            # a station registered a moment ago: its first readings must not be refused
            old = self.catalog
            if not self._retry("catalogue reload", self._refresh_catalog, self.registry):
                return None
            if self.catalog is not old:
                outcomes = [
                    to_rows(m[0], m[1], self.catalog, now) if o.unknown else o
                    for m, o in zip(batch, outcomes, strict=True)
                ]
        prepared = Prepared(seq)
        rows = prepared.rows
        for (topic, payload, at), o in zip(batch, outcomes, strict=True):
            received = datetime.fromtimestamp(at, UTC)
            n = len(rows)
            rows.extend((r[0], r[1], r[2], r[3], received, n + i) for i, r in enumerate(o.rows))
            prepared.stations |= o.stations
            if o.reason is not None:
                prepared.rejects.append((topic, payload, o.reason, received))
        return prepared

    def _commit(self, p: Prepared) -> Committed:
        result = None

        def commit() -> None:
            nonlocal result
            result = self.writer.write(p.rows, p.rejects, p.stations)

        if not self._retry("batch commit", commit, self.writer) or result is None:
            return Committed(p.seq, False)
        if p.rows and self.rollups is not None:
            self.rollups.due.set()
        return Committed(p.seq, True, result.staged, result.inserted, result.rejected,
                         self.retries)  # fmt: skip

    def _reply(self, reply: object) -> None:
        try:
            self.replies.send(reply)
        except OSError:  # the MQTT process is gone: what it did not acknowledge comes again
            self.stopping.set()

    def _committer(self) -> None:
        """Commit prepared batches in order; after a failure, only answer 'not committed'."""
        next_partitions = time.monotonic() + 3600
        while (p := self.queue.get()) is not None:
            if isinstance(p, int) or self.failed.is_set():
                seq = p if isinstance(p, int) else p.seq
                reply = Committed(seq, False)
            else:
                reply = self._commit(p)
            if not reply.ok:
                self.failed.set()
            self._reply(reply)
            if time.monotonic() > next_partitions:
                # months ahead are created before the first reading of the month arrives
                t = datetime.now(UTC)
                months = [month_start(t), month_start(t + timedelta(days=40))]
                self._retry("partitions", partial(self.writer.ensure_partitions, months),
                            self.writer)
                next_partitions = time.monotonic() + 3600

    def run(self, batches: Connection) -> None:
        """Start up, then take batches until the MQTT process sends None or goes away."""
        now = datetime.now(UTC)
        self._retry("start-up", self._reload_catalog, self.registry)
        ahead = [month_start(now - timedelta(days=31)), month_start(now + timedelta(days=62))]
        self._retry("partitions", partial(self.writer.ensure_partitions, ahead), self.writer)
        committer = threading.Thread(target=self._committer, name="committer")
        committer.start()
        if self.rollups is not None:
            self.rollups.start()
        self._reply(READY)
        try:
            while True:
                try:
                    item: Batch | None = batches.recv()
                except (EOFError, OSError):  # killed: commit what is queued, then leave
                    self.stopping.set()
                    break
                if item is None:
                    break
                seq, wire = item
                p = None if self.failed.is_set() else self._prepare(seq, wire)
                self.queue.put(seq if p is None else p)
        finally:
            self.queue.put(None)
            committer.join()
            if self.rollups is not None:
                self.rollups.stopping.set()
            self.writer.close()
            self.registry.close()
            self._reply(None)


def serve(batches: Connection, replies: Connection, stopping: Event, database_url: str | None,
          rollups: bool) -> None:  # fmt: skip
    """Run the store process until the MQTT process is done (``sensors.handover.store_main``)."""
    # The terminal's Ctrl-C reaches the whole process group: the MQTT process decides when to
    # stop, and says so by sending None after its last batch.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format=LOG_FORMAT)
    try:
        Store(database_url, stopping, replies, rollups).run(batches)
    except Exception:  # a bug, not an outage: the MQTT process sees the pipe close and stops
        log.exception("the store process failed")
        raise
