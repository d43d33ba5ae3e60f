"""``iocgis users`` and ``iocgis audit``: API users and keys, and who saw land users' data."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import psycopg
import typer
from rich.console import Console
from rich.table import Table

from cli.common import err_console, print_json
from cli.indices import parse_time
from gis.access import audit as audit_log
from gis.access import keys
from gis.access.roles import ROLES
from gis.db import connect
from gis.errors import InvalidInput

app = typer.Typer(
    help="API users and their keys (run as the database owner).", no_args_is_help=True
)

JSON = typer.Option(False, "--json", help="Print JSON.")
_DURATION = re.compile(r"(\d{1,5})([hdw])")
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}
T = TypeVar("T")


def _run(action: Callable[[psycopg.Connection], T]) -> T:
    """Run ``action`` on an autocommit connection to IOC_DATABASE_URL (the owner of auth.*)."""
    with connect(autocommit=True) as conn:
        return action(conn)


def parse_expiry(text: str | None, now: datetime | None = None) -> datetime | None:
    """``90d``, ``12h``, ``2w`` from now, or an ISO date/time (Vietnam time without a zone)."""
    if text is None:
        return None
    match = _DURATION.fullmatch(text.strip())
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        if amount == 0:
            raise InvalidInput("--expires must be in the future")
        return (now or datetime.now(UTC)) + timedelta(**{_UNITS[unit]: amount})
    try:
        return parse_time(text)
    except InvalidInput as exc:
        raise InvalidInput(
            f"--expires: expected 90d, 12h, 2w or an ISO date, not {text!r}"
        ) from exc


def _show_key(name: str, key: str) -> None:
    """Print the key alone on stdout (for scripts), the warning on stderr."""
    typer.echo(key)
    err_console.print(
        f"[yellow]API key of {name}: store it now, it cannot be shown again"
        " (only its hash is kept).[/yellow]",
        highlight=False,
    )


@app.command("add")
def add(
    name: str = typer.Argument(..., help="User name: letters, digits and . _ @ - (max 64)."),
    role: str = typer.Option(..., help=f"One of {', '.join(ROLES)}."),
    full_name: str | None = typer.Option(None, help="The person's full name."),
    expires: str | None = typer.Option(None, help="Key expiry: 90d, 12h, 2w or an ISO date."),
) -> None:
    """Create a user with a first API key; the key is printed once."""
    expires_at = parse_expiry(expires)
    key = _run(lambda c: keys.add_user(c, name, role, full_name, expires_at=expires_at))
    _show_key(name, key)


@app.command("key")
def key(
    name: str = typer.Argument(..., help="User name."),
    expires: str | None = typer.Option(None, help="Key expiry: 90d, 12h, 2w or an ISO date."),
) -> None:
    """Give a user one more API key (rotation: then revoke the old one with revoke-key)."""
    expires_at = parse_expiry(expires)
    _show_key(name, _run(lambda c: keys.new_key(c, name, expires_at)))


@app.command("revoke")
def revoke(name: str = typer.Argument(..., help="User name.")) -> None:
    """Revoke a user and every key of theirs (takes effect on the next request)."""
    count = _run(lambda c: keys.revoke_user(c, name))
    typer.echo(f"user {name} revoked ({count} active key{'s' if count != 1 else ''} revoked)")


@app.command("revoke-key")
def revoke_key(key_id: str = typer.Argument(..., help="The key id (iocgis_<KEY_ID>_...).")) -> None:
    """Revoke one API key by its id."""
    _run(lambda c: keys.revoke_key(c, key_id))
    typer.echo(f"key {key_id} revoked")


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if value else "-"


def _key_state(k: keys.KeyInfo, now: datetime) -> str:
    if k.revoked_at:
        return "revoked"
    if k.expires_at and k.expires_at <= now:
        return "expired"
    return "active" if not k.expires_at else f"until {_when(k.expires_at)}"


@app.command("list")
def list_(as_json: bool = JSON) -> None:
    """Every user with role and keys (ids, dates, state; never the keys themselves)."""
    users = _run(keys.list_users)
    if as_json:
        print_json([u.to_dict() for u in users])
        return
    now = datetime.now(UTC)
    table = Table("user", "role", "full name", "created (UTC)", "state", "keys", "last used (UTC)")
    for u in users:
        key_text = "\n".join(f"{k.key_id} {_key_state(k, now)}" for k in u.keys) or "-"
        used = [k.last_used_at for k in u.keys if k.last_used_at]
        state = f"revoked {_when(u.revoked_at)}" if u.revoked_at else "active"
        table.add_row(u.name, u.role, u.full_name or "", _when(u.created_at), state, key_text,
                      _when(max(used) if used else None))  # fmt: skip
    Console().print(table)


def _ids(ids: list[int], shown: int = 8) -> str:
    text = ", ".join(str(i) for i in ids[:shown])
    return text + (f" … (+{len(ids) - shown})" if len(ids) > shown else "")


def audit(
    subject: str | None = typer.Option(None, help="Only this user's views."),
    since: str | None = typer.Option(None, help="From this ISO date/time on (Vietnam time)."),
    limit: int = typer.Option(100, help=f"Newest rows to show (1–{audit_log.MAX_LIMIT})."),
    as_json: bool = JSON,
) -> None:
    """Who saw which parcels' land users, when and how (newest first)."""
    start = parse_time(since) if since else None
    rows: list[dict[str, Any]] = _run(
        lambda c: audit_log.recent_views(c, limit=limit, subject=subject, since=start)
    )
    if as_json:
        print_json(rows)
        return
    if not rows:
        err_console.print("no personal-data views recorded", highlight=False)
        return
    table = Table("at (UTC)", "subject", "role", "method", "action", "target", "parcels", "client")
    for r in rows:
        table.add_row(
            r["at"].astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"), r["subject"], r["role"],
            r["method"], r["action"], r["target"] or "", _ids(r["parcel_ids"]), r["client"] or "",
        )  # fmt: skip
    Console().print(table)


def register(root: typer.Typer) -> None:
    """Add ``users`` and ``audit`` to the main ``iocgis`` app."""
    root.add_typer(app, name="users")
    root.command("audit")(audit)
