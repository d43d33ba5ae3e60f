"""Where database work lives: ``gis.db.aconnect`` bounds its session like ``connect``; commands
and routers hold no SQL; only ``gis/db.py`` opens psycopg connections itself (docs/architecture.md).
"""

from __future__ import annotations

import ast
import asyncio
import re
import socket
from datetime import timedelta
from pathlib import Path

import pytest

from gis.db import aconnect
from gis.errors import DatabaseUnavailable
from gis.settings import get_settings

ROOT = Path(__file__).resolve().parent.parent
#: The thin layers: a command or a route calls its area's data layer, never the database.
THIN = ("cli", "maps/routers")
#: Areas whose modules reach the database only through gis.db (maps/events.py's LISTEN
#: connection takes the app's own conninfo and is not covered here).
AREAS = ("gis", "layers", "sensors", "cli")
STATEMENT = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|WITH|COPY|LISTEN)\b|\bFROM\s+\w+\.\w+")


def _modules(*dirs: str) -> list[tuple[str, ast.Module]]:
    found = []
    for d in dirs:
        for path in sorted((ROOT / d).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if not rel.startswith("gis/migrations/versions/"):
                found.append((rel, ast.parse(path.read_text(encoding="utf-8"))))
    return found


def _sql_offenders(rel: str, tree: ast.Module) -> list[str]:
    """Calls of ``.execute`` and string constants that read as SQL statements."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in ("execute", "executemany", "copy"):
                out.append(f"{rel}:{node.lineno}: .{node.func.attr}(…)")
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and STATEMENT.search(node.value)
        ):
            out.append(f"{rel}:{node.lineno}: {node.value[:60]!r}")
    return out


def _connect_offenders(rel: str, tree: ast.Module) -> list[str]:
    """Direct ``psycopg.connect`` / ``AsyncConnection.connect`` calls."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = ast.unparse(node.func.value)
            if node.func.attr == "connect" and owner in (
                "psycopg", "psycopg.AsyncConnection", "AsyncConnection", "psycopg.Connection"
            ):  # fmt: skip
                out.append(f"{rel}:{node.lineno}: {owner}.connect(…)")
    return out


def test_commands_and_routers_hold_no_sql():
    offenders = [o for rel, tree in _modules(*THIN) for o in _sql_offenders(rel, tree)]
    assert not offenders, "move these statements to the area's data layer:\n" + "\n".join(offenders)


def test_only_gis_db_opens_connections():
    offenders = [
        o
        for rel, tree in _modules(*AREAS)
        if rel != "gis/db.py"
        for o in _connect_offenders(rel, tree)
    ]
    assert not offenders, "open connections through gis.db (connect, aconnect, borrowed):\n" + (
        "\n".join(offenders)
    )


def test_the_checks_see_what_they_forbid():
    tree = ast.parse(
        'rows = conn.execute("SELECT code FROM layers.facilities").fetchall()\n'
        "c = psycopg.connect(url)\n"
        "a = await psycopg.AsyncConnection.connect(url)\n"
        'q = sql.SQL("DELETE FROM notify.subscriptions WHERE id = %s")\n'
    )
    found = "\n".join(_sql_offenders("x.py", tree))
    assert "x.py:1: .execute(" in found and "'SELECT code FROM layers.facilities'" in found
    assert "'DELETE FROM notify.subscriptions" in found
    assert _connect_offenders("x.py", tree) == [
        "x.py:2: psycopg.connect(…)",
        "x.py:3: psycopg.AsyncConnection.connect(…)",
    ]
    assert not _sql_offenders("x.py", ast.parse('typer.echo("selected 3 from the list")'))


#: The session's bound in milliseconds and its application name.
SESSION = (
    "SELECT current_setting('statement_timeout')::interval, current_setting('application_name')"
)


def test_aconnect_bounds_every_statement(database_url):
    async def go() -> list[tuple[object, ...]]:
        seen = []
        async with await aconnect(database_url, autocommit=True) as conn:
            cur = await conn.execute(SESSION)
            seen.append((*(await cur.fetchall())[0], conn.autocommit))
        async with await aconnect(database_url, statement_timeout_ms=1500) as own:
            cur = await own.execute(SESSION)
            seen.append((*(await cur.fetchall())[0], own.autocommit))
        return seen

    default, own = asyncio.run(go())
    expected = timedelta(milliseconds=get_settings().statement_timeout_ms)
    assert default == (expected, "iocgis", True)
    assert own == (timedelta(milliseconds=1500), "iocgis", False)


def test_aconnect_refuses_a_negative_bound(database_url):
    with pytest.raises(ValueError, match="statement_timeout_ms"):
        asyncio.run(aconnect(database_url, statement_timeout_ms=-1))


def test_aconnect_names_an_unreachable_database():
    with socket.socket() as s:  # a free port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"postgresql://nobody@127.0.0.1:{port}/nothing?connect_timeout=3"
    with pytest.raises(DatabaseUnavailable, match="cannot connect to the database"):
        asyncio.run(aconnect(url))
