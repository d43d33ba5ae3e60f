"""The national parcel identification code (mã định danh thửa đất, field "Mã thửa đất").

Circular 19/2026/TT-BNNMT, Art. 11(3), amending Circular 09/2024/TT-BTNMT Annex I: the code is
the 12-character GeoHash (WGS 84) of the parcel's characteristic point, the pole of
inaccessibility ("polylabel") of its outline computed in VN-2000 in the sheet's TM-3 zone, taken
to WGS 84 with the legal datum shift EPSG:6960 (see docs/land-outputs.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import psycopg
import pygeohash
import shapely
from psycopg import sql
from pyproj import CRS, Transformer
from shapely.ops import polylabel

from gis.crs import VN2000_CRS, WGS84, bound_crs
from gis.db import Read, borrowed, run
from gis.errors import InvalidInput, NotFound
from gis.parcels.model import R_CODE_TAKEN, Parcel
from gis.parcels.queries import _parcel, _select

#: Characters of the code (GeoHash precision 12: a cell of about 3.7 cm × 1.9 cm).
CODE_LENGTH = 12
#: Polylabel tolerance: 1 % of the parcel's size (the square root of its area), at least 1 mm.
#: The returned point is then at least 99 % as deep inside the parcel as the deepest point:
#: 20 cm for a 20 m house plot, 25 m for a 2.5 km forest. GEOS's search (MaximumInscribedCircle)
#: costs a few µs for most parcels but up to 100 ms for long thin ones at a fine tolerance;
#: over 2,000 synthetic parcels of Đà Nẵng (mean/p99/max per parcel): fixed 1 mm 7/60/117 ms,
#: 0.1 % 0.7/15/43 ms, 1 % 0.09/1.5/8 ms. The tolerance depends on the geometry alone, so the
#: same geometry always gives the same point and code (the circular names the algorithm, not a
#: tolerance; Mapbox's polylabel itself defaults to one coordinate unit).
POLYLABEL_MIN_TOLERANCE_M = 0.001
POLYLABEL_RELATIVE_TOLERANCE = 0.01


def polylabel_tolerance(geom: shapely.Geometry) -> float:
    """The polylabel tolerance for one outline (metres of its projected CRS)."""
    return max(POLYLABEL_MIN_TOLERANCE_M, POLYLABEL_RELATIVE_TOLERANCE * geom.area ** 0.5)


#: Alphabet of GeoHash (base 32 without a, i, l, o): what a code may contain.
GEOHASH_ALPHABET = "0123456789bcdefghjkmnpqrstuvwxyz"


@lru_cache(maxsize=64)
def _to_wgs84(srid: int) -> Transformer:
    """Sheet CRS → WGS 84; VN-2000 CRSs bound to EPSG:6960 (the legal transformation)."""
    source = bound_crs(srid) if srid in VN2000_CRS else CRS.from_epsg(srid)
    return Transformer.from_crs(source, CRS.from_epsg(WGS84), always_xy=True)


def characteristic_point(geom: shapely.Geometry) -> shapely.Point:
    """The pole of inaccessibility of a parcel in its own (projected) CRS.

    A multi-part parcel: the pole of its largest part (the circular speaks of one outline; a
    point deep inside the main part is what "characteristic point" asks for).
    """
    if isinstance(geom, shapely.MultiPolygon):
        parts = list(geom.geoms)
        geom = max(parts, key=lambda g: g.area)
    if not isinstance(geom, shapely.Polygon) or geom.is_empty:
        raise ValueError(f"a parcel code needs a polygon, not {geom.geom_type}")
    return polylabel(geom, tolerance=polylabel_tolerance(geom))


def geohash(lat: float, lon: float) -> str:
    """GeoHash of a WGS 84 point to :data:`CODE_LENGTH` characters."""
    return str(pygeohash.encode(lat, lon, precision=CODE_LENGTH))


def parcel_code(geom: shapely.Geometry, srid: int) -> str:
    """The parcel code of a geometry given in the sheet CRS ``srid`` (a VN-2000 TM-3 zone)."""
    point = characteristic_point(geom)
    lon, lat = _to_wgs84(srid).transform(point.x, point.y)
    return geohash(float(lat), float(lon))


def parcel_codes(geoms: Iterable[shapely.Geometry], srid: int) -> list[str]:
    """Codes of many geometries of one CRS (one transformation call for all their points)."""
    points = [characteristic_point(g) for g in geoms]
    if not points:
        return []
    xs = np.array([p.x for p in points])
    ys = np.array([p.y for p in points])
    lons, lats = _to_wgs84(srid).transform(xs, ys)
    return [geohash(float(la), float(lo)) for la, lo in zip(lats, lons, strict=True)]


def normalise_code(text: str) -> str:
    """A code as typed by a person (any case, spaces) in the stored form; ValueError if not one."""
    code = text.strip().lower()
    if len(code) != CODE_LENGTH or any(c not in GEOHASH_ALPHABET for c in code):
        raise ValueError(
            f"{text!r} is not a parcel code: {CODE_LENGTH} GeoHash characters"
            f" ({GEOHASH_ALPHABET})"
        )
    return code


#: Rows read per round by :func:`backfill` (bounded memory on a national database).
BACKFILL_CHUNK = 5000


def backfill(conn: psycopg.Connection, *, only_missing: bool = True) -> int:
    """Compute ``parcel_code`` of stored parcel versions (all versions: history keeps its code).

    Run by migration 0012 and ``iocgis parcels codes``. Versions are append-only (trigger
    ``parcels_guard``); filling a column that did not exist is not a rewrite of their content,
    so the guard is switched off for this statement only, inside the caller's transaction.
    """
    done, last = 0, 0
    missing = sql.SQL("AND parcel_code IS NULL") if only_missing else sql.SQL("")
    conn.execute("ALTER TABLE land.parcels DISABLE TRIGGER parcels_guard")
    while True:
        rows = conn.execute(
            sql.SQL(
                "SELECT id, srid, ST_AsBinary(geom_native) FROM land.parcels"
                " WHERE id > %s {} ORDER BY id LIMIT %s"
            ).format(missing),
            (last, BACKFILL_CHUNK),
        ).fetchall()
        if not rows:
            break
        last = int(rows[-1][0])
        ids: list[int] = []
        codes: list[str] = []
        for srid in sorted({int(r[1]) for r in rows}):
            part = [r for r in rows if int(r[1]) == srid]
            ids += [int(r[0]) for r in part]
            codes += parcel_codes(shapely.from_wkb([bytes(r[2]) for r in part]), srid)
        conn.execute(
            "UPDATE land.parcels p SET parcel_code = v.code"
            " FROM unnest(%s::bigint[], %s::text[]) AS v(id, code) WHERE p.id = v.id",
            (ids, codes),
        )
        done += len(ids)
    conn.execute("ALTER TABLE land.parcels ENABLE TRIGGER parcels_guard")
    return done


def current_collisions(conn: psycopg.Connection, limit: int = 10) -> list[tuple[str, str, str]]:
    """Current parcels sharing a code: (code, parcel A, parcel B) as ``commune/sheet/number``."""
    rows = conn.execute(
        "SELECT a.parcel_code,"
        " concat_ws('/', a.commune_code, a.sheet_number, a.parcel_number),"
        " concat_ws('/', b.commune_code, b.sheet_number, b.parcel_number)"
        " FROM land.parcels a JOIN land.parcels b"
        " ON b.parcel_code = a.parcel_code AND b.id > a.id"
        " WHERE a.valid_to IS NULL AND b.valid_to IS NULL ORDER BY 1 LIMIT %s",
        (limit,),
    ).fetchall()
    return [(str(c), str(a), str(b)) for c, a, b in rows]


def code_clashes(
    conn: psycopg.Connection, codes: Sequence[str], labels: Sequence[str], closing: Sequence[int]
) -> dict[int, str]:
    """Rows whose code is already taken: row index → reject reason naming both parcels.

    Taken means: by an earlier row of the same batch, or by a current parcel other than the
    versions ``closing`` (the ones these rows replace). Earlier batches of an import are
    already current parcels, so a whole file is covered batch by batch.
    """
    out: dict[int, str] = {}
    first: dict[str, str] = {}
    for i, (code, label) in enumerate(zip(codes, labels, strict=True)):
        if code in first:
            out[i] = f"{R_CODE_TAKEN}: {code} of parcel {label} is also parcel {first[code]}'s"
        else:
            first[code] = label
    if not first:
        return out
    taken: dict[str, str] = dict(conn.execute(
        "SELECT parcel_code, concat_ws('/', commune_code, sheet_number, parcel_number)"
        " FROM land.parcels WHERE valid_to IS NULL AND parcel_code = ANY(%s)"
        " AND NOT (id = ANY(%s::bigint[]))",
        (list(first), [int(i) for i in closing]),
    ).fetchall())
    for i, (code, label) in enumerate(zip(codes, labels, strict=True)):
        if i not in out and code in taken:
            out[i] = f"{R_CODE_TAKEN}: {code} of parcel {label} is already parcel {taken[code]}'s"
    return out


_BY_CODE = " WHERE p.parcel_code = %(code)s AND p.valid_to IS NULL"


def parcel_by_code_query(code: str, *, with_users: bool = False) -> Read[Parcel]:
    """The current parcel with this code; InvalidInput for a malformed code, else NotFound."""
    wanted = _checked(code)

    def one(rows: list[Any]) -> Parcel:
        if not rows:
            raise NotFound(f"nothing here: no current parcel has code {wanted}")
        return _parcel(rows[0])

    return Read(_select(with_users, _BY_CODE), {"code": wanted}, one)


def parcel_by_code(
    code: str, *, with_users: bool = False, conn: psycopg.Connection | None = None
) -> Parcel:
    """:func:`parcel_by_code_query` on ``conn`` or a borrowed connection (the CLI)."""
    query = parcel_by_code_query(code, with_users=with_users)
    with borrowed(conn) as c:
        return run(c, query)


def _checked(code: str) -> str:
    """:func:`normalise_code` with the domain's error."""
    try:
        return normalise_code(code)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc
