"""``iocgis notify``: subscriptions to alerts, the notifier process, a channel test."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import time
from typing import Any, TypeVar

import psycopg
import typer
from rich.console import Console
from rich.table import Table

from cli.common import print_json
from gis.db import aconnect, connect
from gis.errors import InvalidInput
from sensors.notify.config import get_notify_settings
from sensors.notify.notice import KINDS
from sensors.notify.probe import probe
from sensors.notify.subscriptions import (
    CATEGORY_KEYS,
    NewSubscription,
    check_subscriber,
    list_subscriptions,
    subscribe,
    unsubscribe,
)

app = typer.Typer(help="Alert notifications: subscriptions and the notifier.", no_args_is_help=True)
JSON = typer.Option(False, "--json", help="Print JSON.")
T = TypeVar("T")


def _async(action: Callable[[psycopg.AsyncConnection], Awaitable[T]]) -> T:
    """Run ``action`` on an autocommit async connection to IOC_DATABASE_URL."""

    async def go() -> T:
        async with await aconnect(autocommit=True) as conn:
            return await action(conn)

    return asyncio.run(go())


def _hhmm(text: str | None, option: str) -> time | None:
    """``22:00`` → time; InvalidInput names the option otherwise."""
    if text is None:
        return None
    try:
        return time.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInput(f"{option}: expected HH:MM, not {text!r}") from exc


@app.command("subscribe")
def subscribe_cmd(
    user: str = typer.Argument(..., help="User name (environment or admin role)."),
    kind: str = typer.Option(..., help=f"One of {', '.join(KINDS)}."),
    area: str = typer.Option(..., help="Province (2 digits), commune (5), station, facility."),
    email: str | None = typer.Option(None, help="E-mail address."),
    webhook: str | None = typer.Option(None, help="Webhook URL (SMS/Zalo gateway)."),
    secret: str | None = typer.Option(None, help="Webhook HMAC secret (16+ characters)."),
    min_category: str = typer.Option("poor", help=f"AQI only: {', '.join(CATEGORY_KEYS)}."),
    language: str = typer.Option("vi", help="vi or en."),
    quiet_from: str | None = typer.Option(None, help="Quiet hours start, HH:MM Vietnam time."),
    quiet_to: str | None = typer.Option(None, help="Quiet hours end, HH:MM."),
    json_out: bool = JSON,
) -> None:
    """Subscribe a user to alerts of an area through e-mail or a signed webhook."""
    new = NewSubscription(
        user,
        kind,
        area,
        email,
        webhook,
        secret,
        min_category,
        language,
        _hhmm(quiet_from, "--quiet-from"),
        _hhmm(quiet_to, "--quiet-to"),
    )

    async def go(conn: psycopg.AsyncConnection) -> dict[str, Any]:
        await check_subscriber(conn, user)
        return await subscribe(conn, new)

    sub = _async(go)
    if json_out:
        print_json(sub)
    else:
        typer.echo(f"subscription {sub['id']}: {sub['kind']} in {sub['area']} → {sub['address']}")


@app.command("list")
def list_cmd(
    user: str | None = typer.Option(None, help="Only this user's subscriptions."),
    json_out: bool = JSON,
) -> None:
    """List subscriptions (webhook secrets are never shown)."""
    subs = _async(lambda c: list_subscriptions(c, user))
    if json_out:
        print_json(subs)
        return
    table = Table("id", "user", "kind", "area", "channel", "address", "min", "lang", "quiet")
    for s in subs:
        quiet = f"{s['quiet_start']}–{s['quiet_end']}" if s["quiet_start"] else ""
        table.add_row(
            str(s["id"]),
            s["subscriber"],
            s["kind"],
            s["area"],
            s["channel"],
            s["address"],
            s["min_category"],
            s["language"],
            quiet,
        )
    Console().print(table)


@app.command("unsubscribe")
def unsubscribe_cmd(sub_id: int = typer.Argument(..., help="Subscription id.")) -> None:
    """Delete a subscription."""
    _async(lambda c: unsubscribe(c, sub_id, None))
    typer.echo(f"subscription {sub_id} deleted")


@app.command("test")
def test_cmd(
    user: str | None = typer.Argument(None, help="Test every subscription of this user."),
    subscription: int | None = typer.Option(None, help="Test this subscription only."),
) -> None:
    """Send a test message through the channel of each chosen subscription, now."""
    if user is None and subscription is None:
        raise InvalidInput("give a user or --subscription")
    with connect() as conn:
        results = probe(conn, get_notify_settings(), user, subscription)
    failed = 0
    for did, address, result in results:
        typer.echo(f"delivery {did} → {address}: {result}")
        failed += result != "sent"
    if failed:
        raise typer.Exit(1)


@app.command("run")
def run_cmd(
    reports: bool = typer.Option(True, help="Also generate the scheduled reports."),
) -> None:
    """The notifier: turn alerts into e-mails and webhooks (run beside the ingester)."""
    from sensors.notify.runner import run

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    extra = None
    if reports:
        from sensors.reports.schedule import run_schedule

        extra = run_schedule
    run(extra=extra)
