"""Questions about parcels: at a point, by key (with history), lists, land-use summaries.

Land users and the certificate number are personal data: they are read only when a caller asks
(``with_users=True``).
Each function takes an optional open psycopg connection; without one it borrows a pooled one
(the CLI, as the database owner). The web app uses the async twins (``aparcel_at``,
``aget_parcel``) on its request connection, which runs as the caller's database role: only
``iocgis_land`` may read land users, so ``with_users=True`` fails for any other role.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import psycopg
from psycopg import sql
from psycopg_pool import ConnectionPool, PoolTimeout

from gis.crs import parse_crs
from gis.errors import DatabaseUnavailable, InvalidInput, NotFound
from gis.landuse import code_lookup, normalise_code
from gis.parcels.model import LandUser, Parcel, Purpose
from gis.settings import get_settings, to_libpq_url

_USERS = sql.SQL(
    "(SELECT json_agg(json_build_array(u.full_name, u.id_number, u.address) ORDER BY u.id)"
    " FROM land.parcel_land_users l JOIN land.land_users u ON u.id = l.land_user_id"
    " WHERE l.parcel_id = p.id)"
)
_SELECT = sql.SQL(
    """
    SELECT p.id, p.commune_code, c.name, c.province_code, pr.name, p.sheet_number,
           p.parcel_number, p.legal_area_m2, p.srid,
           (SELECT json_agg(json_build_array(pp.land_use_code, pp.area_m2, pp.term, pp.origin,
                                             k.name_vi, k.name_en, k.land_group)
                            ORDER BY pp.area_m2 DESC, pp.land_use_code)
              FROM land.parcel_purposes pp JOIN land.land_use_codes k ON k.code = pp.land_use_code
             WHERE pp.parcel_id = p.id),
           p.address, {certificate}, p.old_sheet_number, p.old_parcel_number,
           p.valid_from, p.valid_to, {users}, p.parcel_code
      FROM land.parcels p
      JOIN admin.communes c ON c.code = p.commune_code
      JOIN admin.provinces pr ON pr.code = c.province_code
    """
)


@lru_cache(maxsize=4)
def _pool(url: str) -> ConnectionPool:
    """A small pool of autocommit connections for reads (statements stay prepared on them)."""
    return ConnectionPool(to_libpq_url(url), min_size=1, max_size=8, open=True,
                          kwargs={"autocommit": True, "application_name": "iocgis"})


@contextmanager
def borrowed(conn: psycopg.Connection | None = None) -> Iterator[psycopg.Connection]:
    """Use ``conn`` when given, else a connection from the configured database's pool."""
    if conn is not None:
        yield conn
        return
    try:
        pool = _pool(get_settings().database_url)
        with pool.connection(timeout=30) as pooled:
            yield pooled
    except PoolTimeout as exc:
        raise DatabaseUnavailable(f"cannot connect to the database: {exc}") from exc


def _select(with_users: bool, where: str) -> sql.Composed:
    """The parcel query with a fixed WHERE/ORDER clause from this module."""
    users = _USERS if with_users else sql.SQL("NULL")
    certificate = sql.SQL("p.certificate_number" if with_users else "NULL")
    return sql.Composed([_SELECT.format(users=users, certificate=certificate), sql.SQL(where)])


def _parcel(row: tuple[Any, ...]) -> Parcel:
    """Build a :class:`Parcel` from a row of ``_SELECT``."""
    purposes = tuple(
        Purpose(code=c, area_m2=float(a), term=t, origin=o, name_vi=vi, name_en=en, group=g)
        for c, a, t, o, vi, en, g in (row[9] or [])
    )
    users = None if row[16] is None else tuple(LandUser(n, i, a) for n, i, a in row[16])
    return Parcel(
        id=row[0], commune_code=row[1], commune_name=row[2], province_code=row[3],
        province_name=row[4], sheet_number=row[5], parcel_number=row[6],
        legal_area_m2=float(row[7]), srid=row[8], purposes=purposes, address=row[10],
        certificate_number=row[11], old_sheet_number=row[12], old_parcel_number=row[13],
        valid_from=row[14], valid_to=row[15], users=users, parcel_code=row[17],
    )  # fmt: skip


_AT = (
    " WHERE p.valid_to IS NULL"
    " AND ST_Intersects(p.geom, ST_SetSRID(ST_MakePoint(%(x)s, %(y)s), 4326))"
    " ORDER BY p.id LIMIT 1"
)


def parcel_at(
    lon: float, lat: float, *, with_users: bool = False, conn: psycopg.Connection | None = None
) -> Parcel:
    """The current parcel at a WGS 84 point; NotFound when no parcel is there."""
    with borrowed(conn) as c:
        row = c.execute(_select(with_users, _AT), {"x": float(lon), "y": float(lat)}).fetchone()
    if row is None:
        raise NotFound(f"nothing here: no parcel at lon {lon}, lat {lat}")
    return _parcel(row)


async def aparcel_at(
    conn: psycopg.AsyncConnection, lon: float, lat: float, *, with_users: bool = False
) -> Parcel:
    """:func:`parcel_at` on an async connection (the web app's, running as the caller's role)."""
    cur = await conn.execute(_select(with_users, _AT), {"x": float(lon), "y": float(lat)})
    row = await cur.fetchone()
    if row is None:
        raise NotFound(f"nothing here: no parcel at lon {lon}, lat {lat}")
    return _parcel(row)


def parcel_at_xy(
    x: float, y: float, srid: int | str, *, with_users: bool = False,
    conn: psycopg.Connection | None = None,
) -> Parcel:  # fmt: skip
    """The current parcel at a point given in a projected CRS (e.g. a VN-2000 TM-3 zone)."""
    epsg = parse_crs(srid)
    query = _select(
        with_users,
        " WHERE p.valid_to IS NULL AND ST_Intersects(p.geom,"
        " ST_Transform(ST_SetSRID(ST_MakePoint(%(x)s, %(y)s), %(srid)s), 4326))"
        " ORDER BY p.id LIMIT 1",
    )
    with borrowed(conn) as c:
        if c.execute("SELECT 1 FROM spatial_ref_sys WHERE srid = %s", (epsg,)).fetchone() is None:
            raise InvalidInput(f"EPSG:{epsg} is not known to PostGIS")
        row = c.execute(query, {"x": float(x), "y": float(y), "srid": epsg}).fetchone()
    if row is None:
        raise NotFound(f"nothing here: no parcel at x {x}, y {y} (EPSG:{epsg})")
    return _parcel(row)


def get_parcel(
    commune: str, sheet: int, number: int, history: bool = False, *, with_users: bool = False,
    conn: psycopg.Connection | None = None,
) -> list[Parcel]:  # fmt: skip
    """The current version as a one-item list, or with ``history`` every version, newest first."""
    with borrowed(conn) as c:
        rows = c.execute(
            _select(with_users, _by_key(history)), {"c": commune, "s": int(sheet), "n": int(number)}
        ).fetchall()
    if not rows:
        raise NotFound(f"nothing here: no parcel {commune} sheet {sheet} number {number}")
    return [_parcel(r) for r in rows]


async def aget_parcel(
    conn: psycopg.AsyncConnection, commune: str, sheet: int, number: int, history: bool = False,
    *, with_users: bool = False,
) -> list[Parcel]:  # fmt: skip
    """:func:`get_parcel` on an async connection (the web app's, running as the caller's role)."""
    cur = await conn.execute(
        _select(with_users, _by_key(history)), {"c": commune, "s": int(sheet), "n": int(number)}
    )
    rows = await cur.fetchall()
    if not rows:
        raise NotFound(f"nothing here: no parcel {commune} sheet {sheet} number {number}")
    return [_parcel(r) for r in rows]


def _by_key(history: bool) -> str:
    """The WHERE/ORDER clause of a parcel by commune, sheet and number (every version or not)."""
    return (
        " WHERE p.commune_code = %(c)s AND p.sheet_number = %(s)s AND p.parcel_number = %(n)s"
        + ("" if history else " AND p.valid_to IS NULL")
        + " ORDER BY p.valid_from DESC, p.id DESC"
    )


def _require_commune(c: psycopg.Connection, commune: str) -> str:
    """The commune's name; NotFound for an unknown code."""
    row = c.execute("SELECT name FROM admin.communes WHERE code = %s", (commune,)).fetchone()
    if row is None:
        raise NotFound(f"nothing here: no commune has code {commune!r}")
    return str(row[0])


def list_parcels(
    commune: str, land_use: str | None = None, min_area: float | None = None,
    max_area: float | None = None, limit: int = 100, *, after: tuple[int, int] | None = None,
    with_users: bool = False, conn: psycopg.Connection | None = None,
) -> list[Parcel]:  # fmt: skip
    """Current parcels of a commune by sheet and number, filtered by land use and legal area.

    Page with ``after=(sheet, number)`` of the last parcel of the previous page.
    """
    if not 1 <= limit <= 10_000:
        raise InvalidInput("limit must be between 1 and 10000")
    where = (
        " WHERE p.commune_code = %(c)s AND p.valid_to IS NULL"
        " AND (%(code)s::text IS NULL OR EXISTS (SELECT 1 FROM land.parcel_purposes q"
        "      WHERE q.parcel_id = p.id AND q.land_use_code = %(code)s))"
        " AND (%(lo)s::numeric IS NULL OR p.legal_area_m2 >= %(lo)s)"
        " AND (%(hi)s::numeric IS NULL OR p.legal_area_m2 <= %(hi)s)"
        " AND (%(as)s::int IS NULL OR (p.sheet_number, p.parcel_number) > (%(as)s, %(ap)s))"
        " ORDER BY p.sheet_number, p.parcel_number LIMIT %(limit)s"
    )
    with borrowed(conn) as c:
        _require_commune(c, commune)
        code = None if land_use is None else normalise_code(land_use, code_lookup(c))
        params = {"c": commune, "code": code, "lo": min_area, "hi": max_area, "limit": limit,
                  "as": after[0] if after else None, "ap": after[1] if after else None}
        rows = c.execute(_select(with_users, where), params).fetchall()
    return [_parcel(r) for r in rows]


@dataclass(frozen=True)
class LandUseArea:
    """Area and parcel count of one land-use code (or group) in a commune."""

    key: str
    name_vi: str | None
    name_en: str | None
    group: str
    parcels: int
    area_m2: float


@dataclass(frozen=True)
class LandUseSummary:
    """Land-use areas of a commune's current parcels, per code and per group."""

    commune_code: str
    commune_name: str
    parcels: int
    legal_area_m2: float
    codes: tuple[LandUseArea, ...]
    groups: tuple[LandUseArea, ...]


def land_use_summary(commune: str, *, conn: psycopg.Connection | None = None) -> LandUseSummary:
    """Area (sum of purpose areas) and parcel count per land-use code and group in a commune."""
    with borrowed(conn) as c:
        name = _require_commune(c, commune)
        total = c.execute(
            "SELECT count(*), coalesce(sum(legal_area_m2), 0) FROM land.parcels"
            " WHERE commune_code = %s AND valid_to IS NULL",
            (commune,),
        ).fetchone()
        assert total is not None
        if total[0] == 0:
            raise NotFound(f"nothing here: no parcels registered in commune {commune} ({name})")
        rows = c.execute(
            "SELECT k.code, k.name_vi, k.name_en, k.land_group, count(DISTINCT p.id),"
            "       sum(q.area_m2), grouping(k.code)"
            "  FROM land.parcels p JOIN land.parcel_purposes q ON q.parcel_id = p.id"
            "  JOIN land.land_use_codes k ON k.code = q.land_use_code"
            " WHERE p.commune_code = %s AND p.valid_to IS NULL"
            " GROUP BY GROUPING SETS ((k.land_group, k.code, k.name_vi, k.name_en, k.sort_order),"
            "                         (k.land_group))"
            " ORDER BY grouping(k.code), min(k.sort_order)",
            (commune,),
        ).fetchall()
    codes = tuple(LandUseArea(r[0], r[1], r[2], r[3], r[4], float(r[5])) for r in rows if not r[6])
    groups = tuple(LandUseArea(r[3], None, None, r[3], r[4], float(r[5])) for r in rows if r[6])
    return LandUseSummary(commune, name, int(total[0]), float(total[1]), codes, groups)
