"""Usage errors of every ``iocgis`` command: the usage message and exit 2, never a traceback.

The commands are read from the CLI's own tree (typer → click), so a command added later is
checked without touching this file.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer

from cli.common import run_app
from cli.main import app

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(sys.executable).with_name("iocgis")


def _walk(command: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    """Every (path, command) below ``command``, groups included."""
    found = [(path, command)]
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        found.extend(_walk(sub, (*path, name)))
    return found


TREE = _walk(typer.main.get_command(app))
GROUPS = [path for path, cmd in TREE if hasattr(cmd, "commands")]
LEAVES = [path for path, cmd in TREE if not hasattr(cmd, "commands")]
REQUIRED = [path for path, cmd in TREE if not hasattr(cmd, "commands")
            and any(p.required for p in cmd.params)]  # fmt: skip


def _ids(paths: list[tuple[str, ...]]) -> list[str]:
    return [" ".join(p) or "iocgis" for p in paths]


def test_the_tree_is_the_whole_cli():
    """The walk sees the areas' commands (a broken walk would check nothing)."""
    names = {" ".join(p) for p in LEAVES}
    assert {"parcels get", "admin at", "db upgrade", "serve", "aqi", "users add"} <= names
    assert len(LEAVES) >= 30 and ("parcels",) in GROUPS and () in GROUPS
    assert ("parcels", "get") in REQUIRED and ("admin", "provinces") not in REQUIRED


def _run(monkeypatch, capsys, args: list[str]) -> tuple[int, str]:
    """Run the CLI in-process as the console script does; (exit code, stdout + stderr)."""
    monkeypatch.setattr(sys, "argv", ["iocgis", *args])
    code = run_app(app)
    out = capsys.readouterr()
    return code, out.out + out.err


def _assert_usage_error(code: int, output: str, message: str, path: tuple[str, ...]) -> None:
    assert code == 2, output
    assert "Traceback" not in output
    assert f"Usage: iocgis {' '.join(path)}".rstrip() in output, output
    assert message in output, output


@pytest.mark.parametrize("path", LEAVES, ids=_ids(LEAVES))
def test_unknown_option_is_a_usage_error(monkeypatch, capsys, path):
    code, output = _run(monkeypatch, capsys, [*path, "--no-such-option"])
    _assert_usage_error(code, output, "No such option: --no-such-option", path)


@pytest.mark.parametrize("path", REQUIRED, ids=_ids(REQUIRED))
def test_missing_required_parameter_is_a_usage_error(monkeypatch, capsys, path):
    code, output = _run(monkeypatch, capsys, list(path))
    _assert_usage_error(code, output, "Missing ", path)


@pytest.mark.parametrize("path", GROUPS, ids=_ids(GROUPS))
def test_unknown_command_is_a_usage_error(monkeypatch, capsys, path):
    code, output = _run(monkeypatch, capsys, [*path, "nosuch"])
    _assert_usage_error(code, output, "No such command 'nosuch'", path)


@pytest.mark.parametrize(
    ("args", "message", "usage"),
    [
        (["nosuch"], "No such command 'nosuch'", "Usage: iocgis [OPTIONS]"),
        (["parcels", "get"], "Missing argument", "Usage: iocgis parcels get"),
        (["parcels", "get", "--bogus"], "No such option: --bogus", "Usage: iocgis parcels get"),
        # click names the option but shows no usage line for an option's missing value
        (["admin", "at", "--lon"], "Option '--lon' requires an argument", ""),
        (["aqi", "--station", "X", "--from", "yesterday", "--to", "today", "--scheme", "eu"],
         "Invalid value", "Usage: iocgis aqi"),
    ],
)
def test_console_script_usage_errors(args, message, usage):
    """The installed ``iocgis`` script itself: usage on stderr, exit 2, nothing on stdout."""
    assert SCRIPT.exists(), f"the console script is not installed next to {sys.executable}"
    done = subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "COLUMNS": "200"}, timeout=60)  # fmt: skip
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert usage in done.stderr and message in done.stderr, done.stderr
