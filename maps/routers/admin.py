"""Role-gated endpoints: the audit log and users (admin), quarantined sensor payloads.

Each reads on the request's role-set connection, so the database grants (0008_access) hold
even if a route's gate were wrong: only iocgis_admin reads the audit log and users, only
iocgis_environment and iocgis_admin read ``sensor.rejects``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from gis.access.audit import recent_views_read
from gis.access.keys import users_read
from gis.access.roles import ADMIN, ENVIRONMENT
from gis.db import arun
from layers.rejects import MAX_LIMIT, recent_rejects
from maps.deps import ConnDep, require_role
from maps.params import utc

router = APIRouter(tags=["admin"])

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"rows, at most {MAX_LIMIT}")]
Since = Annotated[
    datetime | None,
    Query(description="only rows from this time on (RFC 3339; UTC if no offset is given)"),
]


@router.get(
    "/audit",
    summary="Who saw which parcels' land users, when (newest first)",
    dependencies=[require_role(ADMIN)],
)
async def audit_log(
    conn: ConnDep,
    subject: Annotated[
        str | None,
        Query(max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$", description="user or SSO subject"),
    ] = None,
    since: Since = None,
    limit: Limit = 100,
) -> dict[str, Any]:
    """Rows of the personal-data audit log, optionally of one subject and from ``since`` on."""
    views = await arun(conn, recent_views_read(limit, subject, utc(since)))
    return {"views": views, "count": len(views)}


@router.get(
    "/users", summary="Users, roles and API keys (no secrets)", dependencies=[require_role(ADMIN)]
)
async def users(conn: ConnDep) -> dict[str, Any]:
    """Every user with role, key ids, created/last used/expiry/revocation times."""
    return {"users": [user.to_dict() for user in await arun(conn, users_read())]}


@router.get(
    "/sensors/rejects",
    summary="Quarantined sensor payloads (newest first)",
    dependencies=[require_role(ENVIRONMENT, ADMIN)],
)
async def sensor_rejects(conn: ConnDep, since: Since = None, limit: Limit = 100) -> dict[str, Any]:
    """Payloads the ingester refused, with the reason (payload text cut to 2,000 characters)."""
    rejects = await recent_rejects(conn, limit=limit, since=utc(since))
    return {"rejects": rejects, "count": len(rejects)}
