"""Shared pieces of the CLI: error display, output helpers."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
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


def run_app(app: typer.Typer, args: Sequence[str] | None = None, prog_name: str = "iocgis") -> int:
    """Run a Typer app on ``args`` (default: the command line) and return its exit code.

    Usage errors (an unknown command or option, a missing argument) are typer's own: the usage
    line, a hint and the error, exit 2. A domain error becomes one line on stderr: 1 for
    "nothing here", 2 for bad input.
    """
    try:
        # standalone mode: typer itself shows click's usage errors and turns them into exit 2
        # (outside it they escape as exceptions, which showed as a traceback).
        app(args=args, prog_name=prog_name, standalone_mode=True)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
    except NotFound as exc:
        err_console.print(f"[yellow]{exc}[/yellow]", highlight=False)
        return 1
    except IocGisError as exc:
        err_console.print(f"[red]error:[/red] {exc}", highlight=False)
        return 2
    except ValidationError as exc:  # e.g. the settings, read by the first command needing them
        err_console.print(f"[red]error:[/red] {validation_message(exc)}", highlight=False)
        return 2
    return 0


def print_json(data: Any) -> None:
    """Print ``data`` as UTF-8 JSON (Vietnamese diacritics kept as they are)."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
