"""``iocgis db``: schema migrations."""

from __future__ import annotations

import os

import typer

from gis import migrate
from gis.access.roles import WEB_LOGIN_ROLE, set_web_password
from gis.db import transaction

app = typer.Typer(help="Database schema (alembic migrations).", no_args_is_help=True)


@app.command()
def upgrade(revision: str = typer.Argument("heads", help="Target revision.")) -> None:
    """Create the database if missing and migrate it to the newest schema."""
    migrate.upgrade(revision=revision)
    typer.echo(f"database at revision {', '.join(migrate.current_revisions())}")


@app.command()
def downgrade(revision: str = typer.Argument("-1", help="Target revision.")) -> None:
    """Migrate the database down (default: one step)."""
    migrate.downgrade(revision=revision)
    typer.echo(f"database at revision {', '.join(migrate.current_revisions())}")


@app.command()
def current() -> None:
    """Print the database's revision and the newest one this code ships."""
    db, code = migrate.current_revisions(), migrate.head_revisions()
    typer.echo(f"database: {', '.join(db) or '-'}  code: {', '.join(code)}")


@app.command("web-password")
def web_password(
    env: str = typer.Option(
        "IOC_WEB_DB_PASSWORD", help="Environment variable holding the password (never an argument)."
    ),
) -> None:
    """Set the password of ``iocgis_web``, the role the web app logs in as (deployments)."""
    password = os.environ.get(env) or typer.prompt("password", hide_input=True)
    with transaction() as conn:
        set_web_password(conn, password)
    typer.echo(f"password of {WEB_LOGIN_ROLE} set")
