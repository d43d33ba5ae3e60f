"""Questions about parcels: at a point, by key (with history), lists, land-use summaries.

Land users and the certificate number are personal data: they are read only when a caller asks
(``with_users=True``).
The questions the web app asks too are declared once as :class:`gis.db.Read` objects
(:func:`parcel_at_query`, :func:`parcel_query`): the web app runs them with ``gis.db.arun`` on its
request connection, which runs as the caller's database role (only ``iocgis_land`` may read land
users, so ``with_users=True`` fails for any other role); the sync functions below run them on a
connection of the caller's or one :func:`gis.db.borrowed` lends (the CLI, as the database owner).
:func:`current_parcel` is the one query of a parcel's current version by its key, for modules
that need other columns of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from gis.crs import parse_crs
from gis.db import Read, borrowed, run
from gis.errors import InvalidInput, NotFound
from gis.landuse import code_lookup, normalise_code
from gis.parcels.model import LandUser, Parcel, Purpose
from gis.tables import ident
from gis.tables.land import parcels

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
#: One parcel by its key (commune, sheet, number bound as ``c``, ``s``, ``n``), every version.
_KEY = " WHERE p.commune_code = %(c)s AND p.sheet_number = %(s)s AND p.parcel_number = %(n)s"
#: ... and only its current version.
_CURRENT = _KEY + " AND p.valid_to IS NULL"


def _key(commune: str, sheet: int, number: int) -> dict[str, Any]:
    """The bound parameters of :data:`_KEY`."""
    return {"c": commune, "s": int(sheet), "n": int(number)}


def _no_parcel(commune: str, sheet: int, number: int) -> NotFound:
    return NotFound(f"nothing here: no parcel {commune} sheet {sheet} number {number}")


def current_parcel(
    columns: sql.Composable, commune: str, sheet: int, number: int, *, lock: bool = False
) -> Read[tuple[Any, ...]]:
    """``columns`` (of ``p``, ``land.parcels``) of a parcel's current version by its key, as
    one row; NotFound when there is none. ``lock`` takes the row for update (an edit)."""
    statement = sql.SQL("SELECT {} FROM {} p{}{}").format(
        columns, ident(parcels), sql.SQL(_CURRENT), sql.SQL(" FOR UPDATE" if lock else "")
    )

    def first(rows: list[Any]) -> tuple[Any, ...]:
        if not rows:
            raise _no_parcel(commune, sheet, number)
        return tuple(rows[0])

    return Read(statement, _key(commune, sheet, number), first)


def parcel_at_query(lon: float, lat: float, *, with_users: bool = False) -> Read[Parcel]:
    """The current parcel at a WGS 84 point; NotFound when no parcel is there."""

    def one(rows: list[Any]) -> Parcel:
        if not rows:
            raise NotFound(f"nothing here: no parcel at lon {lon}, lat {lat}")
        return _parcel(rows[0])

    return Read(_select(with_users, _AT), {"x": float(lon), "y": float(lat)}, one)


def parcel_query(
    commune: str, sheet: int, number: int, history: bool = False, *, with_users: bool = False
) -> Read[list[Parcel]]:
    """The current version as a one-item list, or with ``history`` every version, newest first."""

    def versions(rows: list[Any]) -> list[Parcel]:
        if not rows:
            raise _no_parcel(commune, sheet, number)
        return [_parcel(r) for r in rows]

    where = (_KEY if history else _CURRENT) + " ORDER BY p.valid_from DESC, p.id DESC"
    return Read(_select(with_users, where), _key(commune, sheet, number), versions)


def parcel_at(
    lon: float, lat: float, *, with_users: bool = False, conn: psycopg.Connection | None = None
) -> Parcel:
    """The current parcel at a WGS 84 point; NotFound when no parcel is there."""
    with borrowed(conn) as c:
        return run(c, parcel_at_query(lon, lat, with_users=with_users))


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


def current_srid(
    commune: str, sheet: int, number: int, *, conn: psycopg.Connection | None = None
) -> int | None:
    """The SRID a parcel's current version is stored in; None when the parcel has none."""
    with borrowed(conn) as c:
        try:
            row = run(c, current_parcel(sql.SQL("p.srid"), commune, sheet, number))
        except NotFound:
            return None
    return int(row[0])


def get_parcel(
    commune: str, sheet: int, number: int, history: bool = False, *, with_users: bool = False,
    conn: psycopg.Connection | None = None,
) -> list[Parcel]:  # fmt: skip
    """The current version as a one-item list, or with ``history`` every version, newest first."""
    with borrowed(conn) as c:
        return run(c, parcel_query(commune, sheet, number, history, with_users=with_users))


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
