"""OGC API Features queries: keyset paging, bbox (any served CRS), datetime, CQL2, output CRS.

The database writes each feature as GeoJSON text; Python only joins them. Paging is by the
feature id (``fid > last`` / ``fid < first``), never by offset, and ``numberMatched`` is exact up to
10,000 matches (a count bounded by LIMIT) and the planner's estimate above: never an unbounded
``count(*)``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql

from gis.errors import InvalidInput, NotFound
from layers.catalog import Layer
from layers.cql import to_sql
from layers.crs_uri import OutputCRS, parse_crs_uri

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


@dataclass(frozen=True)
class FeaturePage:
    """One page of features (GeoJSON texts) and what the links need."""

    features: list[str]
    first: int | None
    last: int | None
    has_next: bool
    has_prev: bool
    matched_estimate: int | None


def parse_datetime(text: str | None) -> tuple[datetime | None, datetime | None] | None:
    """An RFC 3339 instant or interval (``a/b``, ``../b``, ``a/..``) → (start, end)."""
    if not text:
        return None

    def one(part: str) -> datetime | None:
        if part in ("", ".."):
            return None
        try:
            return datetime.fromisoformat(part.replace("z", "Z"))
        except ValueError as exc:
            raise InvalidInput(f"bad datetime {part!r}: use RFC 3339") from exc

    if "/" in text:
        start, end = text.split("/", 1)
        return one(start), one(end)
    instant = one(text)
    return instant, instant


def parse_bbox(text: str | None) -> tuple[float, ...] | None:
    """``minx,miny,maxx,maxy`` (or 6 numbers with heights) → floats."""
    if not text:
        return None
    try:
        nums = tuple(float(v) for v in text.split(","))
    except ValueError as exc:
        raise InvalidInput(f"bad bbox {text!r}: four comma-separated numbers") from exc
    if len(nums) == 6:
        nums = (nums[0], nums[1], nums[3], nums[4])
    if len(nums) != 4:
        raise InvalidInput(f"bad bbox {text!r}: four comma-separated numbers")
    return nums


def _geometry_sql(crs: OutputCRS) -> sql.Composable:
    geom: sql.Composable = sql.SQL("s.geom")
    if crs.srid != 4326:
        geom = sql.SQL("ST_Transform(s.geom, {})").format(sql.Literal(crs.srid))
    if crs.lat_first:
        geom = sql.SQL("ST_FlipCoordinates({})").format(geom)
    digits = 7 if crs.geographic else 3
    # options 0: no "crs" member (our VN-2000 rows carry no authority on purpose).
    return sql.SQL("ST_AsGeoJSON({}, {}, 0)::json").format(geom, sql.Literal(digits))


def _feature_sql(layer: Layer, crs: OutputCRS) -> sql.Composable:
    props = sql.SQL(", ").join(
        sql.SQL("{}, s.{}").format(sql.Literal(p.name), sql.Identifier(p.name))
        for p in layer.properties
    )
    return sql.SQL(
        "json_build_object('type', 'Feature', 'id', s.fid, 'geometry', {}, "
        "'properties', json_build_object({}))::text"
    ).format(_geometry_sql(crs), props)


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
        if layer.prop(name) is None:
            raise InvalidInput(f"unknown property {name!r}")
        params[f"eq{i}"] = value
        conds.append(sql.SQL("s.{}::text = %({})s").format(sql.Identifier(name), sql.SQL(f"eq{i}")))
    if q.filter:
        cond, _ = to_sql(layer, q.filter, q.filter_lang, srid=q.filter_crs.srid, params=params)
        conds.append(cond)
    return conds


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
    estimate = await estimate_rows(conn, layer, conds, params) if first_page else None
    backward = q.before is not None and q.after is None
    page_conds = list(conds)
    if q.after is not None:
        params["after"] = q.after
        page_conds.append(sql.SQL("s.fid > %(after)s"))
    elif backward:
        params["before"] = q.before
        page_conds.append(sql.SQL("s.fid < %(before)s"))
    params["lim"] = q.limit + 1
    query = sql.SQL("SELECT s.fid, {} FROM layers.{} s{} ORDER BY s.fid {} LIMIT %(lim)s").format(
        _feature_sql(layer, q.crs),
        sql.Identifier(layer.view or ""),
        _where(page_conds),
        sql.SQL("DESC" if backward else "ASC"),
    )
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
        has_prev=(q.after is not None) if not backward else more,
        matched_estimate=estimate,
    )


async def item(
    conn: psycopg.AsyncConnection, layer: Layer, fid: str, crs: OutputCRS | None = None
) -> str:
    """One feature as GeoJSON text; NotFound when there is none with that id."""
    try:
        key = int(fid)
    except ValueError as exc:
        raise NotFound(f"no feature {fid!r} in {layer.id}") from exc
    query = sql.SQL("SELECT {} FROM layers.{} s WHERE s.fid = %s").format(
        _feature_sql(layer, crs or parse_crs_uri(None)), sql.Identifier(layer.view or "")
    )
    cur = await conn.execute(query, [key])
    row = await cur.fetchone()
    if row is None:
        raise NotFound(f"no feature {fid!r} in {layer.id}")
    return str(row[0])
