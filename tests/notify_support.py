"""Real local servers for the notification tests: an SMTP mailbox (aiosmtpd) and a webhook
receiver (http.server), each on a free 127.0.0.1 port."""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from tests.fixtures.broker import free_port


class Mailbox:
    """Messages an aiosmtpd server accepted. With ``hold_first`` the first DATA waits until
    :meth:`release`, then is refused (451) and not stored: the client dies meanwhile."""

    def __init__(self, hold_first: bool = False) -> None:
        self.messages: list[EmailMessage] = []
        self.hold = hold_first
        self.arrived = threading.Event()
        self.released = threading.Event()
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        """Store the message (or hold and refuse the first one)."""
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
