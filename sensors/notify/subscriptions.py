"""Subscriptions: who is told about which alerts of which area, through which channel.

Async (the web app's connections); the CLI runs them with ``asyncio.run``. Reads never return
a webhook's secret.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import Any
from urllib.parse import urlsplit

import psycopg
from email_validator import EmailNotValidError, validate_email
from psycopg import sql
from psycopg.rows import dict_row

from gis.access.roles import ADMIN, ENVIRONMENT, Role
from gis.errors import InvalidInput, NotFound
from gis.settings import get_settings
from sensors.indices.categories import VN_AQI_CATEGORIES
from sensors.notify.notice import KINDS

#: --min-category names: the VN_AQI category keys (good … hazardous), rank = position + 1.
CATEGORY_KEYS = tuple(c.key for c in VN_AQI_CATEGORIES)
COLUMNS = (
    "id, subscriber, channel, address, kind, area, min_category, language, quiet_start,"
    " quiet_end, active, created_at"
)
_AREA = """
SELECT 'province' FROM admin.provinces WHERE code = %(a)s
UNION ALL SELECT 'commune' FROM admin.communes WHERE code = %(a)s
UNION ALL SELECT 'station' FROM sensor.stations WHERE code = %(a)s
UNION ALL SELECT 'facility' FROM sensor.facilities WHERE code = %(a)s
LIMIT 1
"""
#: The roles whose users may subscribe (the staff of the web routes too).
SUBSCRIBER_ROLES: tuple[Role, ...] = (ENVIRONMENT, ADMIN)


@dataclass(frozen=True)
class NewSubscription:
    """What a subscriber asks for (checked by :func:`check`)."""

    subscriber: str
    kind: str
    area: str
    email: str | None = None
    webhook: str | None = None
    secret: str | None = None
    min_category: str = "poor"
    language: str = "vi"
    quiet_start: time | None = None
    quiet_end: time | None = None


def category_rank(key: str) -> int:
    """Rank (1–6) of a VN_AQI category key; InvalidInput for another word."""
    if key not in CATEGORY_KEYS:
        raise InvalidInput(f"unknown category {key!r}: use one of {', '.join(CATEGORY_KEYS)}")
    return CATEGORY_KEYS.index(key) + 1


def check(new: NewSubscription) -> tuple[str, str, str | None]:
    """(channel, address, secret) of a valid request; InvalidInput says what is wrong."""
    if new.kind not in KINDS:
        raise InvalidInput(f"unknown kind {new.kind!r}: use one of {', '.join(KINDS)}")
    if new.language not in ("vi", "en"):
        raise InvalidInput("language must be vi or en")
    if (new.quiet_start is None) != (new.quiet_end is None):
        raise InvalidInput("give both ends of the quiet hours, or neither")
    if (new.email is None) == (new.webhook is None):
        raise InvalidInput("give exactly one channel: an e-mail address or a webhook URL")
    if new.email is not None:
        try:
            address = validate_email(new.email, check_deliverability=False).normalized
        except EmailNotValidError as exc:
            raise InvalidInput(f"invalid e-mail address: {exc}") from exc
        return "email", address, None
    url = urlsplit(new.webhook or "")
    if url.scheme not in ("http", "https") or not url.hostname:
        raise InvalidInput("the webhook must be an http:// or https:// URL")
    if url.scheme != "https" and get_settings().environment == "production":
        # The signed body says which station exceeded what: not in clear on a real network.
        raise InvalidInput("in production a webhook must be an https:// URL")
    if not new.secret or len(new.secret) < 16:
        raise InvalidInput("a webhook needs a secret of at least 16 characters (--secret)")
    return "webhook", new.webhook or "", new.secret


async def area_type(conn: psycopg.AsyncConnection, area: str) -> str:
    """province, commune, station or facility; NotFound when the code names none."""
    cur = await conn.execute(_AREA, {"a": area})
    row = await cur.fetchone()
    if row is None:
        raise NotFound(f"no province, commune, station or facility {area!r}")
    return str(row[0])


async def check_subscriber(conn: psycopg.AsyncConnection, user: str) -> None:
    """NotFound when ``user`` is no active user; InvalidInput when their role may not subscribe."""
    cur = await conn.execute(
        "SELECT role FROM auth.users WHERE name = %s AND revoked_at IS NULL", [user]
    )
    row = await cur.fetchone()
    if row is None:
        raise NotFound(f"no user {user!r}")
    if row[0] not in SUBSCRIBER_ROLES:
        allowed = " or ".join(SUBSCRIBER_ROLES)
        raise InvalidInput(f"user {user!r} has the {row[0]} role: {allowed} only")


async def subscribe(conn: psycopg.AsyncConnection, new: NewSubscription) -> dict[str, Any]:
    """Store a subscription (validated; the area must exist); return it without its secret."""
    channel, address, secret = check(new)
    rank = category_rank(new.min_category)
    await area_type(conn, new.area)
    query = sql.SQL(
        "INSERT INTO notify.subscriptions (subscriber, channel, address, secret, kind, area,"
        " min_category, language, quiet_start, quiet_end)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING {}"
    ).format(sql.SQL(COLUMNS))
    cur = await conn.cursor(row_factory=dict_row).execute(
        query,
        [
            new.subscriber,
            channel,
            address,
            secret,
            new.kind,
            new.area,
            rank,
            new.language,
            new.quiet_start,
            new.quiet_end,
        ],
    )
    row = await cur.fetchone()
    assert row is not None
    return _public(row)


def _public(row: dict[str, Any]) -> dict[str, Any]:
    """A subscription row as the API shows it (category key, times as HH:MM)."""
    out = dict(row)
    out["min_category"] = CATEGORY_KEYS[int(row["min_category"]) - 1]
    for key in ("quiet_start", "quiet_end"):
        out[key] = row[key].strftime("%H:%M") if row[key] else None
    return out


async def list_subscriptions(
    conn: psycopg.AsyncConnection, subscriber: str | None = None
) -> list[dict[str, Any]]:
    """Subscriptions (of one subscriber when given), oldest first."""
    query = sql.SQL(
        "SELECT {} FROM notify.subscriptions WHERE %s::text IS NULL OR subscriber = %s ORDER BY id"
    ).format(sql.SQL(COLUMNS))
    cur = await conn.cursor(row_factory=dict_row).execute(query, [subscriber, subscriber])
    return [_public(r) for r in await cur.fetchall()]


async def unsubscribe(conn: psycopg.AsyncConnection, sub_id: int, subscriber: str | None) -> None:
    """Delete a subscription (only the subscriber's own when ``subscriber`` is given)."""
    cur = await conn.execute(
        "DELETE FROM notify.subscriptions WHERE id = %s AND (%s::text IS NULL OR subscriber = %s)",
        [sub_id, subscriber, subscriber],
    )
    if cur.rowcount == 0:
        raise NotFound(f"no subscription {sub_id}")


async def recent_deliveries(
    conn: psycopg.AsyncConnection, limit: int = 100, status: str | None = None
) -> list[dict[str, Any]]:
    """The delivery log, newest first: subscription, phase, subject, status, attempts, error."""
    cur = await conn.cursor(row_factory=dict_row).execute(
        "SELECT d.id, d.subscription_id, s.subscriber, s.channel, d.phase, d.subject, d.status,"
        " d.reason, d.attempts, d.last_error, d.created_at, d.next_attempt_at, d.sent_at"
        " FROM notify.deliveries d JOIN notify.subscriptions s ON s.id = d.subscription_id"
        " WHERE (%s::text IS NULL OR d.status = %s) ORDER BY d.id DESC LIMIT %s",
        [status, status, limit],
    )
    return list(await cur.fetchall())
