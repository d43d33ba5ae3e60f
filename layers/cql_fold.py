"""CQL2 case- and accent-insensitive comparison (``CASEI``, ``ACCENTI``) as SQL foldings."""

from __future__ import annotations

from typing import Any

from psycopg import sql
from pygeofilter import ast

from gis.errors import InvalidInput

#: CQL2's case- and accent-insensitive comparison functions (pygeofilter reads CASEI as
#: ``lower``) → which folding each asks for.
FOLD_FUNCTIONS = {"casei": "case", "lower": "case", "accenti": "accents"}


def unwrap(node: Any) -> tuple[Any, frozenset[str]]:
    """The expression inside nested CASEI()/ACCENTI() calls and the foldings they ask for."""
    folds: set[str] = set()
    while isinstance(node, ast.Function):
        fold = FOLD_FUNCTIONS.get(node.name.lower())
        if fold is None:
            raise InvalidInput(f"unsupported CQL2 function: {node.name[:32]}()")
        if len(node.arguments) != 1:
            raise InvalidInput(f"{node.name}() takes one argument")
        folds.add(fold)
        node = node.arguments[0]
    return node, frozenset(folds)


def folded(expr: sql.Composable, folds: frozenset[str]) -> sql.Composable:
    """``expr`` folded in one canonical order, ``lower(layers.fold_accents(…))`` whatever the
    nesting the filter used: the form migration 0013_qgis indexes."""
    if "accents" in folds:
        expr = sql.SQL("layers.fold_accents({})").format(expr)
    if "case" in folds:
        expr = sql.SQL("lower({})").format(expr)
    return expr


def accenti_as_function(node: Any) -> Any:
    """CQL2 JSON's ``{"op": "accenti", …}`` as the function node pygeofilter 0.4 can read."""
    if isinstance(node, list):
        return [accenti_as_function(n) for n in node]
    if not isinstance(node, dict):
        return node
    if str(node.get("op", "")).lower() == "accenti":
        args = accenti_as_function(node.get("args", []))
        return {"function": {"name": "accenti", "arguments": args}}
    return {k: accenti_as_function(v) for k, v in node.items()}
