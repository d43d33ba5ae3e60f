"""``/notify/...``: environment staff manage their alert subscriptions; admins read the
delivery log. Webhook secrets go in, never out."""

from __future__ import annotations

from datetime import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from gis.access.roles import ADMIN
from maps.deps import ConnDep, Principal, require_role
from sensors.notify.subscriptions import (
    CATEGORY_KEYS,
    SUBSCRIBER_ROLES,
    NewSubscription,
    list_subscriptions,
    recent_deliveries,
    subscribe,
    unsubscribe,
)

router = APIRouter(tags=["notifications"])
Staff = Annotated[Principal, require_role(*SUBSCRIBER_ROLES)]


class SubscriptionIn(BaseModel):
    """A subscription request: what, where, through which channel."""

    kind: Literal["exceedance", "aqi", "offline", "device"]
    area: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="province/commune/station")
    email: str | None = Field(None, max_length=320)
    webhook: str | None = Field(None, max_length=2000)
    secret: str | None = Field(None, min_length=16, max_length=200)
    min_category: str = Field("poor", description=f"AQI only: {', '.join(CATEGORY_KEYS)}")
    language: Literal["vi", "en"] = "vi"
    quiet_start: time | None = None
    quiet_end: time | None = None


@router.get("/notify/subscriptions", summary="My alert subscriptions (admins: everyone's)")
async def my_subscriptions(conn: ConnDep, who: Staff) -> dict[str, Any]:
    """Subscriptions without their secrets."""
    subs = await list_subscriptions(conn, None if who.role == ADMIN else who.subject)
    return {"subscriptions": subs}


@router.post("/notify/subscriptions", summary="Subscribe to alerts", status_code=201)
async def add_subscription(body: SubscriptionIn, conn: ConnDep, who: Staff) -> dict[str, Any]:
    """Store a subscription of the signed-in user."""
    new = NewSubscription(who.subject, **body.model_dump())
    return await subscribe(conn, new)


@router.delete("/notify/subscriptions/{sub_id}", summary="Unsubscribe", status_code=204)
async def delete_subscription(
    sub_id: Annotated[int, Path(ge=1, le=2**62)], conn: ConnDep, who: Staff
) -> None:
    """Delete one of my subscriptions (admins: any)."""
    await unsubscribe(conn, sub_id, None if who.role == ADMIN else who.subject)


@router.get(
    "/notify/deliveries",
    summary="Delivery log: sent, retried, failed, suppressed (newest first)",
    dependencies=[require_role(ADMIN)],
)
async def deliveries(
    conn: ConnDep,
    status: Literal["pending", "retrying", "sent", "failed", "suppressed"] | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Each delivery: subscription, channel, phase, subject, status, attempts, last error."""
    rows = await recent_deliveries(conn, limit=limit, status=status)
    return {"deliveries": rows, "count": len(rows)}
