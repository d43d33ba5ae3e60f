"""OGC API Features queries: keyset paging, bbox (any served CRS), datetime, CQL2, output CRS.

The database writes each feature as GeoJSON text; Python only joins them. Paging is by the
feature id (``fid > last`` / ``fid < first``), never by offset, and ``numberMatched`` is exact up to
10,000 matches (a count bounded by LIMIT) and the planner's estimate above: never an unbounded
``count(*)``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql

from gis.access.roles import PUBLIC, Role
from gis.errors import InvalidInput, NotFound
from layers.catalog import Layer
from layers.cql import filter_errors, to_sql
from layers.crs_uri import OutputCRS, parse_crs_uri
from layers.geojson import feature_sql, personal_sql

MAX_LIMIT = 10_000
DEFAULT_LIMIT = 10
#: Up to this many matches numberMatched is exact (a bounded count); above, the estimate.
EXACT_UP_TO = 10_000


@dataclass(frozen=True)
class ItemsQuery:
    """What an items request asks for (already parsed)."""

    limit: int = DEFAULT_LIMIT
    bbox: tuple[float, ...] | None = None
    bbox_crs: OutputCRS = field(default_factory=lambda: parse_crs_uri(None))
    crs: OutputCRS = field(default_factory=lambda: parse_crs_uri(None))
    interval: tuple[datetime | None, datetime | None] | None = None
    after: int | None = None
    before: int | None = None
    filter: str | None = None
    filter_lang: str | None = None
    filter_crs: OutputCRS = field(default_factory=lambda: parse_crs_uri(None))
    equals: tuple[tuple[str, str], ...] = ()
    #: The caller's role: which properties are selected, filtered on and returned.
    role: Role = PUBLIC
    #: ``sortby``: (property, descending) pairs; such pages go by ``offset`` (keyset is by fid).
    sortby: tuple[tuple[str, bool], ...] = ()
    offset: int = 0


@dataclass(frozen=True)
class FeaturePage:
    """One page of features (GeoJSON texts) and what the links need."""

    features: list[str]
    first: int | None
    last: int | None
    has_next: bool
    has_prev: bool
    matched_estimate: int | None
    #: Ids of the returned features carrying personal data (the audit log records them).
    personal_ids: tuple[int, ...] = ()


def _conditions(layer: Layer, q: ItemsQuery, params: dict[str, Any]) -> list[sql.Composable]:
    conds: list[sql.Composable] = []
    if q.bbox:
        x1, y1, x2, y2 = q.bbox
        if q.bbox_crs.lat_first:
            x1, y1, x2, y2 = y1, x1, y2, x2
        params.update(bx1=x1, by1=y1, bx2=x2, by2=y2)
        env = sql.SQL(
            "ST_Transform(ST_MakeEnvelope(%(bx1)s, %(by1)s, %(bx2)s, %(by2)s, {}), 4326)"
        ).format(sql.Literal(q.bbox_crs.srid))
        conds.append(sql.SQL("s.geom && {env} AND ST_Intersects(s.geom, {env})").format(env=env))
    if q.interval:
        if not layer.time_property:
            raise InvalidInput(f"{layer.id} has no time property: datetime cannot apply")
        col = sql.Identifier(layer.time_property)
        start, end = q.interval
        if start is not None:
            params["t0"] = start
            conds.append(sql.SQL("s.{} >= %(t0)s").format(col))
        if end is not None:
            params["t1"] = end
            conds.append(sql.SQL("s.{} <= %(t1)s").format(col))
    for i, (name, value) in enumerate(q.equals):
        if layer.prop(name, q.role) is None:  # hidden properties look unknown
            raise InvalidInput(f"unknown property {name!r}")
        params[f"eq{i}"] = value
        conds.append(sql.SQL("s.{}::text = %({})s").format(sql.Identifier(name), sql.SQL(f"eq{i}")))
    if q.filter:
        cond, _ = to_sql(
            layer, q.filter, q.filter_lang, srid=q.filter_crs.srid, params=params, role=q.role
        )
        conds.append(cond)
    return conds


def parse_sortby(text: str | None) -> tuple[tuple[str, bool], ...]:
    """``sortby=a,-b,+c`` → ((a, False), (b, True), (c, False)); names checked by :func:`items`."""
    if not text:
        return ()
    keys = []
    for part in text.split(","):
        part = part.strip()
        descending = part.startswith("-")
        name = part.lstrip("+-").strip()
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,63}", name):
            raise InvalidInput(f"bad sortby key {part[:64]!r}: [+|-]property, comma-separated")
        keys.append((name, descending))
    if len({name for name, _ in keys}) != len(keys):
        raise InvalidInput("sortby names a property twice")
    return tuple(keys)


def _order(layer: Layer, q: ItemsQuery, backward: bool) -> sql.Composable:
    """ORDER BY of a page: the ``sortby`` keys (declared, visible properties), then the id."""
    keys: list[sql.Composable] = []
    for name, descending in q.sortby:
        if layer.prop(name, q.role) is None:  # hidden properties look unknown
            raise InvalidInput(f"unknown property in sortby: {name!r}")
        keys.append(sql.SQL("s.{} {} NULLS LAST").format(
            sql.Identifier(name), sql.SQL("DESC" if descending else "ASC")))  # fmt: skip
    keys.append(sql.SQL("s.fid DESC" if backward else "s.fid ASC"))
    return sql.SQL(", ").join(keys)


def _where(conds: list[sql.Composable]) -> sql.Composable:
    return sql.SQL(" WHERE ") + sql.SQL(" AND ").join(conds) if conds else sql.SQL("")


async def estimate_rows(
    conn: psycopg.AsyncConnection,
    layer: Layer,
    conds: list[sql.Composable],
    params: dict[str, Any],
) -> int | None:
    """How many features match: exact up to :data:`EXACT_UP_TO` (a count bounded by a LIMIT,
    so its cost is capped), above that the planner's estimate; never an unbounded count."""
    source = sql.SQL("SELECT 1 FROM layers.{} s").format(sql.Identifier(layer.view or "")) + _where(
        conds
    )
    bounded = sql.SQL("SELECT count(*) FROM ({} LIMIT {}) AS m").format(
        source, sql.Literal(EXACT_UP_TO + 1)
    )
    cur = await conn.execute(bounded, params)
    row = await cur.fetchone()
    if row and int(row[0]) <= EXACT_UP_TO:
        return int(row[0])
    cur = await conn.execute(sql.SQL("EXPLAIN (FORMAT JSON) ") + source, params)
    row = await cur.fetchone()
    if not row:
        return None
    plan = row[0] if not isinstance(row[0], str) else json.loads(row[0])
    return max(int(plan[0]["Plan"]["Plan Rows"]), EXACT_UP_TO + 1)


async def items(conn: psycopg.AsyncConnection, layer: Layer, q: ItemsQuery) -> FeaturePage:
    """A page of ``layer``'s features for ``q``."""
    if not 1 <= q.limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}")
    params: dict[str, Any] = {}
    conds = _conditions(layer, q, params)
    # Counted on the first page only: later pages (after/before) do not repeat the work.
    first_page = q.after is None and q.before is None
    with filter_errors(bool(q.filter)):
        estimate = await estimate_rows(conn, layer, conds, params) if first_page else None
    if q.sortby and (q.after is not None or q.before is not None):
        raise InvalidInput("sorted pages go by offset, not after/before")
    backward = q.before is not None and q.after is None
    page_conds = list(conds)
    if q.after is not None:
        params["after"] = q.after
        page_conds.append(sql.SQL("s.fid > %(after)s"))
    elif backward:
        params["before"] = q.before
        page_conds.append(sql.SQL("s.fid < %(before)s"))
    params["lim"] = q.limit + 1
    params["off"] = q.offset
    query = sql.SQL(
        "SELECT s.fid, {}, {} FROM layers.{} s{} ORDER BY {} OFFSET %(off)s LIMIT %(lim)s"
    ).format(
        feature_sql(layer, q.crs, q.role),
        personal_sql(layer, q.role),
        sql.Identifier(layer.view or ""),
        _where(page_conds),
        _order(layer, q, backward),
    )
    with filter_errors(bool(q.filter)):
        cur = await conn.execute(query, params)
    rows = await cur.fetchall()
    more = len(rows) > q.limit
    rows = rows[: q.limit]
    if backward:
        rows.reverse()
    return FeaturePage(
        features=[r[1] for r in rows],
        first=rows[0][0] if rows else None,
        last=rows[-1][0] if rows else None,
        has_next=more if not backward else True,
        has_prev=(q.after is not None or q.offset > 0) if not backward else more,
        matched_estimate=estimate,
        personal_ids=tuple(r[0] for r in rows if r[2]),
    )


async def item(
    conn: psycopg.AsyncConnection, layer: Layer, fid: str, crs: OutputCRS | None = None,
    role: Role = PUBLIC,
) -> tuple[str, bool]:  # fmt: skip
    """One feature as GeoJSON text and whether it carries personal data; NotFound if none."""
    try:
        key = int(fid)
    except ValueError as exc:
        raise NotFound(f"no feature {fid!r} in {layer.id}") from exc
    query = sql.SQL("SELECT {}, {} FROM layers.{} s WHERE s.fid = %s").format(
        feature_sql(layer, crs or parse_crs_uri(None), role),
        personal_sql(layer, role),
        sql.Identifier(layer.view or ""),
    )
    cur = await conn.execute(query, [key])
    row = await cur.fetchone()
    if row is None:
        raise NotFound(f"no feature {fid!r} in {layer.id}")
    return str(row[0]), bool(row[1])
