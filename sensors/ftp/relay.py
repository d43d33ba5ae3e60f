"""The relay: forwards received files unchanged to an upstream FTP server (the Ministry's).

Its queue is a folder: the receiver links every stored file into it as ``<ledger id>-<name>``.
Each file is uploaded under a temporary name and renamed upstream, then recorded in the
ledger and removed from the queue. After a crash at any step the file is still queued; before
uploading, the relay asks the upstream for the file's size under its final name, and a file
already there whole is not sent again. Upstream outages are retried with exponential back-off.
"""

from __future__ import annotations

import ftplib
import logging
import threading
from datetime import datetime
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from gis.db import connect
from sensors.files.names import VIETNAM, FileNameError, parse_name
from sensors.ftp import ledger
from sensors.ftp.settings import RelaySettings

log = logging.getLogger(__name__)


def upstream_dir(folder: str, name: str) -> PurePosixPath:
    """``<folder>/<station prefix>/<yyyy>/<MM>/<dd>`` of a file (Vietnam date of measurement)."""
    try:
        parsed = parse_name(name)
    except FileNameError:
        return PurePosixPath(folder or "/")
    local: datetime = parsed.measured_at.astimezone(VIETNAM)
    return PurePosixPath(folder or "/", parsed.prefix, f"{local:%Y}", f"{local:%m}", f"{local:%d}")


def queued(queue: Path) -> list[Path]:
    """Files waiting in the queue, oldest ledger id first."""
    if not queue.exists():
        return []
    files = [p for p in queue.iterdir() if p.is_file() and not p.name.startswith(".")]

    def key(p: Path) -> tuple[int, str]:
        head = p.name.split("-", 1)[0]
        return (int(head) if head.isdigit() else 0, p.name)

    return sorted(files, key=key)


class Upstream:
    """One connection to the upstream server, (re)opened when needed."""

    def __init__(self, settings: RelaySettings) -> None:
        self.settings = settings
        self.ftp: ftplib.FTP | None = None

    def connect(self) -> ftplib.FTP:
        """The open connection (logged in), opening it if needed."""
        if self.ftp is not None:
            return self.ftp
        url = urlsplit(self.settings.url)
        ftp: ftplib.FTP = ftplib.FTP_TLS() if url.scheme == "ftps" else ftplib.FTP()
        ftp.connect(url.hostname or "127.0.0.1", url.port or 21, timeout=self.settings.timeout_s)
        ftp.login(unquote(url.username or "anonymous"), unquote(url.password or ""))
        if isinstance(ftp, ftplib.FTP_TLS):
            ftp.prot_p()
        self.ftp = ftp
        return ftp

    def close(self) -> None:
        """Drop the connection (quietly: it may be dead)."""
        if self.ftp is not None:
            try:
                self.ftp.close()
            finally:
                self.ftp = None

    def _makedirs(self, ftp: ftplib.FTP, path: PurePosixPath) -> None:
        ftp.cwd("/")
        for part in path.parts[1:]:
            try:
                ftp.cwd(part)
            except ftplib.error_perm:
                ftp.mkd(part)
                ftp.cwd(part)

    def send(self, path: Path, name: str) -> bool:
        """Upload ``path`` as ``name``; False when the upstream already held it whole."""
        ftp = self.connect()
        self._makedirs(ftp, upstream_dir(self.settings.folder, name))
        size = path.stat().st_size
        ftp.voidcmd("TYPE I")
        try:
            if ftp.size(name) == size:
                return False
        except ftplib.error_perm:
            pass  # 550: not there yet
        tmp = f".{name}.part"
        with path.open("rb") as f:
            ftp.storbinary(f"STOR {tmp}", f)
        ftp.rename(tmp, name)
        return True


class Relay:
    """Drains the queue into the upstream server until stopped."""

    def __init__(self, settings: RelaySettings, database_url: str | None = None) -> None:
        self.settings = settings
        self.url = database_url
        self.upstream = Upstream(settings)
        self.stopping = threading.Event()
        self.sent = 0
        self.skipped = 0

    def _record(self, file_id: int | None) -> None:
        if file_id is None:
            return
        with connect(self.url) as conn:
            ledger.mark_relayed(conn, file_id)

    def drain(self) -> int:
        """Send every queued file once; raises ftplib/OS errors on an upstream failure."""
        n = 0
        for path in queued(self.settings.queue):
            # "<ledger id>-<name>" from the receiver, "mqtt-<name>" from produce_files
            head, _, rest = path.name.partition("-")
            file_id = int(head) if head.isdigit() and rest else None
            name = rest if rest and (file_id is not None or head == "mqtt") else path.name
            if self.upstream.send(path, name):
                self.sent += 1
            else:
                self.skipped += 1
            self._record(file_id)
            path.unlink()
            n += 1
        return n

    def run(self, poll: float = 1.0, once: bool = False) -> None:
        """Drain, wait for new files, repeat; back off exponentially while the upstream fails."""
        delay = 1.0
        while not self.stopping.is_set():
            try:
                self.drain()
                delay = 1.0
                if once:
                    return
                self.stopping.wait(poll)
            except (ftplib.Error, OSError, EOFError) as exc:
                self.upstream.close()
                log.warning("upstream failed, retrying in %.0f s: %s", delay, exc)
                self.stopping.wait(delay)
                delay = min(delay * 2, self.settings.max_backoff_s)
        self.upstream.close()
