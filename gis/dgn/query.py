"""The data a sheet export needs: one map sheet's current parcels in the sheet's own CRS."""

from __future__ import annotations

from dataclasses import dataclass

from gis.db import connect


@dataclass(frozen=True)
class SheetParcel:
    """A current parcel of a sheet: number, purposes (import contract text), area, geometry."""

    parcel_number: int
    land_use: str
    legal_area_m2: float
    srid: int
    wkb: bytes


_SHEET = """
    SELECT p.parcel_number,
           (SELECT string_agg(pp.land_use_code, ';' ORDER BY pp.area_m2 DESC, pp.land_use_code)
              FROM land.parcel_purposes pp WHERE pp.parcel_id = p.id),
           p.legal_area_m2, p.srid, ST_AsBinary(p.geom_native)
      FROM land.parcels p
     WHERE p.commune_code = %s AND p.sheet_number = %s AND p.valid_to IS NULL
     ORDER BY p.parcel_number
"""


def sheet_parcels(commune: str, sheet: int, *, url: str | None = None) -> list[SheetParcel]:
    """The current parcels of one sheet, by number."""
    with connect(url) as conn:
        rows = conn.execute(_SHEET, (commune, sheet)).fetchall()
    return [SheetParcel(int(n), lu or "", float(a), int(s), bytes(g)) for n, lu, a, s, g in rows]
