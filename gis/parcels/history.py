"""Editing a parcel: close the current version and add a new one (history is never rewritten).

An edit goes through the same checks, hashing and writer as an import, as a batch of one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import shapely
from psycopg import sql
from pyproj import CRS

from gis.db import connect, run
from gis.errors import InvalidInput
from gis.landuse import code_lookup
from gis.parcels.model import CONTRACT_FIELDS, USER_SEPARATOR, LandUser, Parcel, Purpose
from gis.parcels.prepare import Context, prepare_batch, transformer
from gis.parcels.queries import current_parcel, get_parcel
from gis.parcels.write import Writer

PurposeInput = str | Sequence[Purpose | tuple[str, float]]


def _purpose_text(purposes: PurposeInput) -> str:
    """Purposes in the file form: ``CODE`` or ``CODE:AREA;CODE:AREA``."""
    if isinstance(purposes, str):
        return purposes
    parts = []
    for item in purposes:
        code, area = (item.code, item.area_m2) if isinstance(item, Purpose) else item
        parts.append(f"{code}:{area}")
    return ";".join(parts)


def _users_fields(users: Sequence[LandUser]) -> tuple[str | None, str | None, str | None]:
    """Land users in the file form (``|``-separated, aligned)."""
    if not users:
        return None, None, None
    return (
        USER_SEPARATOR.join(u.full_name for u in users),
        USER_SEPARATOR.join(u.id_number or "" for u in users),
        USER_SEPARATOR.join(u.address or "" for u in users),
    )


def edit_parcel(
    commune: str,
    sheet: int,
    number: int,
    *,
    geometry: shapely.Geometry | None = None,
    geometry_srid: int | None = None,
    purposes: PurposeInput | None = None,
    address: str | None = None,
    certificate_number: str | None = None,
    old_sheet_number: str | None = None,
    old_parcel_number: str | None = None,
    term: str | None = None,
    origin: str | None = None,
    users: Sequence[LandUser] | None = None,
    url: str | None = None,
) -> Parcel:
    """Change a parcel: the current version is closed (valid_to) and a new one added.

    Arguments left as None keep their current value (give "" to clear a text field).
    ``geometry`` is in ``geometry_srid`` (default: the sheet's CRS); with one purpose and a
    new geometry, the purpose area follows the new legal area.
    """
    conn = connect(url)
    try:
        with conn.transaction():
            columns = sql.SQL("p.id, p.srid, ST_AsBinary(p.geom_native)")
            row = run(conn, current_parcel(columns, commune, sheet, number, lock=True))
            srid = int(row[1])
            current = get_parcel(commune, sheet, number, with_users=True, conn=conn)[0]
            wkb = row[2] if geometry is None else shapely.to_wkb(geometry)
            source = CRS.from_epsg(geometry_srid or srid)
            if purposes is None:
                keep_area = geometry is None or len(current.purposes) > 1
                purposes = (
                    [(p.code, p.area_m2) for p in current.purposes]
                    if keep_area else current.purposes[0].code
                )
            first = current.purposes[0] if current.purposes else None
            names, ids, addrs = _users_fields(current.users or () if users is None else users)
            values: dict[str, Any] = {
                "commune_code": commune,
                "sheet_number": int(sheet),
                "parcel_number": int(number),
                "land_use": _purpose_text(purposes),
                "address": current.address if address is None else address,
                "certificate_number": (current.certificate_number if certificate_number is None
                                       else certificate_number),
                "old_sheet_number": (current.old_sheet_number if old_sheet_number is None
                                     else old_sheet_number),
                "old_parcel_number": (current.old_parcel_number if old_parcel_number is None
                                      else old_parcel_number),
                "term": (first.term if first else None) if term is None else term,
                "origin": (first.origin if first else None) if origin is None else origin,
                "user_name": names,
                "user_id_number": ids,
                "user_address": addrs,
            }
            frame = {k: pa.array([values.get(k)]) for k in CONTRACT_FIELDS}
            writer = Writer(conn, srid, None)
            ctx = Context(srid, commune, code_lookup(conn), transformer(source, srid),
                          np.array([], dtype=np.int64), writer.commune_shape, writer.sheet_srid)
            prepared = prepare_batch(frame, np.array([wkb], dtype=object), 0, ctx)
            if prepared.rejects:
                raise InvalidInput(f"edit refused: {prepared.rejects[0][1]}")
            _, versioned, unchanged = writer.write(prepared)
            if prepared.rejects:  # found by the writer: the parcel code is already used
                raise InvalidInput(f"edit refused: {prepared.rejects[0][1]}")
            if unchanged:
                raise InvalidInput("edit refused: nothing would change")
            assert versioned == 1
            return get_parcel(commune, sheet, number, conn=conn)[0]
    finally:
        conn.close()
