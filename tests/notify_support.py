"""Real local servers for the notification tests: an SMTP mailbox (aiosmtpd) and a webhook
receiver (http.server), each on a free 127.0.0.1 port."""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
from datetime import UTC, datetime
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import psycopg
from aiosmtpd.controller import Controller

from sensors import rollups
from sensors.reports.period import parse
from sensors.reports.store import store
from sensors.stations import StationRecord, register
from tests.fixtures.broker import free_port
from tests.fixtures.indices import ingest


class Mailbox:
    """Messages an aiosmtpd server accepted. With ``hold_first`` the first DATA waits until
    :meth:`release`, then is refused (451) and not stored: the client dies meanwhile. With
    ``to``, only mail to that address is held and kept (a notifier also sends whatever other
    tests left pending; that mail is accepted and dropped)."""

    def __init__(self, hold_first: bool = False, to: str | None = None) -> None:
        self.messages: list[EmailMessage] = []
        self.to = to
        self.hold = hold_first
        self.arrived = threading.Event()
        self.released = threading.Event()
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        """Store the message (or hold and refuse the first one)."""
        if self.to is not None and self.to not in envelope.rcpt_tos:
            return "250 OK"
        if self.hold:
            self.hold = False
            self.arrived.set()
            while not self.released.is_set():
                await asyncio.sleep(0.05)
            return "451 try again later"
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        self.messages.append(msg)
        return "250 OK"

    def release(self) -> None:
        """Let a held message go (refused)."""
        self.released.set()

    @property
    def url(self) -> str:
        """IOC_SMTP_URL of this server."""
        return f"smtp://127.0.0.1:{self.port}"

    def __enter__(self) -> Mailbox:
        self.controller.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.released.set()
        self.controller.stop()


class Receiver:
    """A webhook receiver answering the statuses of ``script`` in turn (then 200)."""

    def __init__(self, script: list[int] | None = None) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.script = list(script or [])
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                outer.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                code = outer.script.pop(0) if outer.script else 200
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The receiver's URL."""
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def stored_report_station(conn: psycopg.Connection, code: str, name: str) -> int:
    """An air station ``code`` with one PM2.5 reading in November 2026 and its stored report of
    2026-11 (committed); returns the report's id."""
    register(conn, [StationRecord(code, name, "air", 105.85, 21.03, ["pm25"])])
    ds = conn.execute(
        "SELECT d.id FROM sensor.datastreams d JOIN sensor.stations s"
        " ON s.id = d.station_id WHERE s.code = %s",
        [code],
    ).fetchone()
    assert ds is not None
    conn.execute("SELECT sensor.ensure_observation_partitions('2026-10-01', '2026-11-30')")
    conn.commit()
    ingest(conn, [(ds[0], datetime(2026, 11, 3, 3, tzinfo=UTC), 80.0, None)])
    rollups.process_pending(conn)
    conn.commit()
    report = store(conn, "air", code, parse("2026-11"))
    conn.commit()
    assert report is not None
    return report
