"""``iocgis notify test``: a test message through each chosen subscription's channel, now."""

from __future__ import annotations

from datetime import datetime

import psycopg
from psycopg.types.json import Jsonb

from gis.errors import NotFound
from sensors.notify.config import NotifySettings
from sensors.notify.messages import render
from sensors.notify.notice import Notice
from sensors.notify.sender import send_one


def probe(
    conn: psycopg.Connection, cfg: NotifySettings, subscriber: str | None, sub_id: int | None
) -> list[tuple[int, str, str]]:
    """Queue a ``test`` delivery per subscription and try each once: (id, address, result)."""
    with conn.transaction():
        subs = conn.execute(
            "SELECT id, address, language, area FROM notify.subscriptions WHERE active"
            " AND (%s::text IS NULL OR subscriber = %s) AND (%s::bigint IS NULL OR id = %s)"
            " ORDER BY id",
            [subscriber, subscriber, sub_id, sub_id],
        ).fetchall()
        if not subs:
            raise NotFound("no active subscription matches")
        now: datetime = conn.execute("SELECT now()").fetchone()[0]  # type: ignore[index]
        queued = []
        for sid, address, lang, area in subs:
            n = Notice("test", "test", 0, area, area, now, reason="test")
            subject, body = render(n, lang, cfg.page_url)
            row = conn.execute(
                "INSERT INTO notify.deliveries (subscription_id, phase, subject, body, payload)"
                " VALUES (%s, 'test', %s, %s, %s) RETURNING id",
                [sid, subject, body, Jsonb(n.to_json())],
            ).fetchone()
            assert row is not None
            queued.append((int(row[0]), address))
    out = []
    for did, address in queued:
        result = send_one(conn, cfg, only=[did]) or "not due"
        last = conn.execute(
            "SELECT coalesce(last_error, '') FROM notify.deliveries WHERE id = %s", [did]
        ).fetchone()
        conn.commit()
        error = last[0] if last else ""
        out.append((did, address, result if result == "sent" else f"{result}: {error}"))
    return out
