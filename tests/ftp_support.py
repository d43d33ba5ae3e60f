"""Helpers of the FTP tests: the receiver and a plain upstream server as child processes."""

from __future__ import annotations

import contextlib
import ftplib
import io
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg

from gis.settings import to_libpq_url
from tests.fixtures.broker import free_port
from tests.fixtures.cli import IOCGIS, ROOT


def wait_port(port: int, timeout: float = 30.0) -> None:
    """Wait until something accepts connections on ``port``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on port {port}")


class Child:
    """A child process with its output in a log file; stopped by SIGTERM or killed by -9."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path, port: int) -> None:
        self.args, self.env, self.log, self.port = args, env, log, port
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Child:
        """Start and wait for the port."""
        out = self.log.open("ab")
        self.proc = subprocess.Popen(self.args, env=self.env, cwd=ROOT, stdout=out,
                                     stderr=subprocess.STDOUT)
        try:
            wait_port(self.port)
        except TimeoutError:
            self.stop()
            raise RuntimeError(self.log.read_text()[-3000:]) from None
        return self

    def kill9(self) -> None:
        """SIGKILL: no clean-up at all."""
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
            self.proc = None

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 10 s."""
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
            self.proc = None


def receiver(database_url: str, root: Path, queue: Path, upstream_port: int, log: Path,
             max_bytes: int = 20000) -> Child:
    """``iocgis ftp serve`` on a free port, relaying to an upstream on ``upstream_port``."""
    port = free_port()
    env = {**os.environ, "IOC_DATABASE_URL": database_url, "IOC_FTP_ROOT": str(root),
           "IOC_FTP_MAX_FILE_BYTES": str(max_bytes), "IOC_RELAY_QUEUE": str(queue),
           "IOC_RELAY_URL": f"ftp://ministry:m1n1stry@127.0.0.1:{upstream_port}"}
    return Child([*IOCGIS, "ftp", "serve", "--host", "127.0.0.1", "--port", str(port)],
                 env, log, port)


def upstream(folder: Path, port: int, log: Path) -> Child:
    """A plain pyftpdlib server standing for the Ministry's (one writable account)."""
    folder.mkdir(parents=True, exist_ok=True)
    args = [sys.executable, "-m", "pyftpdlib", "-i", "127.0.0.1", "-p", str(port), "-w",
            "-d", str(folder), "-u", "ministry", "-P", "m1n1stry"]
    return Child(args, dict(os.environ), log, port)


def login(port: int, user: str, password: str) -> ftplib.FTP:
    """A logged-in FTP client."""
    ftp = ftplib.FTP()
    ftp.connect("127.0.0.1", port, timeout=20)
    ftp.login(user, password)
    return ftp


def upload(port: int, user: str, password: str, name: str, data: bytes,
           folder: str = "") -> str:
    """Upload one file (into ``folder``, created if needed); returns the server's reply."""
    ftp = login(port, user, password)
    try:
        for part in [p for p in folder.split("/") if p]:
            with contextlib.suppress(ftplib.error_perm):
                ftp.mkd(part)
            ftp.cwd(part)
        return ftp.storbinary(f"STOR {name}", io.BytesIO(data))
    finally:
        ftp.close()


def query(database_url: str, sql: str, *params: object) -> list[tuple]:
    """Rows of one query on the test database."""
    with psycopg.connect(to_libpq_url(database_url)) as conn:
        return conn.execute(sql, list(params)).fetchall()


def wait_until(check, timeout: float = 60.0) -> bool:  # type: ignore[no-untyped-def]
    """Poll ``check`` every 0.1 s until it is true or the time is up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return bool(check())
