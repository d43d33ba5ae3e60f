"""Outbox → deliveries, in one transaction: episodes, matching subscriptions, quiet hours and
rate limits. A crash before the commit leaves the outbox rows for the next run; after it, the
deliveries exist exactly once."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from psycopg.types.json import Jsonb

from sensors.notify.config import NotifySettings
from sensors.notify.episodes import Episodes
from sensors.notify.messages import render
from sensors.notify.notice import Notice

VN = ZoneInfo("Asia/Ho_Chi_Minh")
#: One planner at a time keeps the episode book consistent (several notifiers may run).
LOCK_KEY = "iocgis notify planner"
BATCH = 500

_CLAIM = """
SELECT id, source, station_id, payload FROM notify.outbox ORDER BY id LIMIT %s
FOR UPDATE SKIP LOCKED
"""
#: Active subscriptions of ``kind`` whose area holds the station: the station itself, its
#: commune, its province or its facility.
_MATCH = """
SELECT sub.id, sub.subscriber, sub.language, sub.min_category, sub.quiet_start, sub.quiet_end
FROM notify.subscriptions sub
JOIN sensor.stations s ON s.id = %(station)s
LEFT JOIN admin.communes c ON c.code = s.commune_code
LEFT JOIN sensor.facilities f ON f.id = s.facility_id
WHERE sub.active AND sub.kind = %(kind)s
  AND sub.area IN (s.code, s.commune_code, c.province_code, f.code)
ORDER BY sub.id
"""
_TOLD = """
SELECT DISTINCT subscription_id FROM notify.deliveries
WHERE episode_id = %s AND status IN ('pending', 'retrying', 'sent')
"""
_USER_COUNT = """
SELECT count(*) FROM notify.deliveries d JOIN notify.subscriptions s ON s.id = d.subscription_id
WHERE s.subscriber = %s AND d.created_at > now() - interval '1 hour'
  AND d.status <> 'suppressed' AND d.phase NOT IN ('end', 'test')
"""
_STATION_COUNT = """
SELECT count(*) FROM notify.deliveries d
WHERE d.subscription_id = %s AND d.station_id = %s AND d.created_at > now() - interval '1 hour'
  AND d.status <> 'suppressed' AND d.phase NOT IN ('end', 'test')
"""
_INSERT = """
INSERT INTO notify.deliveries (subscription_id, episode_id, phase, station_id, subject, body,
                               payload, status, reason, next_attempt_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
"""


def quiet_until(now: datetime, start: time | None, end: time | None) -> datetime | None:
    """The end of the quiet hours ``now`` (Vietnam time) falls in, or None outside them."""
    if start is None or end is None or start == end:
        return None
    local = now.astimezone(VN)
    t = local.time()
    inside = start <= t < end if start < end else (t >= start or t < end)
    if not inside:
        return None
    until = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if until <= local:
        until += timedelta(days=1)
    return until


def _route(conn: psycopg.Connection, n: Notice, cfg: NotifySettings, now: datetime) -> int:
    """Write one delivery per subscription the notice concerns; return how many."""
    subs = conn.execute(_MATCH, {"station": n.station_id, "kind": n.kind}).fetchall()
    told: set[int] = set()
    if n.phase == "end" and n.episode_id is not None:
        told = {r[0] for r in conn.execute(_TOLD, [n.episode_id]).fetchall()}
    written = 0
    for sub_id, subscriber, lang, min_cat, q_start, q_end in subs:
        if n.phase == "end":
            if sub_id not in told:
                continue  # tell the end only to whom the start was told
        elif n.kind == "aqi" and n.category < min_cat:
            continue
        status, reason, due = "pending", None, now
        if n.phase not in ("end", "test"):
            user_n = conn.execute(_USER_COUNT, [subscriber]).fetchone()
            station_n = conn.execute(_STATION_COUNT, [sub_id, n.station_id]).fetchone()
            if user_n and user_n[0] >= cfg.user_per_hour:
                status, reason = "suppressed", f"rate limit: {cfg.user_per_hour}/h per user"
            elif station_n and station_n[0] >= cfg.station_per_hour:
                status = "suppressed"
                reason = f"rate limit: {cfg.station_per_hour}/h per station"
        until = quiet_until(now, q_start, q_end)
        if status == "pending" and until and not n.severe(cfg.severe_category, cfg.severe_ratio):
            due, reason = until, f"quiet hours until {until:%H:%M}"
        subject, body = render(n, lang, cfg.page_url)
        conn.execute(
            _INSERT,
            [
                sub_id,
                n.episode_id,
                n.phase,
                n.station_id,
                subject,
                body,
                Jsonb(n.to_json()),
                status,
                reason,
                due,
            ],
        )
        written += 1
    return written


def _notices(book: Episodes, rows: list[tuple[int, str, int, dict[str, Any]]]) -> list[Notice]:
    """Notices of a batch of outbox rows, in their order (AQI: each station's newest hour)."""
    newest: dict[int, tuple[datetime, int]] = {}
    out: list[Notice] = []
    for _id, source, sid, payload in rows:
        if source == "alert":
            out.extend(book.alert(sid, payload))
        elif source == "state":
            out.extend(book.state(sid, payload))
        elif source == "aqi":
            hour = datetime.fromisoformat(payload["hour"])
            if sid not in newest or hour > newest[sid][0]:
                newest[sid] = (hour, int(payload["aqi"]))
    for sid, (hour, aqi) in sorted(newest.items()):
        out.extend(book.aqi(sid, hour, aqi))
    return out


def plan(conn: psycopg.Connection, cfg: NotifySettings) -> int:
    """Consume the outbox (batch by batch) and end finished episodes; return deliveries made."""
    made = 0
    while True:
        with conn.transaction():
            got = conn.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s))", [LOCK_KEY])
            row = got.fetchone()
            if not (row and row[0]):
                return made  # another notifier plans now
            now = conn.execute("SELECT now()").fetchone()[0]  # type: ignore[index]
            rows = conn.execute(_CLAIM, [BATCH]).fetchall()
            book = Episodes(conn, timedelta(hours=cfg.reminder_hours))
            notices = _notices(book, rows) + book.ended_exceedances() + book.back_online()
            for n in notices:
                made += _route(conn, n, cfg, now)
            if rows:
                conn.execute("DELETE FROM notify.outbox WHERE id = ANY(%s)", [[r[0] for r in rows]])
        if len(rows) < BATCH:
            return made
