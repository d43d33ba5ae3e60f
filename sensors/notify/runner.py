"""``iocgis notify run``: plan the outbox, send what is due, wait for the next alert.

Woken by the alerts' and the station changes' NOTIFY channels (sensors.contract), and
every ``IOC_NOTIFY_POLL_S`` seconds (retries, quiet hours, state changes without NOTIFY).
Each step is its own transaction, so a kill at any moment leaves the outbox and the
deliveries consistent.
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

import psycopg

from gis.db import connect
from sensors.contract.channels import ALERTS_CHANNEL, STATIONS_CHANNEL
from sensors.notify.config import NotifySettings, get_notify_settings
from sensors.notify.planner import plan
from sensors.notify.sender import send_due

log = logging.getLogger(__name__)
CHANNELS = (ALERTS_CHANNEL, STATIONS_CHANNEL)


def step(conn: psycopg.Connection, cfg: NotifySettings) -> tuple[int, int]:
    """One round: (deliveries planned, deliveries sent)."""
    return plan(conn, cfg), send_due(conn, cfg)


def run(
    cfg: NotifySettings | None = None,
    extra: Callable[[psycopg.Connection], Any] | None = None,
    extra_every_s: float = 300.0,
) -> None:
    """Run until SIGTERM/SIGINT; ``extra`` (the report schedule) runs every ``extra_every_s``."""
    cfg = cfg or get_notify_settings()
    stop = {"now": False}

    def _stop(_sig: int, _frame: FrameType | None) -> None:
        stop["now"] = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    # Dedicated connections (a long-lived session, and LISTEN), bounded like every session.
    with connect() as conn, connect(autocommit=True) as wake:
        for channel in CHANNELS:
            wake.execute(psycopg.sql.SQL("LISTEN {}").format(psycopg.sql.Identifier(channel)))
        log.info("notifier listening on %s", ", ".join(CHANNELS))
        last_extra = float("-inf")
        while not stop["now"]:
            planned, sent = step(conn, cfg)
            if planned or sent:
                log.info("notifier: %d deliveries planned, %d sent", planned, sent)
            if extra is not None and time.monotonic() - last_extra >= extra_every_s:
                last_extra = time.monotonic()
                try:
                    extra(conn)
                except Exception:  # the schedule must not stop the notifications
                    conn.rollback()
                    log.exception("scheduled job failed")
            for _ in wake.notifies(timeout=cfg.poll_s, stop_after=1):
                pass
