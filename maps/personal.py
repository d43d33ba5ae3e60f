"""Personal data leaving the web app: every response carrying it is audited first, or not sent.

Land users' names, ID numbers and addresses reach only the land role (database grants and the
catalog's per-role properties). Each response that carries some writes one row to
``audit.personal_data_views`` on the request's own connection (running as ``iocgis_land``)
before the response leaves; when that write fails, the request fails (503) instead: fail closed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import psycopg
from fastapi import Request

from gis.access.audit import record_view
from gis.errors import DatabaseUnavailable
from maps.deps import Principal

log = logging.getLogger("iocgis.maps")


def client_of(request: Request) -> str | None:
    """The caller's address as the server saw it (no proxy header is trusted here)."""
    return request.client.host if request.client else None


async def audit_view(
    conn: psycopg.AsyncConnection,
    request: Request,
    principal: Principal,
    *,
    action: str,
    target: str,
    parcel_ids: Iterable[int],
) -> None:
    """Record that ``principal`` received the land users of ``parcel_ids``; 503 if it cannot."""
    try:
        await record_view(
            conn,
            subject=principal.subject,
            role=principal.role,
            method=principal.method,
            action=action,
            target=target,
            parcel_ids=parcel_ids,
            client=client_of(request),
        )
    except psycopg.Error as exc:
        log.error("audit write failed on %s: %s", request.url.path, exc)
        raise DatabaseUnavailable(
            "personal data withheld: the audit log cannot be written"
        ) from exc

