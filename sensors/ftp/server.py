"""The FTP receiver (pyftpdlib): one confined folder per account, files processed on arrival.

Uploads are written under a hidden temporary name and renamed to their own name only when the
transfer has completed (``on_file_received``): a file cut off by a dropped connection or a
crash is never read as a whole file. Arrived files are processed by one writer thread, off the
FTP event loop; at start-up the files that arrived but were never marked are processed first.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import threading
from pathlib import Path
from typing import Any

import psycopg
from pyftpdlib.authorizers import AuthenticationFailed, DummyAuthorizer
from pyftpdlib.filesystems import AbstractedFS
from pyftpdlib.handlers import DTPHandler, FTPHandler
from pyftpdlib.servers import FTPServer

from gis.db import connect
from sensors.ftp.accounts import Verifier
from sensors.ftp.receiver import PART, Processor
from sensors.ftp.settings import FtpSettings, RelaySettings, parse_port_range
from sensors.rollups import Rollups

log = logging.getLogger(__name__)
PERMS = "elmwf"  # cd, list, mkdir (the yyyy/MM/dd tree), store, rename; no delete, no append


def part_name(path: str) -> str:
    """The hidden name a file is written under while it is being uploaded."""
    head, tail = os.path.split(path)
    return os.path.join(head, f".{tail}{PART}")


def final_name(part: str) -> str:
    """The file's own name once its upload has completed."""
    head, tail = os.path.split(part)
    return os.path.join(head, tail[1:].removesuffix(PART))


def arrival_name(path: str) -> str:
    """``path``, or ``resent-N/<name>`` beside it while an earlier arrival awaits processing.

    A re-sent file must not overwrite one not yet processed: its bytes could differ.
    """
    head, tail = os.path.split(path)
    n = 0
    while os.path.exists(path):
        n += 1
        os.makedirs(os.path.join(head, f"resent-{n}"), exist_ok=True)
        path = os.path.join(head, f"resent-{n}", tail)
    return path


class PartFS(AbstractedFS):
    """A confined file system whose uploads land under a temporary name first."""

    def open(self, filename: str, mode: str) -> Any:
        """Open for reading as usual; for writing, the temporary name (see ``part_name``)."""
        if "w" in mode or "a" in mode or "+" in mode:
            return super().open(part_name(filename), mode)
        return super().open(filename, mode)


class LimitedDTP(DTPHandler):
    """A data channel that aborts an upload larger than the receiver's size limit."""

    max_bytes = 1_000_000

    def handle_read(self) -> None:
        """Receive, then abort with 552 once the limit is passed."""
        super().handle_read()
        if self.receive and self.tot_bytes_received > self.max_bytes:
            self.cmd_channel.oversize = True
            self._resp = (f"552 File larger than {self.max_bytes} bytes: refused.", log.info)
            self.transfer_finished = False
            self.close()

    handle_read_event = handle_read

    def close(self) -> None:
        """A completed upload gets its own name (synced to disk) before the 226 reply goes out.

        pyftpdlib replies first and calls ``on_file_received`` after: a crash in between would
        leave a file the datalogger believes delivered under its temporary name.
        """
        f = self.file_obj
        if (not self._closed and self.receive and self.transfer_finished and f is not None
                and not f.closed and os.path.basename(f.name).endswith(PART)):
            f.flush()
            os.fsync(f.fileno())
            f.close()
            self.cmd_channel.arrived = arrival_name(final_name(f.name))
            os.replace(f.name, self.cmd_channel.arrived)
        super().close()


class Authorizer(DummyAuthorizer):
    """Checks logins against ``sensor.ftp_accounts``; each account's home is its own folder."""

    def __init__(self, root: Path, database_url: str | None) -> None:
        super().__init__()
        self.root = root
        self.url = database_url
        self.verifier = Verifier()
        self.conn: psycopg.Connection | None = None
        self.lock = threading.Lock()

    def validate_authentication(self, username: str, password: str, handler: Any) -> None:
        """Raise AuthenticationFailed unless the station's current password was given."""
        with self.lock:
            try:
                if self.conn is None or self.conn.closed or self.conn.broken:
                    self.conn = connect(self.url)
                ok = self.verifier.verify(self.conn, username, password)
            except psycopg.Error as exc:
                log.warning("account check failed: %s", exc)
                self.conn = None
                raise AuthenticationFailed("Authentication unavailable, try later.") from None
        if not ok:
            raise AuthenticationFailed("Authentication failed.")
        home = self.root / username
        home.mkdir(parents=True, exist_ok=True)
        if not self.has_user(username):
            self.add_user(username, "", str(home), perm=PERMS)


class Worker(threading.Thread):
    """The one writer: processes arrived files in order, retrying through database outages."""

    def __init__(self, processor: Processor, rollups: Rollups | None) -> None:
        super().__init__(name="station-files", daemon=True)
        self.processor = processor
        self.rollups = rollups
        # (account, path, None) to process, or (account, path, (reason, first bytes)) to reject
        self.files: queue.Queue[tuple[str, Path, tuple[str, bytes] | None] | None] = queue.Queue()
        self.stopping = threading.Event()

    def submit(self, account: str, path: Path) -> None:
        """Queue one arrived file."""
        self.files.put((account, path, None))

    def reject(self, account: str, path: Path, reason: str, data: bytes) -> None:
        """Queue the record of a refused upload (no file left on disk)."""
        self.files.put((account, path, (reason, data)))

    def _one(self, account: str, path: Path, refused: tuple[str, bytes] | None) -> None:
        delay = 0.2
        while not self.stopping.is_set():
            try:
                if refused is not None:
                    self.processor.reject_file(account, path, *refused)
                elif path.exists():
                    p = self.processor.process(account, path)
                    log.info("%s %s/%s: %d stored, %d lines rejected", p.state, account,
                             path.name, p.stored, p.rejected_lines)
                    if p.stored and self.rollups is not None:
                        self.rollups.due.set()
                return
            except psycopg.Error as exc:  # an outage: the file stays, we retry
                self.processor.close()
                log.warning("storing %s failed, retrying in %.1f s: %s", path.name, delay, exc)
                self.stopping.wait(delay)
                delay = min(delay * 2, 10.0)

    def run(self) -> None:
        """Process queued files until stopped."""
        while (item := self.files.get()) is not None:
            self._one(*item)
        self.processor.close()


class StationHandler(FTPHandler):
    """Control connection of a datalogger: hands every completed upload to the worker."""

    abstracted_fs = PartFS
    dtp_handler = LimitedDTP
    worker: Worker
    oversize = False
    arrived: str | None = None  # where LimitedDTP.close put the last completed upload
    passive_ports: list[int] | None = None

    def on_file_received(self, file: str) -> None:
        """The upload completed: give the file its name and queue it."""
        final = self.arrived or final_name(file)
        self.arrived = None
        if os.path.exists(file):  # not renamed by LimitedDTP.close (a non-PART upload)
            final = arrival_name(final)
            os.replace(file, final)
        self.worker.submit(self.username, Path(final))

    def on_incomplete_file_received(self, file: str) -> None:
        """A cut-off upload is dropped; an oversize one is recorded as rejected."""
        data = b""
        if self.oversize:
            with open(file, "rb") as f:
                data = f.read(4096)
        with contextlib.suppress(OSError):
            os.remove(file)
        if self.oversize:
            self.oversize = False
            limit = self.worker.processor.max_bytes
            self.worker.reject(self.username or "", Path(final_name(file)),
                               f"upload larger than {limit} bytes: refused", data)

    def ftp_RNTO(self, path: str) -> Any:
        """Rename; a file renamed to a station file's name is processed like an upload."""
        result = super().ftp_RNTO(path)
        if result and not os.path.basename(result[1]).startswith("."):
            self.worker.submit(self.username, Path(result[1]))
        return result


def build_server(ftp: FtpSettings, relay: RelaySettings, database_url: str | None = None
                 ) -> tuple[FTPServer, Worker]:
    """The FTP server and its worker, crash recovery done, ready to ``serve_forever``."""
    root = ftp.root.resolve()
    root.mkdir(parents=True, exist_ok=True)
    processor = Processor(root, database_url, relay.queue if relay.enabled else None,
                          ftp.max_file_bytes)
    # Not serving yet, so no upload is in progress: a temporary file is a cut-off upload
    # that its datalogger will send again.
    for stale in root.rglob(f".*{PART}"):
        stale.unlink()
        log.info("removed the cut-off upload %s", stale.relative_to(root))
    recovered = processor.recover()
    log.info("recovered %d files that had arrived before a stop", recovered)
    rollups = Rollups(database_url)
    worker = Worker(processor, rollups)
    base: type[FTPHandler] = StationHandler
    dtp_bases: tuple[type, ...] = (LimitedDTP,)
    if ftp.tls_cert is not None:
        from pyftpdlib.handlers import TLS_DTPHandler, TLS_FTPHandler  # only with pyOpenSSL

        # TLS first: its read event does the handshake, then reaches LimitedDTP's limit
        dtp_bases = (TLS_DTPHandler, LimitedDTP)

        base = type("TLSStationHandler", (TLS_FTPHandler, StationHandler), {})
        base.certfile = str(ftp.tls_cert)
        base.keyfile = str(ftp.tls_key)
        base.tls_control_required = True
        base.tls_data_required = True
    dtp = type("Limited", dtp_bases, {"max_bytes": ftp.max_file_bytes})
    ports = parse_port_range(ftp.passive_ports)
    handler = type("Handler", (base,), {
        "worker": worker, "dtp_handler": dtp, "authorizer": Authorizer(root, database_url),
        "passive_ports": list(ports) if ports else None,
        "masquerade_address": ftp.masquerade_address or None,
        "banner": "ioc-gis station file receiver ready.",
        "permit_foreign_addresses": False,
    })
    server = FTPServer((ftp.host, ftp.port), handler)
    server.max_cons = ftp.max_connections
    worker.start()
    rollups.start()
    if recovered:
        rollups.due.set()
    return server, worker
