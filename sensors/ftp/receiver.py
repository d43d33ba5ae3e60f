"""Processing of a file that has arrived: parse, check, store exactly once, mark done, queue.

The readings go through the ingester's store (``sensors.store.Writer``): the same staging,
keys (``ON CONFLICT DO NOTHING``), rejects, latest values, pending rollups and NOTIFY as MQTT.
The ledger row is finished in the same transaction as the readings, and the file is renamed
(``<name>.<ledger id>.done``) only after that commit; a crash in between leaves the file under
its name, and its next processing finds the committed row and stores nothing twice.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from sensors.catalog import Catalog, StationStreams, catalog_version, load_catalog
from sensors.files.parser import FileError, parse_file
from sensors.files.rows import file_rows
from sensors.ftp import accounts, ledger
from sensors.store import RejectRow, StageRow, Writer, month_start

log = logging.getLogger(__name__)

DONE, REJECTED = ".done", ".rejected"
PART = ".part"  # uploads in progress (see sensors.ftp.server.PartFS)


@dataclass(frozen=True, slots=True)
class Processed:
    """What processing one file did."""

    file_id: int
    state: str
    stored: int = 0
    rejected_lines: int = 0
    reason: str | None = None
    moved_to: Path | None = None


def pending_files(root: Path) -> Iterator[tuple[str, Path]]:
    """(account, path) of every arrived file not yet marked done or rejected, oldest first."""
    found = []
    for account_dir in sorted(p for p in root.iterdir() if p.is_dir()) if root.exists() else []:
        for path in account_dir.rglob("*"):
            if path.is_file() and not path.name.startswith(".") and not path.name.endswith(
                    (DONE, REJECTED, PART)):
                found.append((path.stat().st_mtime, account_dir.name, path))
    for _, account, path in sorted(found):
        yield account, path


class Processor:
    """Turns arrived files into stored readings; one instance per writer thread."""

    def __init__(self, root: Path, database_url: str | None = None,
                 relay_queue: Path | None = None, max_bytes: int = 1_000_000) -> None:
        self.root = root
        self.writer = Writer(database_url)
        self.relay_queue = relay_queue
        self.max_bytes = max_bytes
        self.catalog = Catalog()

    def close(self) -> None:
        """Close the database connection."""
        self.writer.close()

    def _station(self, conn: psycopg.Connection, code: str, version: tuple[object, ...]
                 ) -> StationStreams | None:
        """The station's datastreams, the catalogue reloaded when the registry changed."""
        if code not in self.catalog.stations or version != self.catalog.version:
            with conn.transaction():
                self.catalog = load_catalog(conn)
        return self.catalog.stations.get(code)

    def _move(self, path: Path, file_id: int, suffix: str) -> Path:
        target = path.with_name(f"{path.name}.{file_id}{suffix}")
        os.replace(path, target)
        return target

    def _enqueue(self, path: Path, file_id: int) -> None:
        """Hand the file to the relay's queue (a hard link, or a copy across file systems)."""
        if self.relay_queue is None:
            return
        self.relay_queue.mkdir(parents=True, exist_ok=True)
        target = self.relay_queue / f"{file_id}-{path.name}"
        if target.exists():
            return
        tmp = self.relay_queue / f".{file_id}-{path.name}.tmp"
        try:
            os.link(path, tmp)
        except OSError:
            tmp.write_bytes(path.read_bytes())
        os.replace(tmp, target)

    def reject_file(self, account: str, path: Path, reason: str, data: bytes = b"") -> Processed:
        """Record a whole-file reject (ledger and sensor.rejects) and rename the file."""
        rel = self._rel(account, path)
        conn = self.writer.connection()
        with conn.transaction():
            file_id = ledger.receive(conn, account, rel, len(data), hashlib.sha256(data).digest())
            conn.execute("INSERT INTO sensor.rejects (topic, payload, reason) VALUES (%s, %s, %s)",
                         [f"ftp/{account}/{rel}", data[: self.max_bytes], reason])
            ledger.finish(conn, file_id, ledger.Outcome("rejected", reason=reason))
        moved = self._move(path, file_id, REJECTED) if path.exists() else None
        log.info("rejected %s/%s: %s", account, rel, reason)
        return Processed(file_id, "rejected", reason=reason, moved_to=moved)

    def _rel(self, account: str, path: Path) -> str:
        return path.relative_to(self.root / account).as_posix()

    def process(self, account: str, path: Path) -> Processed:
        """Store one arrived file of ``account`` exactly once; psycopg errors are for retrying."""
        data = path.read_bytes()
        if len(data) > self.max_bytes:
            return self.reject_file(account, path, f"file larger than {self.max_bytes} bytes",
                                    data[:4096])
        rel = self._rel(account, path)
        sha = hashlib.sha256(data).digest()
        conn = self.writer.connection()
        # One short transaction for every look-up (each commit is a round trip per file).
        with conn.transaction():
            file_id = ledger.receive(conn, account, rel, len(data), sha)
            earlier = ledger.stored_before(conn, account, rel, sha, file_id)
            if earlier is not None:
                ledger.finish(conn, file_id, ledger.Outcome(
                    "duplicate", reason=f"same name and bytes as file {earlier}, already stored"))
                relayed = ledger.relayed(conn, earlier)
            else:
                allowed = accounts.codes_of(conn, account)
                version = catalog_version(conn)
        if earlier is not None:
            # a crash after the commit may have left the relay without it: queue it again (the
            # relay sends nothing twice: it skips a file the upstream already holds)
            if not relayed:
                self._enqueue(path, earlier)
            return Processed(file_id, "duplicate", moved_to=self._move(path, file_id, DONE))
        try:
            parsed = parse_file(data, path.name)
        except FileError as exc:
            return self.reject_file(account, path, str(exc), data)
        named = next((c for c in parsed.name.station_candidates() if c in allowed), None)
        if named is None:
            return self.reject_file(account, path, (
                f"the file names station {parsed.name.station_candidates()[0]!r}; account "
                f"{account} may send only {', '.join(sorted(allowed))}"), data)
        station = self._station(conn, account, version)
        if station is None:
            return self.reject_file(account, path, f"station {account} is not active", data)
        now = datetime.now(UTC)
        fr = file_rows(parsed, station, now)
        topic = f"ftp/{account}/{rel}"
        rows: list[StageRow] = [(r[0], r[1], r[2], r[3], now, i) for i, r in enumerate(fr.rows)]
        rejects: list[RejectRow] = [(topic, r.text, f"{path.name} line {r.number}: {r.reason}",
                                     now) for r in fr.rejects]
        self.writer.ensure_partitions({month_start(r[1]) for r in rows})
        with conn.transaction():
            result = self.writer.write(rows, rejects, {account} if rows else set())
            ledger.finish(conn, file_id, ledger.Outcome(
                "done", account, parsed.name.measured_at, len(parsed.lines) + len(parsed.rejects),
                result.inserted, len(fr.rejects)))
        self._enqueue(path, file_id)
        moved = self._move(path, file_id, DONE)
        return Processed(file_id, "done", result.inserted, len(fr.rejects), moved_to=moved)

    def recover(self) -> int:
        """Process every file that arrived but was never marked (a crash); returns the count."""
        n = 0
        for account, path in pending_files(self.root):
            self.process(account, path)
            n += 1
        return n
