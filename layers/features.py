"""OGC API Features queries: keyset paging, bbox (any served CRS), datetime, CQL2, output CRS.

The database writes each feature as GeoJSON text; Python only joins them. Paging is by the
feature id (``fid > last`` / ``fid < first``), never by offset, and ``numberMatched`` is exact up to
10,000 matches (a count bounded by LIMIT) and the planner's estimate above: never an unbounded
``count(*)``.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg import sql

from gis.access.roles import PUBLIC, Role
from gis.errors import InvalidInput, NotFound
from layers.catalog import Layer
from layers.cql import filter_errors, to_sql
from layers.crs_uri import OutputCRS, crs_range, parse_crs_uri
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


#: RFC 3339 date-time (``T``/``t``/space separator, optional fraction, optional offset) or date.
_RFC3339 = re.compile(
    r"^(\d{4}-\d{2}-\d{2})(?:[Tt ](\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)([Zz]|[+-]\d{2}:\d{2})?)?$"
)
Interval = tuple[datetime | None, datetime | None]


def _instant(part: str, end_of_day: bool) -> datetime | None:
    """One end of a ``datetime``: ``..``/empty is open; a date alone is its whole day; the
    start ``0000-01-01…`` (QGIS's "no lower bound") is open too."""
    if part in ("", ".."):
        return None
    match = _RFC3339.match(part)
    if match is None:
        raise InvalidInput(f"bad datetime {part[:64]!r}: use RFC 3339, e.g. 2025-07-01T00:00:00Z")
    day, clock, offset = match.groups()
    if day.startswith("0000-"):  # year 0 exists in no calendar we store: a client's "-infinity"
        if end_of_day:
            raise InvalidInput("bad datetime: year 0000 may only open an interval's start")
        return None
    try:
        if clock is None:  # a date alone: from its first to its last instant (UTC)
            value = datetime.fromisoformat(day).replace(tzinfo=UTC)
            return (
                value.replace(hour=23, minute=59, second=59, microsecond=999_999)
                if end_of_day
                else value
            )
        value = datetime.fromisoformat(f"{day}T{clock[:15]}{(offset or '').upper()}")
    except ValueError as exc:
        raise InvalidInput(f"bad datetime {part[:64]!r}: no such date or time") from exc
    # No offset: UTC is assumed (documented in the OpenAPI description of ``datetime``).
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def parse_datetime(text: str | None) -> Interval | None:
    """An RFC 3339 instant or interval (``a/b``, ``../b``, ``a/..``) → (start, end).

    Without an offset a time is taken as UTC; a date alone stands for its whole day (UTC);
    an interval's start must not be after its end.
    """
    if not text:
        return None
    if "/" in text:
        first, last = text.split("/", 1)
        start, end = _instant(first, False), _instant(last, True)
        if start is not None and end is not None and start > end:
            raise InvalidInput("bad datetime interval: its start is after its end")
        return start, end
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return _instant(text, False), _instant(text, True)
    instant = _instant(text, False)
    if instant is None:  # "0000-…" alone: an open start of nothing
        raise InvalidInput("bad datetime: year 0000 may only open an interval's start")
    return instant, instant


def parse_bbox(text: str | None, crs: OutputCRS | None = None) -> tuple[float, ...] | None:
    """``minx,miny,maxx,maxy`` (or 6 numbers with heights) → 4 floats, checked.

    Every number must be finite, each minimum below its maximum, and the box inside the range
    of its CRS (``crs``, default CRS84; in its own axis order): the whole globe for geographic
    CRSs, the square world of Web Mercator, Việt Nam's region for the projected VN-2000 CRSs.
    That range is also the largest span accepted: pages of features are bounded by ``limit``,
    so a wide box costs no more than none, and GIS clients send their whole view.
    """
    if not text:
        return None
    try:
        nums = tuple(float(v) for v in text.split(","))
    except ValueError as exc:
        raise InvalidInput("bad bbox: four (or six) comma-separated numbers") from exc
    if len(nums) not in (4, 6):
        raise InvalidInput("bad bbox: four (or six) comma-separated numbers")
    if not all(math.isfinite(v) for v in nums):
        raise InvalidInput("bad bbox: every number must be finite")
    if len(nums) == 6:
        if nums[2] > nums[5]:
            raise InvalidInput("bad bbox: its minimum height is above its maximum")
        nums = (nums[0], nums[1], nums[3], nums[4])
    if not (nums[0] < nums[2] and nums[1] < nums[3]):
        raise InvalidInput("bad bbox: each minimum must be below its maximum")
    crs = crs or parse_crs_uri(None)
    x0, y0, x1, y1 = crs_range(crs.srid)
    low, high = ((y0, x0), (y1, x1)) if crs.lat_first else ((x0, y0), (x1, y1))
    if not (low[0] <= nums[0] and low[1] <= nums[1] and nums[2] <= high[0] and nums[3] <= high[1]):
        raise InvalidInput(
            f"bad bbox: outside the range of its CRS ({low[0]:g}, {low[1]:g}, {high[0]:g},"
            f" {high[1]:g})"
        )
    return nums


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
    backward = q.before is not None and q.after is None
    page_conds = list(conds)
    if q.after is not None:
        params["after"] = q.after
        page_conds.append(sql.SQL("s.fid > %(after)s"))
    elif backward:
        params["before"] = q.before
        page_conds.append(sql.SQL("s.fid < %(before)s"))
    params["lim"] = q.limit + 1
    query = sql.SQL(
        "SELECT s.fid, {}, {} FROM layers.{} s{} ORDER BY s.fid {} LIMIT %(lim)s"
    ).format(
        feature_sql(layer, q.crs, q.role),
        personal_sql(layer, q.role),
        sql.Identifier(layer.view or ""),
        _where(page_conds),
        sql.SQL("DESC" if backward else "ASC"),
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
        has_prev=(q.after is not None) if not backward else more,
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
