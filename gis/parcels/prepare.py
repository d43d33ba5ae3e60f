"""Turn one batch of file features into checked, measured parcel rows (or rejects).

Every step works on arrays: geometry checks and areas with shapely 2, coordinate
transformations with pyproj, the commune test with ``contains_xy`` on a point on the surface.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely
from pyproj import CRS, Transformer

from gis.crs import VN2000_CRS, WGS84, bound_crs
from gis.parcels import validate as v
from gis.parcels.code import parcel_codes
from gis.parcels.model import (
    R_AREAS,
    R_DUPLICATE,
    R_MISSING_COMMUNE,
    R_MISSING_PARCEL,
    R_MISSING_SHEET,
    R_OTHER_COMMUNE,
    R_OUTSIDE,
    R_SHEET_CRS,
    R_UNKNOWN_COMMUNE,
)

TEXT_FIELDS = ("old_sheet_number", "old_parcel_number", "address", "certificate_number", "term",
               "origin")


def pyproj_crs(epsg: int) -> CRS:
    """A CRS as PostGIS sees it: VN-2000 ones bound to the legal EPSG:6960 datum shift."""
    return bound_crs(epsg) if epsg in VN2000_CRS else CRS.from_epsg(epsg)


def transformer(source: CRS | int, target: int) -> Transformer | None:
    """Transformer from ``source`` to EPSG:``target`` (x/y order); None when they are the same."""
    code = source if isinstance(source, int) else source.to_epsg()
    if code == target:
        return None
    # A VN-2000 source is bound to EPSG:6960 too, as PostGIS's rows are.
    use_code = code is not None and (isinstance(source, int) or code in VN2000_CRS)
    src = pyproj_crs(int(code)) if use_code and code is not None else source
    return Transformer.from_crs(src, pyproj_crs(target), always_xy=True)


def transform(geoms: np.ndarray, tr: Transformer | None) -> np.ndarray:
    """Transform an array of geometries with one vectorised pyproj call."""
    if tr is None or len(geoms) == 0:
        return geoms

    def _xy(coords: np.ndarray) -> np.ndarray:
        x, y = tr.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, _xy)


def to_wgs84(geoms: np.ndarray, srid: int) -> np.ndarray:
    """Native-CRS geometries in WGS 84 (EPSG:6960 for VN-2000, as PostGIS does it)."""
    return transform(geoms, Transformer.from_crs(pyproj_crs(srid), CRS.from_epsg(WGS84),
                                                 always_xy=True))


@dataclass
class Context:
    """What a batch is checked against: the sheet CRS, the commune, codes, shapes, sheets."""

    srid: int
    commune: str | None
    lookup: dict[str, str]
    to_native: Transformer | None
    duplicates: np.ndarray  # sorted feature indexes whose key is repeated in the file
    commune_shape: Callable[[str], Any]  # code → (prepared native shape, margin m) or None
    sheet_srid: Callable[[str, int], int | None]  # (commune, sheet) → registered srid or None


@dataclass
class Prepared:
    """Accepted rows of a batch (parallel arrays) and the rejects (batch position, reason).

    Purposes and users are flat arrays whose ``*_row`` points into the accepted rows.
    """

    pos: np.ndarray
    commune_code: np.ndarray
    sheet_number: np.ndarray
    parcel_number: np.ndarray
    text: dict[str, np.ndarray]
    legal_area: np.ndarray
    geom: np.ndarray
    p_row: np.ndarray
    p_code: np.ndarray
    p_area: np.ndarray
    u_row: np.ndarray
    u_name: np.ndarray
    u_id: np.ndarray
    u_address: np.ndarray
    content_hash: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))
    native_hex: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))
    wgs84_hex: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))
    parcel_code: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))
    rejects: list[tuple[int, str]] = field(default_factory=list)


def _first_reason(reason: np.ndarray, mask: np.ndarray, why: np.ndarray | str) -> None:
    """Set ``why`` where ``mask`` holds and no earlier check has rejected the feature."""
    todo = mask & (reason == None)  # noqa: E711 (element-wise on an object array)
    reason[todo] = why[todo] if isinstance(why, np.ndarray) else why


def _outside(ctx: Context, communes: np.ndarray, geoms: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """Mask of features whose point on the surface lies beyond the commune's margin."""
    outside = np.zeros(len(geoms), dtype=bool)
    idx = np.flatnonzero(ok)
    points = shapely.point_on_surface(geoms[idx])
    for code in set(communes[idx]):
        sel = communes[idx] == code
        shape, margin = ctx.commune_shape(code)
        pts = points[sel]
        out = ~shapely.contains_xy(shape, shapely.get_x(pts), shapely.get_y(pts))
        if out.any():  # near the simplified boundary: measure the distance
            out[out] = shapely.distance(shape, pts[out]) > margin
        outside[idx[sel]] = out
    return outside


def prepare_batch(frame: dict[str, Any], wkb: np.ndarray, offset: int, ctx: Context) -> Prepared:
    """Check and measure one batch of features (contract field names) starting at ``offset``."""
    n = len(wkb)
    reason = np.full(n, None, dtype=object)
    sheet, sheet_ok = v.as_positive_int(frame["sheet_number"], n)
    parcel, parcel_ok = v.as_positive_int(frame["parcel_number"], n)
    communes = v.commune_codes(frame["commune_code"], n, ctx.commune)
    _first_reason(reason, np.isin(offset + np.arange(n), ctx.duplicates), R_DUPLICATE)
    _first_reason(reason, ~sheet_ok, R_MISSING_SHEET)
    _first_reason(reason, ~parcel_ok, R_MISSING_PARCEL)
    _first_reason(reason, pd.isna(communes), R_MISSING_COMMUNE)
    if ctx.commune is not None:
        _first_reason(reason, pd.notna(communes) & (communes != ctx.commune),
                      f"{R_OTHER_COMMUNE}: {ctx.commune}")
    fmt_ok = v.valid_commune_format(communes)
    _first_reason(reason, ~fmt_ok, R_UNKNOWN_COMMUNE)
    known = {c: ctx.commune_shape(c) is not None for c in set(communes[fmt_ok])}
    _first_reason(reason, np.array([not known.get(c, False) for c in communes], dtype=bool),
                  np.array([f"{R_UNKNOWN_COMMUNE}: {c}" for c in communes], dtype=object))

    geoms, geom_reason = v.check_geometries(wkb)
    _first_reason(reason, geom_reason != None, geom_reason)  # noqa: E711
    (p_row, p_code, p_area), purpose_reason = v.parse_purposes(frame["land_use"], n, ctx.lookup)
    _first_reason(reason, purpose_reason != None, purpose_reason)  # noqa: E711
    (u_row, u_name, u_id, u_addr), user_reason = v.parse_users(
        frame["user_name"], frame["user_id_number"], frame["user_address"], n
    )
    _first_reason(reason, user_reason != None, user_reason)  # noqa: E711

    ok = reason == None  # noqa: E711
    native = np.full(n, None, dtype=object)
    native[ok] = v.to_multipolygons(transform(geoms[ok], ctx.to_native))
    area = np.zeros(n)
    area[ok] = np.round(shapely.area(native[ok]), 1)
    given = ~np.isnan(p_area)
    p_area = np.where(given, np.round(p_area, 1), area[p_row])
    declared = np.bincount(p_row, weights=p_area, minlength=n)
    explicit = np.bincount(p_row, weights=given, minlength=n) > 0
    tolerance = np.maximum(v.PURPOSE_AREA_TOLERANCE_M2, v.PURPOSE_AREA_TOLERANCE_REL * area)
    bad = ok & explicit & (np.abs(declared - area) > tolerance)
    _first_reason(reason, bad, np.array(
        [f"{R_AREAS}: {d:.1f} m² declared, {a:.1f} m² measured" for d, a in zip(
            declared, area, strict=True)] if bad.any() else [None] * n, dtype=object))
    ok = reason == None  # noqa: E711
    _first_reason(reason, _outside(ctx, communes, native, ok),
                  np.array([f"{R_OUTSIDE}: {c}" for c in communes], dtype=object))
    pairs = {(c, int(s)) for c, s in zip(communes[reason == None], sheet[reason == None],  # noqa: E711
                                         strict=True)}
    wrong = {pair: ctx.sheet_srid(*pair) for pair in pairs}
    wrong = {k: s for k, s in wrong.items() if s is not None and s != ctx.srid}
    if wrong:
        for i in np.flatnonzero(reason == None):  # noqa: E711
            registered = wrong.get((communes[i], int(sheet[i])))
            if registered is not None:
                reason[i] = f"{R_SHEET_CRS}: sheet {sheet[i]} is in EPSG:{registered}"

    keep_mask = reason == None  # noqa: E711
    keep = np.flatnonzero(keep_mask)
    new_index = np.cumsum(keep_mask) - 1
    p_sel, u_sel = keep_mask[p_row], keep_mask[u_row]
    prepared = Prepared(
        pos=keep,
        commune_code=communes[keep],
        sheet_number=sheet[keep],
        parcel_number=parcel[keep],
        text={name: v.as_text(frame[name], n)[keep] for name in TEXT_FIELDS},
        legal_area=area[keep],
        geom=native[keep],
        p_row=new_index[p_row[p_sel]], p_code=p_code[p_sel], p_area=p_area[p_sel],
        u_row=new_index[u_row[u_sel]], u_name=u_name[u_sel], u_id=u_id[u_sel],
        u_address=u_addr[u_sel],
        rejects=[(int(i), str(reason[i])) for i in np.flatnonzero(~keep_mask)],
    )  # fmt: skip
    prepared.native_hex = ewkb_hex(prepared.geom, ctx.srid)
    # Here rather than in the writer: this runs in the preparing thread, overlapping the COPY.
    prepared.wgs84_hex = ewkb_hex(to_wgs84(prepared.geom, ctx.srid), WGS84)
    prepared.content_hash = content_hashes(prepared, ctx.srid)
    prepared.parcel_code = np.array(parcel_codes(prepared.geom, ctx.srid), dtype=object)
    return prepared


def ewkb_hex(multipolygons: np.ndarray, srid: int) -> np.ndarray:
    """Hex EWKB (with SRID) of multipolygons, the text form PostGIS reads in COPY."""
    prefix = "0106000020" + struct.pack("<I", srid).hex()  # little endian, MultiPolygon + SRID
    wkb = shapely.to_wkb(multipolygons, byte_order=1)  # bytes.hex() beats GEOS's hex writer
    return np.array([prefix + w[5:].hex() for w in wkb], dtype=object)


def content_hashes(p: Prepared, srid: int) -> np.ndarray:
    """MD5 of everything a version records (fields, purposes, users, native EWKB) per row."""
    n = len(p.pos)
    if n == 0:
        return np.array([], dtype=object)
    purposes = _per_row(p.p_row, pc.binary_join_element_wise(
        pa.array(p.p_code, pa.string()), pc.cast(pa.array(p.p_area), pa.string()), ":"), n, ";")
    users = _per_row(p.u_row, pc.binary_join_element_wise(
        *(pa.array(a, pa.string()) for a in (p.u_name, p.u_id, p.u_address)), "\x1e",
        null_handling="replace"), n, "|")
    head = pc.binary_join_element_wise(
        pa.array(p.commune_code, pa.string()),
        pc.cast(pa.array(p.sheet_number), pa.string()),
        pc.cast(pa.array(p.parcel_number), pa.string()),
        *(pa.array(p.text[name], pa.string()) for name in TEXT_FIELDS),
        purposes, users, pa.array(p.native_hex, pa.string()),
        "\x1f", null_handling="replace",
    )
    return np.array(
        [hashlib.md5(h.encode(), usedforsecurity=False).hexdigest() for h in head.to_pylist()],
        dtype=object,
    )


def _per_row(rows: np.ndarray, tokens: pa.Array, n: int, sep: str) -> pa.Array:
    """Join ``tokens`` (rows ascending) into one string per row; "" where a row has none."""
    offsets = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n))]).astype(np.int32)
    return pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), tokens), sep)
