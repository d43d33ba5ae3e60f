"""The rules of docs/architecture.md on reaching the database, checked over the source.

No SQL is built with an f-string (identifiers go through ``psycopg.sql``), and SQLAlchemy is
used only by alembic and the table declarations.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AREAS = ("gis", "layers", "maps", "sensors", "cli")
#: A piece of an f-string that starts or continues an SQL statement.
SQL_WORDS = re.compile(
    r"^\s*(SELECT|INSERT|UPDATE|DELETE|COPY|CREATE|DROP|ALTER|TRUNCATE|WITH|LISTEN|NOTIFY)\b"
    r"|\b(FROM|WHERE|JOIN|VALUES|RETURNING|ON CONFLICT)\b"
)
SQLALCHEMY_HOMES = ("gis/migrate.py", "gis/migrations/", "gis/tables/")


def _modules() -> list[tuple[str, ast.Module]]:
    found = []
    for area in AREAS:
        for path in sorted((ROOT / area).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if not rel.startswith("gis/migrations/versions/"):
                found.append((rel, ast.parse(path.read_text(encoding="utf-8"))))
    return found


def test_no_sql_is_built_with_an_f_string():
    offenders = []
    for rel, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                text = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
                if SQL_WORDS.search(text):
                    offenders.append(f"{rel}:{node.lineno}: {text[:60]!r}")
    assert not offenders, "compose SQL with psycopg.sql instead:\n" + "\n".join(offenders)


def test_the_check_sees_an_f_string_statement():
    tree = ast.parse('q = f"SELECT * FROM layers.{view}"')
    node = next(n for n in ast.walk(tree) if isinstance(n, ast.JoinedStr))
    text = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
    assert SQL_WORDS.search(text)
    assert not SQL_WORDS.search("zoom {z} is out of range")


def test_sqlalchemy_only_for_alembic_and_the_declarations():
    offenders = []
    for rel, tree in _modules():
        if rel.startswith(SQLALCHEMY_HOMES):
            continue
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            if any(n.split(".")[0] in ("sqlalchemy", "geoalchemy2") for n in names):
                offenders.append(f"{rel}:{node.lineno}")
    assert not offenders, "queries go through psycopg (gis.db), not SQLAlchemy: " + str(offenders)
