"""The checks of a split or a merge (Land Law 2024 Art. 220), each refusal with its reason.

Geometries are in the sheet's VN-2000 TM-3 zone (metres). Where the law is silent the choices
are stated here and in docs/land-outputs.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

import psycopg
import shapely

from gis.errors import Refused

#: New parcels must cover the old ones exactly: the area of the symmetric difference (gaps and
#: overhangs together), and of the overlaps between new parcels, may not exceed this (0.01 m²,
#: far below the 0.1 m² the legal area is rounded to).
COVER_TOLERANCE_M2 = 0.01
#: Two parcels are adjacent when their outlines share at least this length (a common corner
#: alone does not make a merge: the result would not be one parcel).
ADJACENT_MIN_LENGTH_M = 0.1
#: Outlines closer than this are taken as the same line when measuring what they share.
ADJACENT_SNAP_M = 0.005


@dataclass(frozen=True)
class Minimum:
    """The province's minimum for new parcels of one land type (land.split_minimums)."""

    province_code: str
    land_use_code: str
    min_area_m2: float
    min_width_m: float | None = None
    min_depth_m: float | None = None
    source: str | None = None


def polygon_of(geom: shapely.Geometry, what: str) -> shapely.Polygon:
    """``geom`` as one valid polygon (a one-part multipolygon is accepted); else refused."""
    if geom is None or geom.is_empty:
        raise Refused(f"{what} is empty")
    if isinstance(geom, shapely.MultiPolygon) and len(geom.geoms) == 1:
        geom = geom.geoms[0]
    if not isinstance(geom, shapely.Polygon):
        raise Refused(f"{what} is a {geom.geom_type}, not one polygon")
    if not geom.is_valid:
        raise Refused(f"{what} is not a valid polygon: {shapely.is_valid_reason(geom)}")
    return geom


def check_cover(parent: shapely.Geometry, pieces: Sequence[shapely.Polygon]) -> None:
    """The pieces cover the parent exactly (within COVER_TOLERANCE_M2), without overlaps."""
    if len(pieces) < 2:
        raise Refused(f"a split needs at least two new parcels, not {len(pieces)}")
    for (i, a), (j, b) in combinations(enumerate(pieces, 1), 2):
        overlap = a.intersection(b).area
        if overlap > COVER_TOLERANCE_M2:
            raise Refused(f"new parcels {i} and {j} overlap by {overlap:.2f} m²"
                          f" (tolerance {COVER_TOLERANCE_M2} m²)")
    union = shapely.union_all(list(pieces))
    gap = parent.difference(union).area
    if gap > COVER_TOLERANCE_M2:
        raise Refused(f"the new parcels leave {gap:.2f} m² of the parcel uncovered (a gap;"
                      f" tolerance {COVER_TOLERANCE_M2} m²)")
    beyond = union.difference(parent).area
    if beyond > COVER_TOLERANCE_M2:
        raise Refused(f"the new parcels reach {beyond:.2f} m² beyond the parcel"
                      f" (tolerance {COVER_TOLERANCE_M2} m²)")


def shared_length(a: shapely.Geometry, b: shapely.Geometry) -> float:
    """Length of outline two parcels share (outlines within ADJACENT_SNAP_M count as one)."""
    return float(a.boundary.intersection(b.buffer(ADJACENT_SNAP_M)).length)


def check_adjacent(parts: Sequence[tuple[str, shapely.Geometry]]) -> shapely.Polygon:
    """The parcels form one connected whole through shared outlines; return their union."""
    names = [n for n, _ in parts]
    if len(set(names)) != len(names):
        raise Refused(f"a parcel is named twice: {', '.join(names)}")
    if len(parts) < 2:
        raise Refused("a merge needs at least two parcels")
    linked = {0}
    frontier = [0]
    while frontier:
        i = frontier.pop()
        for j in range(len(parts)):
            if j not in linked and shared_length(parts[i][1], parts[j][1]) >= ADJACENT_MIN_LENGTH_M:
                linked.add(j)
                frontier.append(j)
    apart = [names[j] for j in range(len(parts)) if j not in linked]
    if apart:
        raise Refused(f"parcel {', '.join(apart)} is not adjacent to parcel {names[0]}"
                      f" (they share less than {ADJACENT_MIN_LENGTH_M} m of boundary)")
    union = shapely.union_all([g for _, g in parts])
    if not isinstance(union, shapely.Polygon):
        raise Refused(f"parcels {', '.join(names)} do not join into one polygon"
                      " (a gap between them)")
    return union


def width_depth(geom: shapely.Geometry) -> tuple[float, float]:
    """(width, depth) of a parcel: the short and long sides of its smallest enclosing rectangle.

    Provinces define width as the frontage on a road; without road data the narrower side of
    the minimum rotated rectangle stands for it (stated in docs/land-outputs.md).
    """
    rect = shapely.minimum_rotated_rectangle(geom)
    xy = list(rect.exterior.coords)
    sides = sorted(shapely.Point(xy[k]).distance(shapely.Point(xy[k + 1])) for k in range(2))
    return sides[0], sides[1]


def minimum_for(conn: psycopg.Connection, commune: str, land_use: str) -> Minimum:
    """The minimum of the commune's province for ``land_use``; refused when none is set."""
    row = conn.execute(
        "SELECT m.province_code, m.land_use_code, m.min_area_m2, m.min_width_m, m.min_depth_m,"
        " m.source FROM admin.communes c JOIN land.split_minimums m"
        " ON m.province_code = c.province_code AND m.land_use_code = %s WHERE c.code = %s",
        (land_use, commune),
    ).fetchone()
    if row is None:
        raise Refused(
            f"no minimum area is set for land type {land_use} in the province of commune"
            f" {commune} (Land Law 2024 Art. 220(2)(a)): set it with"
            " 'iocgis parcels minimums set'"
        )
    return Minimum(str(row[0]), str(row[1]), float(row[2]),
                   None if row[3] is None else float(row[3]),
                   None if row[4] is None else float(row[4]), row[5])


def check_minimum(label: str, geom: shapely.Geometry, legal_area: float, rule: Minimum) -> None:
    """A new parcel meets the province's minimum area, width and depth for its land type."""
    where = f"province {rule.province_code}, {rule.land_use_code}"
    if legal_area < rule.min_area_m2:
        raise Refused(
            f"new parcel {label} has {legal_area:.1f} m², below the minimum {rule.min_area_m2:.1f}"
            f" m² ({where}); Land Law 2024 Art. 220(2)(a): a smaller piece must be merged with"
            " an adjacent parcel in the same operation (merge_with)"
        )
    width, depth = width_depth(geom)
    if rule.min_width_m is not None and width < rule.min_width_m:
        raise Refused(f"new parcel {label} is {width:.2f} m wide, below the minimum"
                      f" {rule.min_width_m:.2f} m ({where})")
    if rule.min_depth_m is not None and depth < rule.min_depth_m:
        raise Refused(f"new parcel {label} is {depth:.2f} m deep, below the minimum"
                      f" {rule.min_depth_m:.2f} m ({where})")


def set_minimum(conn: psycopg.Connection, rule: Minimum) -> None:
    """Store (or replace) a province's minimum for one land type."""
    conn.execute(
        "INSERT INTO land.split_minimums (province_code, land_use_code, min_area_m2,"
        " min_width_m, min_depth_m, source) VALUES (%s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (province_code, land_use_code) DO UPDATE SET"
        " min_area_m2 = EXCLUDED.min_area_m2, min_width_m = EXCLUDED.min_width_m,"
        " min_depth_m = EXCLUDED.min_depth_m, source = EXCLUDED.source",
        (rule.province_code, rule.land_use_code, rule.min_area_m2, rule.min_width_m,
         rule.min_depth_m, rule.source),
    )


def list_minimums(conn: psycopg.Connection, province: str | None = None) -> list[Minimum]:
    """The configured minimums (of one province, or all), by province and land type."""
    rows = conn.execute(
        "SELECT province_code, land_use_code, min_area_m2, min_width_m, min_depth_m, source"
        " FROM land.split_minimums WHERE %(p)s::text IS NULL OR province_code = %(p)s"
        " ORDER BY 1, 2",
        {"p": province},
    ).fetchall()
    return [Minimum(str(r[0]), str(r[1]), float(r[2]), None if r[3] is None else float(r[3]),
                    None if r[4] is None else float(r[4]), r[5]) for r in rows]
