"""Send due deliveries: claim one (FOR UPDATE SKIP LOCKED), send it, mark it sent, commit.

Guarantee: at least once, and once in every case but one. The row stays locked and unsent
while its channel works; it is marked sent in the same transaction right after the server
accepted (SMTP 250 / HTTP 2xx) and committed at once (the SMTP QUIT waits until after). A
crash before the acceptance leaves it pending: it is sent again by the next run (the receiver
never had it). Only a crash between the acceptance and the commit (one UPDATE and a COMMIT)
sends it twice; the repeated message keeps its ``Message-ID`` / ``X-IOC-Delivery``, so mail
systems and gateways can drop it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import psycopg

from gis.settings import get_settings
from sensors.notify.channels import DeliveryError, Outgoing, send_email, send_webhook
from sensors.notify.config import NotifySettings

log = logging.getLogger(__name__)

_CLAIM = """
SELECT d.id, d.attempts, d.subject, d.body, d.payload, s.channel, s.address, s.secret
FROM notify.deliveries d JOIN notify.subscriptions s ON s.id = d.subscription_id
WHERE d.status IN ('pending', 'retrying') AND d.next_attempt_at <= now() {only}
ORDER BY d.next_attempt_at, d.id LIMIT 1
FOR UPDATE OF d SKIP LOCKED
"""
_SENT = """
UPDATE notify.deliveries SET status = 'sent', sent_at = now(), attempts = attempts + 1,
    last_error = NULL WHERE id = %s
"""
_FAILED = """
UPDATE notify.deliveries SET attempts = attempts + 1, last_error = %s,
    status = CASE WHEN attempts + 1 >= %s THEN 'failed' ELSE 'retrying' END,
    next_attempt_at = now() + make_interval(secs => %s * 2 ^ attempts)
WHERE id = %s
"""


def deliver(out: Outgoing, channel: str, cfg: NotifySettings) -> Callable[[], None]:
    """Send through the subscription's channel (DeliveryError when not accepted); returns
    what to do once the delivery is committed as sent (an SMTP QUIT)."""
    if channel == "email":
        s = get_settings()
        return send_email(out, s.smtp_url, s.smtp_from, cfg.timeout_s)
    if channel == "webhook":
        return send_webhook(out, cfg.timeout_s)
    raise DeliveryError(f"unknown channel {channel!r}")


def send_one(conn: psycopg.Connection, cfg: NotifySettings, only: list[int] | None = None) -> str:
    """Send the next due delivery: 'sent', 'retry', 'failed' or '' when none is due."""
    where = "AND d.id = ANY(%s)" if only is not None else ""
    with conn.transaction():
        row = conn.execute(_CLAIM.format(only=where), [only] if only is not None else []).fetchone()
        if row is None:
            return ""
        did, attempts, subject, body, payload, channel, address, secret = row
        out = Outgoing(did, address, secret, subject, body, payload)
        try:
            finish = deliver(out, channel, cfg)
        except DeliveryError as exc:
            conn.execute(_FAILED, [str(exc)[:500], cfg.max_attempts, cfg.retry_base_s, did])
            log.warning("delivery %d attempt %d failed: %s", did, attempts + 1, exc)
            return "failed" if attempts + 1 >= cfg.max_attempts else "retry"
        conn.execute(_SENT, [did])
    finish()  # after the commit: nothing but the commit lies between acceptance and "sent"
    log.info("delivery %d sent (%s)", did, channel)
    return "sent"


def send_due(conn: psycopg.Connection, cfg: NotifySettings, limit: int = 1000) -> int:
    """Send due deliveries one by one until none is due (or ``limit``); return how many sent."""
    sent = 0
    for _ in range(limit):
        result = send_one(conn, cfg)
        if not result:
            break
        sent += result == "sent"
    return sent
