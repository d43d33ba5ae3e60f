"""Commune boundaries for the generator, read from ``admin.communes`` in their TM-3 zone.

The boundaries come from the database, not from the shipped files, on purpose: the importer
checks "inside the commune" against ``admin.communes.geom``, the TM-3 zone of new sheets is
``admin.communes.tm3_srid`` (set by the admin loader), and letting PostGIS transform the
boundary to that zone applies exactly the datum shift the importer and the queries use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import shapely
from shapely.geometry.base import BaseGeometry

from gis.db import connect
from gis.errors import InvalidInput, NotFound

_SELECT = """
    SELECT c.code, c.name, c.full_name, c.kind, c.province_code, p.name,
           c.tm3_srid, ST_AsBinary(ST_Transform(c.geom, c.tm3_srid)),
           ST_Area(ST_Transform(c.geom, c.tm3_srid))
      FROM admin.communes c
      JOIN admin.provinces p ON p.code = c.province_code
"""


@dataclass(frozen=True)
class CommuneShape:
    """A commune as the generator needs it: names, kind, TM-3 zone and boundary in that zone."""

    code: str
    name: str
    full_name: str
    kind: str
    province_code: str
    province_name: str
    srid: int
    boundary: BaseGeometry
    area_m2: float


def _row_to_shape(row: Sequence[object]) -> CommuneShape:
    """Build a :class:`CommuneShape` from one row of ``_SELECT``."""
    code = str(row[0])
    if row[6] is None:
        raise InvalidInput(f"commune {code} has no TM-3 zone (admin.communes.tm3_srid is empty)")
    return CommuneShape(
        code=code,
        name=str(row[1]),
        full_name=str(row[2]),
        kind=str(row[3]),
        province_code=str(row[4]),
        province_name=str(row[5]),
        srid=int(str(row[6])),
        boundary=shapely.from_wkb(row[7]),
        area_m2=float(row[8]),  # type: ignore[arg-type]
    )


def load_communes(
    codes: Sequence[str] = (), province: str | None = None, url: str | None = None
) -> list[CommuneShape]:
    """The communes named by ``codes`` and/or every commune of ``province``, in code order.

    Raises :class:`NotFound` for an unknown code or province, and :class:`InvalidInput` when
    the administrative units are not loaded at all.
    """
    wanted = sorted({c.strip().zfill(5) for c in codes})
    if not wanted and province is None:
        raise InvalidInput("name at least one commune (--commune) or a province (--province)")
    with connect(url) as conn:
        loaded = conn.execute("SELECT EXISTS (SELECT 1 FROM admin.communes)").fetchone()
        if not loaded or not loaded[0]:
            raise InvalidInput("administrative units are not loaded: run `iocgis admin load`")
        rows = []
        if wanted:
            rows += conn.execute(
                _SELECT + " WHERE c.code = ANY(%s) ORDER BY c.code", [wanted]
            ).fetchall()
            missing = sorted(set(wanted) - {str(r[0]) for r in rows})
            if missing:
                raise NotFound(f"no such commune: {', '.join(missing)}")
        if province is not None:
            prov = province.strip().zfill(2)
            extra = conn.execute(
                _SELECT + " WHERE c.province_code = %s ORDER BY c.code", [prov]
            ).fetchall()
            if not extra:
                raise NotFound(f"no such province (or it has no communes): {prov}")
            rows += [r for r in extra if str(r[0]) not in wanted]
    shapes = [_row_to_shape(r) for r in rows]
    return sorted(shapes, key=lambda s: s.code)
