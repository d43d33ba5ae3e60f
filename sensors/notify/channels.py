"""The two channels: e-mail over SMTP (smtp://, smtps://) and a signed webhook.

Webhook signature: ``X-IOC-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>``
with the Unix timestamp in ``X-IOC-Timestamp`` (a receiver rejects old timestamps to stop
replays). Every message carries its delivery id (``Message-ID`` / ``X-IOC-Delivery``) so a
receiver can drop the rare duplicate (see sender.py for when one can happen).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx

from gis.errors import InvalidInput


class DeliveryError(Exception):
    """A channel refused or failed one attempt (the sender retries it later)."""


@dataclass(frozen=True)
class Outgoing:
    """One delivery as a channel sends it."""

    delivery_id: int
    address: str
    secret: str | None
    subject: str
    body: str
    event: dict[str, Any]


def parse_smtp_url(url: str) -> tuple[str, str, int, str | None, str | None]:
    """(scheme, host, port, user, password) of ``smtp://user:password@host:port`` or smtps."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise InvalidInput(
            "IOC_SMTP_URL must look like smtp://user:password@host:port or smtps://…"
        )
    port = parts.port or (465 if parts.scheme == "smtps" else 25)
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    return parts.scheme, parts.hostname, port, user, password


def message_id(delivery_id: int, sender: str) -> str:
    """The e-mail Message-ID of a delivery: the same on every attempt."""
    domain = sender.rsplit("@", 1)[-1] or "iocgis"
    return f"<iocgis-delivery-{delivery_id}@{domain}>"


def send_email(
    out: Outgoing, smtp_url: str | None, sender: str, timeout: float
) -> Callable[[], None]:
    """Send one e-mail; returns once the server accepted it (DeliveryError otherwise).

    The connection's QUIT is left to the returned function, to be called after the delivery
    is marked sent: the crash window between acceptance and that commit stays as short as
    the commit itself.
    """
    if not smtp_url:
        raise DeliveryError("IOC_SMTP_URL is not set")
    scheme, host, port, user, password = parse_smtp_url(smtp_url)
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = out.address
    msg["Subject"] = out.subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = message_id(out.delivery_id, sender)
    msg["X-IOC-Delivery"] = str(out.delivery_id)
    msg.set_content(out.body)
    smtp: smtplib.SMTP | None = None
    try:
        cls = smtplib.SMTP_SSL if scheme == "smtps" else smtplib.SMTP
        smtp = cls(host, port, timeout=timeout)
        smtp.ehlo()
        if scheme == "smtp" and smtp.has_extn("starttls"):
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if user:
            smtp.login(user, password or "")
        smtp.send_message(msg)
    except (smtplib.SMTPException, OSError) as exc:
        if smtp is not None:
            smtp.close()
        raise DeliveryError(f"SMTP: {exc}") from exc
    return lambda: _quit(smtp)


def _quit(smtp: smtplib.SMTP) -> None:
    """Say goodbye; the message is already accepted, so a failure here changes nothing."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256(secret, timestamp + "." + body)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def send_webhook(out: Outgoing, timeout: float) -> Callable[[], None]:
    """POST the signed JSON; returns on a 2xx answer (DeliveryError otherwise)."""
    if not out.secret:
        raise DeliveryError("webhook without a secret")
    body = json.dumps(
        {"delivery": out.delivery_id, "subject": out.subject, "text": out.body, "event": out.event},
        ensure_ascii=False,
    ).encode()
    ts = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "X-IOC-Timestamp": ts,
        "X-IOC-Signature": sign(out.secret, ts, body),
        "X-IOC-Delivery": str(out.delivery_id),
    }
    try:
        answer = httpx.post(out.address, content=body, headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        raise DeliveryError(f"webhook: {exc}") from exc
    if not 200 <= answer.status_code < 300:
        raise DeliveryError(f"webhook answered {answer.status_code}")
    return lambda: None
