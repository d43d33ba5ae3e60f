"""CQL2 (text and JSON) filters → SQL with bound parameters, on declared properties only.

pygeofilter parses; its own SQL backend inlines literals into the SQL text, so this module has
its own evaluator that turns every literal into a named placeholder instead.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import numpy as np
import psycopg
import shapely
import shapely.geometry
from psycopg import sql
from pygeofilter import ast, values
from pygeofilter.backends.evaluator import Evaluator, handle
from pygeofilter.parsers.cql2_json import parse as parse_json
from pygeofilter.parsers.cql2_text import parse as parse_text

from gis.access.roles import PUBLIC
from gis.errors import InvalidInput
from layers.catalog import Layer
from layers.cql_fold import accenti_as_function, folded, unwrap
from layers.crs_uri import crs_range

GEOMETRY_NAMES = ("geometry", "geom")

_COMPARE = {
    ast.ComparisonOp.EQ: "=", ast.ComparisonOp.NE: "<>", ast.ComparisonOp.LT: "<",
    ast.ComparisonOp.LE: "<=", ast.ComparisonOp.GT: ">", ast.ComparisonOp.GE: ">=",
}  # fmt: skip
_SPATIAL = {
    ast.SpatialComparisonOp.INTERSECTS: "ST_Intersects",
    ast.SpatialComparisonOp.DISJOINT: "ST_Disjoint",
    ast.SpatialComparisonOp.CONTAINS: "ST_Contains",
    ast.SpatialComparisonOp.WITHIN: "ST_Within",
    ast.SpatialComparisonOp.TOUCHES: "ST_Touches",
    ast.SpatialComparisonOp.CROSSES: "ST_Crosses",
    ast.SpatialComparisonOp.OVERLAPS: "ST_Overlaps",
    ast.SpatialComparisonOp.EQUALS: "ST_Equals",
}
_ARITH = {ast.ArithmeticOp.ADD: "+", ast.ArithmeticOp.SUB: "-",
          ast.ArithmeticOp.MUL: "*", ast.ArithmeticOp.DIV: "/"}  # fmt: skip
_TIME = {
    ast.TemporalComparisonOp.AFTER: ">", ast.TemporalComparisonOp.BEFORE: "<",
    ast.TemporalComparisonOp.TEQUALS: "=",
}  # fmt: skip


class ParamEvaluator(Evaluator):
    """Evaluates a pygeofilter AST to a psycopg ``sql.Composable``; literals become params."""

    def __init__(
        self, layer: Layer, alias: str, params: dict[str, Any], srid: int, role: str = PUBLIC
    ) -> None:
        self.layer = layer
        self.alias = alias
        self.params = params
        self.srid = srid
        self.role = role

    def _param(self, value: Any) -> sql.Composable:
        name = f"cql{len(self.params)}"
        self.params[name] = value
        return sql.Placeholder(name)

    @handle(ast.Not)
    def _not(self, node: Any, sub: sql.Composable) -> sql.Composable:
        return sql.SQL("(NOT {})").format(sub)

    @handle(ast.And, ast.Or)
    def _combination(self, node: Any, lhs: sql.Composable, rhs: sql.Composable) -> sql.Composable:
        return sql.SQL("({} " + node.op.value + " {})").format(lhs, rhs)

    @handle(ast.Comparison, subclasses=True)
    def _comparison(self, node: Any, lhs: sql.Composable, rhs: sql.Composable) -> sql.Composable:
        return sql.SQL("({} " + _COMPARE[node.op] + " {})").format(lhs, rhs)

    @handle(ast.Between)
    def _between(self, node: Any, lhs: Any, low: Any, high: Any) -> sql.Composable:
        neg = "NOT " if node.not_ else ""
        return sql.SQL("({} " + neg + "BETWEEN {} AND {})").format(lhs, low, high)

    @handle(ast.Like)
    def _like(self, node: Any, lhs: sql.Composable) -> sql.Composable:
        pattern, folds = unwrap(node.pattern)  # CASEI('…'), ACCENTI('…') around the pattern
        if not isinstance(pattern, str):
            raise InvalidInput("LIKE needs a text pattern")
        if node.wildcard != "%":
            pattern = pattern.replace("%", "\\%").replace(node.wildcard, "%")
        if node.singlechar != "_":
            pattern = pattern.replace("_", "\\_").replace(node.singlechar, "_")
        rhs = folded(self._param(pattern), folds)
        op = ("NOT " if node.not_ else "") + ("ILIKE" if node.nocase else "LIKE")
        return sql.SQL("({} " + op + " {})").format(lhs, rhs)

    def _function(self, node: Any) -> sql.Composable:
        inner, folds = unwrap(node)
        return folded(self.evaluate(inner), folds)

    def evaluate(self, node: Any, adopt_result: bool = True) -> Any:
        """Evaluate ``node``; nested CASEI/ACCENTI are folded as one (``cql_fold.folded``)."""
        if isinstance(node, ast.Function):
            return self._function(node)
        return super().evaluate(node, adopt_result)

    @handle(ast.In)
    def _in(self, node: Any, lhs: sql.Composable, *options: sql.Composable) -> sql.Composable:
        neg = "NOT " if node.not_ else ""
        return sql.SQL("({} " + neg + "IN ({}))").format(lhs, sql.SQL(", ").join(options))

    @handle(ast.IsNull)
    def _null(self, node: Any, lhs: sql.Composable) -> sql.Composable:
        return sql.SQL("({} IS " + ("NOT " if node.not_ else "") + "NULL)").format(lhs)

    @handle(ast.TemporalPredicate, subclasses=True)
    def _temporal(self, node: Any, lhs: sql.Composable, rhs: Any) -> sql.Composable:
        if isinstance(rhs, tuple):  # an interval: (start, end), either may be open
            start, end = rhs
            parts: list[sql.Composable] = []
            if node.op == ast.TemporalComparisonOp.BEFORE:
                return sql.SQL("({} < {})").format(lhs, start)
            if node.op == ast.TemporalComparisonOp.AFTER:
                return sql.SQL("({} > {})").format(lhs, end)
            if start is not None:
                parts.append(sql.SQL("{} >= {}").format(lhs, start))
            if end is not None:
                parts.append(sql.SQL("{} <= {}").format(lhs, end))
            return sql.SQL("({})").format(sql.SQL(" AND ").join(parts or [sql.SQL("true")]))
        op = _TIME.get(node.op) or ("<>" if node.op == ast.TemporalComparisonOp.DISJOINT else "=")
        return sql.SQL("({} " + op + " {})").format(lhs, rhs)

    @handle(values.Interval)
    def _interval(self, node: Any, start: Any, end: Any) -> tuple[Any, Any]:
        return start, end

    @handle(ast.SpatialComparisonPredicate, subclasses=True)
    def _spatial(self, node: Any, lhs: sql.Composable, rhs: sql.Composable) -> sql.Composable:
        return sql.SQL(_SPATIAL[node.op] + "({}, {})").format(lhs, rhs)

    def _check_range(self, coords: Any) -> None:
        """Coordinates of a filter's geometry must lie in the range of its CRS (like ``bbox``):
        outside a projected CRS's domain PostGIS cannot transform them."""
        x0, y0, x1, y1 = crs_range(self.srid)
        if (x0, y0, x1, y1) == (-180.0, -90.0, 180.0, 90.0):
            y0, y1 = -180.0, 180.0  # geographic: either axis order
        xy = np.asarray(coords, dtype=float).reshape(-1, 2)
        inside = np.isfinite(xy).all() and (
            (xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1)
        ).all()
        if not inside:
            raise InvalidInput(
                f"a geometry of the filter is outside the range of its CRS"
                f" ({x0:g}, {y0:g}, {x1:g}, {y1:g})"
            )

    @handle(ast.BBox)
    def _bbox(self, node: Any, lhs: sql.Composable) -> sql.Composable:
        self._check_range([[node.minx, node.miny], [node.maxx, node.maxy]])
        env = sql.SQL("ST_Transform(ST_MakeEnvelope({}, {}, {}, {}, {}), 4326)").format(
            self._param(float(node.minx)),
            self._param(float(node.miny)),
            self._param(float(node.maxx)),
            self._param(float(node.maxy)),
            sql.Literal(self.srid),
        )
        return sql.SQL("ST_Intersects({}, {})").format(lhs, env)

    @handle(ast.Attribute)
    def _attribute(self, node: Any) -> sql.Composable:
        if node.name in GEOMETRY_NAMES:
            return sql.SQL("{}.geom").format(sql.Identifier(self.alias))
        # A property the role may not see is refused exactly like one that does not exist.
        if self.layer.prop(node.name, self.role) is None:
            raise InvalidInput(f"unknown property in filter: {node.name!r}")
        return sql.SQL("{}.{}").format(sql.Identifier(self.alias), sql.Identifier(node.name))

    @handle(ast.Arithmetic, subclasses=True)
    def _arithmetic(self, node: Any, lhs: sql.Composable, rhs: sql.Composable) -> sql.Composable:
        return sql.SQL("({} " + _ARITH[node.op] + " {})").format(lhs, rhs)

    @handle(*values.LITERALS)
    def _literal(self, node: Any) -> sql.Composable:
        if isinstance(node, list):
            return sql.SQL(", ").join(self._param(v) for v in node)
        if isinstance(node, (datetime, date)):
            return sql.SQL("{}::timestamptz").format(self._param(node))
        return self._param(node)

    @handle(values.Geometry, values.Envelope)
    def _geometry(self, node: Any) -> sql.Composable:
        shape = shapely.geometry.shape(node.geometry)
        self._check_range(shapely.get_coordinates(shape))
        wkb = shape.wkb
        return sql.SQL("ST_Transform(ST_GeomFromWKB({}, {}), 4326)").format(
            self._param(wkb), sql.Literal(self.srid)
        )

    def adopt(self, node: Any, *sub_args: Any) -> Any:
        """Reject what we do not translate (functions, arrays, …) with a clear error."""
        raise InvalidInput(f"unsupported CQL2 element: {type(node).__name__}")


def parse_filter(text: str, lang: str | None) -> Any:
    """Parse a CQL2 filter given as text (``cql2-text``) or JSON (``cql2-json``)."""
    lang = (lang or "").lower() or ("cql2-json" if text.lstrip().startswith("{") else "cql2-text")
    try:
        if lang == "cql2-json":
            return parse_json(accenti_as_function(json.loads(text)))
        if lang == "cql2-text":
            return parse_text(text)
    except InvalidInput:
        raise
    except Exception as exc:
        raise InvalidInput(f"cannot parse the {lang} filter: {exc}".splitlines()[0]) from exc
    raise InvalidInput(f"unknown filter-lang {lang!r}: use cql2-text or cql2-json")


def to_sql(
    layer: Layer,
    text: str,
    lang: str | None = None,
    *,
    alias: str = "s",
    srid: int = 4326,
    params: dict[str, Any] | None = None,
    role: str = PUBLIC,
) -> tuple[sql.Composable, dict[str, Any]]:
    """The WHERE condition for a CQL2 filter on ``layer`` (the properties ``role`` sees) and
    its bound parameters."""
    node = parse_filter(text, lang)
    params = {} if params is None else params
    try:
        condition = ParamEvaluator(layer, alias, params, srid, role).evaluate(node)
    except KeyError as exc:
        raise InvalidInput(f"unsupported operator in filter: {exc}") from exc
    if not isinstance(condition, sql.Composable):
        raise InvalidInput("the filter is not a condition")
    return condition, params


#: What a well-formed filter can still raise in the database, and the reason a caller is told
#: (never PostgreSQL's own text, which may quote the statement): the request's fault, a 400.
_FILTER_ERRORS: tuple[tuple[type[psycopg.Error], str], ...] = (
    (psycopg.errors.DivisionByZero, "division by zero"),
    (psycopg.errors.NumericValueOutOfRange, "a number out of range"),
    (psycopg.errors.InvalidEscapeSequence, "a LIKE pattern ending in its escape character"),
    (psycopg.errors.UndefinedFunction, "a value of the wrong type for its property"),
    (psycopg.errors.DatatypeMismatch, "a value of the wrong type for its property"),
    (psycopg.errors.DataError, "a value of the wrong type for its property"),
)


@contextlib.contextmanager
def filter_errors(active: bool) -> Iterator[None]:
    """Turn the database's objections to a user's filter into InvalidInput (when ``active``)."""
    try:
        yield
    except tuple(cls for cls, _ in _FILTER_ERRORS) as exc:
        if not active:
            raise
        reason = next(why for cls, why in _FILTER_ERRORS if isinstance(exc, cls))
        raise InvalidInput(f"the filter cannot be applied: {reason}") from exc
