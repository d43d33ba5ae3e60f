"""Administrative units after Resolution 202/2025: lookups by point and code, old → new codes.

Tables: ``admin.provinces``, ``admin.communes``, ``admin.former_provinces`` and
``admin.former_communes`` (migration 0002_admin), filled by :func:`load_admin_units`.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from psycopg.rows import dict_row

from gis.crs import VN2000_CRS, WGS84
from gis.db import borrowed
from gis.errors import InvalidInput, NotFound, UnknownCRS

if TYPE_CHECKING:
    from gis.admin_load import LoadSummary

#: Commune boundaries are simplified per feature (~110 m), which leaves slivers between
#: neighbours. A point inside a province but in such a gap takes the nearest commune of that
#: province within this distance (degrees, about 220 m), flagged ``approximate``.
GAP_TOLERANCE_DEG = 0.002

_PROVINCE_CODE = re.compile(r"^[0-9]{2}$")
_COMMUNE_CODE = re.compile(r"^[0-9]{5}$")


@dataclass(frozen=True)
class Province:
    """A province-level unit (tỉnh or thành phố)."""

    code: str
    name: str
    full_name: str
    name_en: str | None
    kind: str
    area_km2: float | None
    commune_count: int


@dataclass(frozen=True)
class Commune:
    """A commune-level unit (xã, phường or đặc khu) and its default TM-3 zone."""

    code: str
    name: str
    full_name: str
    name_en: str | None
    kind: str
    province_code: str
    province_name: str
    area_km2: float | None
    tm3_srid: int | None


@dataclass(frozen=True)
class AdminPlace:
    """The province and commune at a point."""

    province_code: str
    province_name: str
    commune_code: str
    commune_name: str
    commune_full_name: str
    commune_kind: str
    #: True when the point fell in a gap between simplified boundaries (see GAP_TOLERANCE_DEG).
    approximate: bool = False

    def as_dict(self) -> dict[str, Any]:
        """Plain dict, for JSON output."""
        return asdict(self)


@dataclass(frozen=True)
class Successor:
    """A current unit that holds (all or part of) a pre-2025 unit."""

    old_code: str
    old_name: str
    level: Literal["province", "commune"]
    province_code: str
    province_name: str
    commune_code: str | None = None
    commune_name: str | None = None
    old_district: str | None = None
    #: The old commune was divided between several current communes.
    divided: bool = False
    #: False when the mapping names a successor code absent from the 2025 boundaries.
    current: bool = True

    def as_dict(self) -> dict[str, Any]:
        """Plain dict, for JSON output."""
        return asdict(self)


def load_admin_units(url: str | None = None, data_dir: Path | None = None) -> LoadSummary:
    """Load the shipped admin data into the database (idempotent); see :mod:`gis.admin_load`."""
    from gis import admin_load  # geopandas/GDAL only when loading, not for lookups

    return admin_load.load_admin_units(url, data_dir)


def _province_code(code: str) -> str:
    """A 2-digit province code or :class:`InvalidInput`."""
    value = str(code).strip()
    if not _PROVINCE_CODE.match(value):
        raise InvalidInput(f"province code must be 2 digits, got {code!r}")
    return value


def _commune_code(code: str) -> str:
    """A 5-digit commune code or :class:`InvalidInput`."""
    value = str(code).strip()
    if not _COMMUNE_CODE.match(value):
        raise InvalidInput(f"commune code must be 5 digits, got {code!r}")
    return value


def _rows(query: str, url: str | None, **params: Any) -> list[dict[str, Any]]:
    """Run one SELECT of this module with bound parameters; rows as dicts."""
    with borrowed(url=url) as conn, conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(query, params).fetchall()


_AT_SQL = """
    WITH pt AS (SELECT ST_Transform(ST_SetSRID(ST_MakePoint(%(x)s, %(y)s), %(srid)s), 4326) AS g)
    SELECT p.code AS province_code, p.name AS province_name, c.code AS commune_code,
           c.name AS commune_name, c.full_name AS commune_full_name, c.kind AS commune_kind
    FROM pt JOIN admin.communes c ON ST_Intersects(c.geom, pt.g)
    JOIN admin.provinces p ON p.code = c.province_code
    ORDER BY ST_Intersects(p.geom, pt.g) DESC, c.code
    LIMIT 1
"""
_GAP_SQL = """
    WITH pt AS (SELECT ST_Transform(ST_SetSRID(ST_MakePoint(%(x)s, %(y)s), %(srid)s), 4326) AS g)
    SELECT p.code AS province_code, p.name AS province_name, c.code AS commune_code,
           c.name AS commune_name, c.full_name AS commune_full_name, c.kind AS commune_kind
    FROM pt JOIN admin.provinces p ON ST_Intersects(p.geom, pt.g)
    JOIN admin.communes c ON c.province_code = p.code AND ST_DWithin(c.geom, pt.g, %(tol)s)
    ORDER BY ST_Distance(c.geom, pt.g), c.code
    LIMIT 1
"""


def admin_at(x: float, y: float, srid: int = WGS84, url: str | None = None) -> AdminPlace:
    """Province and commune at a point: lon/lat (WGS 84) or x/y in a VN-2000 CRS (``srid``)."""
    if srid != WGS84 and srid not in VN2000_CRS:
        raise UnknownCRS(f"EPSG:{srid} is not WGS 84 or a VN-2000 CRS")
    if srid == WGS84 and not (-180 <= x <= 180 and -90 <= y <= 90):
        raise InvalidInput(f"not a WGS 84 lon/lat: {x}, {y}")
    params = {"x": float(x), "y": float(y), "srid": int(srid)}
    rows = _rows(_AT_SQL, url, **params)
    if rows:
        return AdminPlace(**rows[0])
    rows = _rows(_GAP_SQL, url, tol=GAP_TOLERANCE_DEG, **params)
    if rows:
        return AdminPlace(**rows[0], approximate=True)
    where = f"lon {x}, lat {y}" if srid == WGS84 else f"x {x}, y {y} (EPSG:{srid})"
    raise NotFound(f"nothing here: no Vietnamese commune at {where}")


_SUCCESSOR_PROVINCE_SQL = """
    SELECT f.code AS old_code, f.name AS old_name, p.code AS province_code,
           p.name AS province_name
    FROM admin.former_provinces f JOIN admin.provinces p ON p.code = f.province_code
    WHERE f.code = %(code)s
"""
_SUCCESSOR_COMMUNE_SQL = """
    SELECT f.code AS old_code, f.name AS old_name, f.district_name AS old_district,
           p.code AS province_code, p.name AS province_name, f.commune_code,
           c.name AS commune_name, f.divided, c.code IS NOT NULL AS current
    FROM admin.former_communes f
    JOIN admin.former_provinces fp ON fp.code = f.former_province_code
    LEFT JOIN admin.communes c ON c.code = f.commune_code
    JOIN admin.provinces p ON p.code = coalesce(c.province_code, fp.province_code)
    WHERE f.code = %(code)s
    ORDER BY f.commune_code
"""


def successors(old_code: str, url: str | None = None) -> list[Successor]:
    """Current units holding a pre-2025 unit: 2-digit code = province, 5-digit = commune."""
    code = str(old_code).strip()
    if _PROVINCE_CODE.match(code):
        rows = _rows(_SUCCESSOR_PROVINCE_SQL, url, code=code)
        if not rows:
            raise NotFound(f"no former province with code {code}")
        return [Successor(level="province", **r) for r in rows]
    if _COMMUNE_CODE.match(code):
        rows = _rows(_SUCCESSOR_COMMUNE_SQL, url, code=code)
        if not rows:
            raise NotFound(f"no former commune with code {code}")
        return [Successor(level="commune", **r) for r in rows]
    raise InvalidInput(f"old code must be 2 digits (province) or 5 (commune), got {old_code!r}")


_PROVINCE_SQL = """
    SELECT p.code, p.name, p.full_name, p.name_en, p.kind, p.area_km2,
           (SELECT count(*) FROM admin.communes c WHERE c.province_code = p.code)::int
               AS commune_count
    FROM admin.provinces p
"""
_COMMUNE_SQL = """
    SELECT c.code, c.name, c.full_name, c.name_en, c.kind, c.province_code,
           p.name AS province_name, c.area_km2, c.tm3_srid
    FROM admin.communes c JOIN admin.provinces p ON p.code = c.province_code
"""


def get_province(code: str, url: str | None = None) -> Province:
    """The province with this 2-digit code."""
    value = _province_code(code)
    rows = _rows(_PROVINCE_SQL + " WHERE p.code = %(code)s", url, code=value)
    if not rows:
        raise NotFound(f"no province with code {value}")
    return Province(**rows[0])


def list_provinces(url: str | None = None) -> list[Province]:
    """All current provinces, by code."""
    return [Province(**r) for r in _rows(_PROVINCE_SQL + " ORDER BY p.code", url)]


def get_commune(code: str, url: str | None = None) -> Commune:
    """The commune with this 5-digit code."""
    value = _commune_code(code)
    rows = _rows(_COMMUNE_SQL + " WHERE c.code = %(code)s", url, code=value)
    if not rows:
        raise NotFound(f"no commune with code {value}")
    return Commune(**rows[0])


def list_communes(province_code: str, url: str | None = None) -> list[Commune]:
    """The communes of a province, by code; :class:`NotFound` for an unknown province."""
    value = _province_code(province_code)
    where = " WHERE c.province_code = %(code)s ORDER BY c.code"
    rows = _rows(_COMMUNE_SQL + where, url, code=value)
    if not rows:
        get_province(value, url)  # raises NotFound for an unknown province
    return [Commune(**r) for r in rows]


def commune_tm3_srid(code: str, url: str | None = None) -> int:
    """EPSG code of the VN-2000 TM-3 zone new map sheets of this commune default to."""
    commune = get_commune(code, url)
    if commune.tm3_srid is None:
        raise NotFound(f"commune {commune.code} has no TM-3 zone recorded")
    return commune.tm3_srid
