"""Shared pieces of the CLI: error display, output helpers."""

from __future__ import annotations

import json
import sys
from typing import Any

import typer
from pydantic import ValidationError
from rich.console import Console

from gis.errors import IocGisError, NotFound

# soft_wrap: a message stays one line whatever the terminal's width (scripts grep it).
err_console = Console(stderr=True, soft_wrap=True)


def validation_message(exc: ValidationError) -> str:
    """A ValidationError as one line, without pydantic's noise nor the input values.

    Errors of the settings (models named ``*Settings``) name the environment variable.
    """
    settings = exc.title.endswith("Settings")
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()))
        msg = str(err.get("msg", "")).removeprefix("Value error, ")
        if where:
            where = f"IOC_{where.upper()}" if settings else where
            msg = f"{where}: {msg}"
        parts.append(msg)
    what = "invalid configuration" if settings else "invalid input"
    return f"{what}: " + "; ".join(parts)


def run_app(app: typer.Typer) -> int:
    """Run a Typer app; a domain error becomes one line on stderr and a non-zero exit code."""
    try:
        app(standalone_mode=False)
    except NotFound as exc:
        err_console.print(f"[yellow]{exc}[/yellow]", highlight=False)
        return 1
    except IocGisError as exc:
        err_console.print(f"[red]error:[/red] {exc}", highlight=False)
        return 2
    except ValidationError as exc:  # e.g. the settings, read by the first command needing them
        err_console.print(f"[red]error:[/red] {validation_message(exc)}", highlight=False)
        return 2
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    except typer.Abort:
        err_console.print("aborted")
        return 130
    except Exception as exc:  # click usage errors
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            return int(exc.exit_code)
        raise
    return 0


def print_json(data: Any) -> None:
    """Print ``data`` as UTF-8 JSON (Vietnamese diacritics kept as they are)."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
