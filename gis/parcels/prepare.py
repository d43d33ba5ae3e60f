"""Turn one batch of file features into checked, measured parcel rows (or rejects).

Every step works on arrays: geometry checks and areas with shapely 2, coordinate
transformations with pyproj, the commune test with ``contains_xy`` on a point on the surface.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from gis.crs import VN2000_CRS, WGS84, bound_crs
from gis.parcels import validate as v
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
    src = pyproj_crs(source) if isinstance(source, int) else source
    if isinstance(source, CRS) and source.to_epsg() is not None:
        code = source.to_epsg()
        if code == target:
            return None
        src = pyproj_crs(int(code)) if code in VN2000_CRS else source
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
    commune_shape: Callable[[str], Any]  # code → prepared native shape with margin, or None
    sheet_srid: Callable[[str, int], int | None]  # (commune, sheet) → registered srid or None


@dataclass
class Prepared:
    """Accepted rows of a batch (parallel arrays) and the rejects (batch position, reason)."""

    pos: np.ndarray
    commune_code: np.ndarray
    sheet_number: np.ndarray
    parcel_number: np.ndarray
    text: dict[str, np.ndarray]
    legal_area: np.ndarray
    geom: np.ndarray
    purposes: list[list[tuple[str, float]]]
    users: list[list[tuple[str, str | None, str | None]]]
    content_hash: np.ndarray
    rejects: list[tuple[int, str]] = field(default_factory=list)


def prepare_batch(frame: pd.DataFrame, wkb: np.ndarray, offset: int, ctx: Context) -> Prepared:
    """Check and measure one batch of features (contract field names) starting at ``offset``."""
    n = len(frame)
    reason = np.full(n, None, dtype=object)

    def reject(mask: np.ndarray, why: np.ndarray | str) -> None:
        todo = mask & (reason == None)  # noqa: E711 (first reason wins)
        reason[todo] = why[todo] if isinstance(why, np.ndarray) else why

    sheet, sheet_ok = v.as_positive_int(frame["sheet_number"], n)
    parcel, parcel_ok = v.as_positive_int(frame["parcel_number"], n)
    communes = v.commune_codes(frame["commune_code"], n, ctx.commune)
    reject(np.isin(offset + np.arange(n), ctx.duplicates), R_DUPLICATE)
    reject(~sheet_ok, R_MISSING_SHEET)
    reject(~parcel_ok, R_MISSING_PARCEL)
    reject(pd.isna(communes), R_MISSING_COMMUNE)
    if ctx.commune is not None:
        reject(pd.notna(communes) & (communes != ctx.commune), f"{R_OTHER_COMMUNE}: {ctx.commune}")
    fmt_ok = v.valid_commune_format(communes)
    reject(~fmt_ok, R_UNKNOWN_COMMUNE)
    shapes = {c: ctx.commune_shape(c) for c in set(communes[fmt_ok & (reason == None)])}  # noqa: E711
    reject(np.array([shapes.get(c) is None for c in communes]), R_UNKNOWN_COMMUNE)

    geoms, geom_reason = v.check_geometries(wkb)
    reject(geom_reason != None, geom_reason)  # noqa: E711
    purposes, purpose_reason = v.parse_purposes(frame["land_use"], n, ctx.lookup)
    reject(purpose_reason != None, purpose_reason)  # noqa: E711
    users, user_reason = v.parse_users(
        frame["user_name"], frame["user_id_number"], frame["user_address"], n
    )
    reject(user_reason != None, user_reason)  # noqa: E711

    ok = reason == None  # noqa: E711
    native = np.full(n, None, dtype=object)
    native[ok] = v.to_multipolygons(transform(geoms[ok], ctx.to_native))
    area = np.zeros(n)
    area[ok] = np.round(shapely.area(native[ok]), 1)
    final: list[list[tuple[str, float]]] = [[] for _ in range(n)]
    for i in np.flatnonzero(ok):
        items = purposes[i]
        if len(items) == 1 and items[0][1] is None:
            final[i] = [(items[0][0], float(area[i]))]
            continue
        declared = sum(a or 0.0 for _, a in items)
        if v.areas_mismatch(declared, float(area[i])):
            reason[i] = f"{R_AREAS}: {declared:.1f} m² declared, {area[i]:.1f} m² measured"
        final[i] = [(c, round(float(a or 0.0), 1)) for c, a in items]

    ok = reason == None  # noqa: E711
    points = shapely.point_on_surface(native[ok])
    inside = np.ones(n, dtype=bool)
    px, py = shapely.get_x(points), shapely.get_y(points)
    ok_idx = np.flatnonzero(ok)
    for code in set(communes[ok]):
        sel = communes[ok] == code
        inside[ok_idx[sel]] = shapely.contains_xy(shapes[code], px[sel], py[sel])
    reject(~inside, np.array([f"{R_OUTSIDE}: {c}" for c in communes], dtype=object))

    for i in np.flatnonzero(reason == None):  # noqa: E711
        registered = ctx.sheet_srid(communes[i], int(sheet[i]))
        if registered is not None and registered != ctx.srid:
            reason[i] = f"{R_SHEET_CRS}: sheet {sheet[i]} is in EPSG:{registered}"

    keep = np.flatnonzero(reason == None)  # noqa: E711
    text = {name: v.as_text(frame[name], n)[keep] for name in TEXT_FIELDS}
    prepared = Prepared(
        pos=keep,
        commune_code=communes[keep],
        sheet_number=sheet[keep],
        parcel_number=parcel[keep],
        text=text,
        legal_area=area[keep],
        geom=native[keep],
        purposes=[final[i] for i in keep],
        users=[users[i] for i in keep],
        content_hash=np.empty(len(keep), dtype=object),
        rejects=[(int(i), str(reason[i])) for i in np.flatnonzero(reason != None)],  # noqa: E711
    )
    prepared.content_hash = content_hashes(prepared, ctx.srid)
    return prepared


def content_hashes(p: Prepared, srid: int) -> np.ndarray:
    """MD5 of everything a version records (fields, purposes, users, native WKB) per row."""
    wkb = shapely.to_wkb(p.geom, byte_order=1) if len(p.geom) else np.array([], dtype=object)
    out = np.empty(len(p.pos), dtype=object)
    texts = [p.text[name] for name in TEXT_FIELDS]
    for i in range(len(p.pos)):
        head = "\x1f".join(
            [
                str(srid),
                str(p.commune_code[i]),
                str(p.sheet_number[i]),
                str(p.parcel_number[i]),
                *("" if t[i] is None else str(t[i]) for t in texts),
                ";".join(f"{c}:{a:.1f}" for c, a in p.purposes[i]),
                "|".join(f"{u[0]}\x1e{u[1] or ''}\x1e{u[2] or ''}" for u in p.users[i]),
            ]
        )
        out[i] = hashlib.md5(head.encode() + wkb[i], usedforsecurity=False).hexdigest()
    return out
