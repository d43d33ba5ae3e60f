"""Imports point down: maps → layers → sensors → gis (cli may import every area).

Parses every module of the areas (ast, imports inside functions and ``TYPE_CHECKING`` blocks
too) and fails on an import that points up. The rule and its reasons: docs/architecture.md.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Areas from the bottom up: a module may import its own area and those below it.
LAYERS = ("gis", "sensors", "layers", "maps")
#: The command line sits on top: it may import every area, and no area imports it.
TOP = "cli"
#: The migrations are the schema of every area (one alembic branch per area); they may read
#: the declarations they fill tables from, and nothing else above ``gis``.
MIGRATIONS = "gis/migrations/versions"
MIGRATIONS_MAY_READ = ("sensors.indices.categories", "sensors.contract.states")


def _modules() -> list[Path]:
    return sorted(p for area in (*LAYERS, TOP) for p in (ROOT / area).rglob("*.py"))


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in ``path``; relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = path.relative_to(ROOT).with_suffix("").parts[:-1]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                out.append((node.lineno, ".".join((*base, *(node.module or "").split(".")))))
            elif node.module:
                out.append((node.lineno, node.module))
    return out


def _area(module: str) -> str | None:
    head = module.split(".")[0]
    return head if head in (*LAYERS, TOP) else None


def upward_imports() -> list[str]:
    """Every import that points up, as ``path:line: module``."""
    found = []
    for path in _modules():
        rel = path.relative_to(ROOT)
        here = rel.parts[0]
        if here == TOP:
            continue
        for line, module in _imports(path):
            there = _area(module)
            if there is None or there == here:
                continue
            if rel.as_posix().startswith(MIGRATIONS) and module.startswith(MIGRATIONS_MAY_READ):
                continue
            if there == TOP or LAYERS.index(there) > LAYERS.index(here):
                found.append(f"{rel}:{line}: {here} imports {module}")
    return found


def test_no_import_points_up() -> None:
    assert upward_imports() == []


def test_the_check_sees_imports() -> None:
    """The parser finds the imports it must judge (a check that cannot fail proves nothing)."""
    imports = {m for p in _modules() for _line, m in _imports(p)}
    assert {"sensors.contract", "layers.catalog", "gis.settings"} <= imports
    assert len(_modules()) > 100


@pytest.mark.parametrize(
    ("source", "where", "bad"),
    [
        ("from maps.app import create_app\n", "layers/x.py", True),
        ("import layers.catalog\n", "sensors/x.py", True),
        ("from sensors import contract\n", "gis/x.py", True),
        ("from cli.main import app\n", "maps/x.py", True),
        ("from gis.db import connect\n", "maps/x.py", False),
        ("from sensors.contract import STATES\n", "layers/x.py", False),
        ("from . import broker\n", "sensors/x.py", False),
        ("from ..layers import catalog\n", "sensors/x.py", True),
    ],
)
def test_the_rule(tmp_path, monkeypatch, source, where, bad) -> None:
    """The same check on a tree of one module: each direction judged as the rule says."""
    module = tmp_path / where
    module.parent.mkdir(parents=True)
    module.write_text("def f():\n    " + source, encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert bool(upward_imports()) is bad
