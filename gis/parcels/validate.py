"""Vectorised checks of parcel features: numbers, commune codes, geometries, purposes, users.

Each check works on whole arrays (a batch of features) and returns values plus a reason per
feature (``None`` when the feature passes). Nothing is repaired: a bad feature is rejected.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
import shapely

from gis.parcels.model import (
    R_BAD_PURPOSES,
    R_BAD_USERS,
    R_EMPTY,
    R_INVALID,
    R_NOT_POLYGON,
    R_UNKNOWN_CODE,
    USER_SEPARATOR,
)

#: Purpose areas must add up to the legal area within max(absolute, relative × legal area).
#: Areas in files are rounded to 0.1 m² per purpose, and a file's own area may come from a
#: slightly different projection (k = 0.9999 vs 1, distance from the central meridian: about
#: 0.03 % in a province), so 0.5 m² or 0.1 % is accepted and anything more is rejected.
PURPOSE_AREA_TOLERANCE_M2 = 0.5
PURPOSE_AREA_TOLERANCE_REL = 0.001

_COMMUNE_RE = re.compile(r"^[0-9]{5}$")
_POLYGON_TYPES = (3, 6)  # shapely type ids of Polygon and MultiPolygon


def as_text(values: Any, n: int) -> np.ndarray:
    """Text values with blanks as None; integral numbers written without a decimal part."""
    if values is None:
        return np.full(n, None, dtype=object)
    s = pd.Series(values, copy=False)
    if pd.api.types.is_integer_dtype(s.dtype):
        return s.astype(str).to_numpy(dtype=object)
    if pd.api.types.is_float_dtype(s.dtype):
        ok = s.notna() & np.isfinite(s) & (s == np.floor(s))
        out = s.astype(object).where(s.notna(), None)
        out[ok] = s[ok].astype("int64").astype(str)
        out[s.notna() & ~ok] = s[s.notna() & ~ok].astype(str)
        return out.to_numpy(dtype=object)
    t = s.astype(object).where(s.notna(), None)
    is_str = t.map(lambda v: isinstance(v, str), na_action="ignore").fillna(False).astype(bool)
    t[~is_str & t.notna()] = t[~is_str & t.notna()].astype(str)
    t = t.str.strip() if len(t) else t
    return t.where(t.notna() & (t != ""), None).to_numpy(dtype=object)


def as_positive_int(values: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Positive integers (int64) and a mask of the values that are present and integral."""
    if values is None:
        return np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool)
    s = pd.to_numeric(pd.Series(values, copy=False), errors="coerce").astype("float64")
    arr = s.to_numpy()
    ok = np.isfinite(arr) & (arr == np.floor(arr)) & (arr > 0) & (arr < 2**31)
    return np.where(ok, arr, 0).astype(np.int64), ok


def commune_codes(values: Any, n: int, default: str | None) -> np.ndarray:
    """5-digit commune codes (numbers zero-padded), the default where the field is blank."""
    text = as_text(values, n)
    if default is not None:
        text = np.where(pd.isna(text), default, text)
    out = np.empty(n, dtype=object)
    for i, v in enumerate(text):  # short strings; a few µs per batch row
        out[i] = v.zfill(5) if isinstance(v, str) and v.isdigit() and len(v) < 5 else v
    return out


def valid_commune_format(codes: np.ndarray) -> np.ndarray:
    """Mask of commune codes that are five digits."""
    return np.array([isinstance(c, str) and bool(_COMMUNE_RE.match(c)) for c in codes], bool)


def check_geometries(wkb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Parse WKB and check each geometry: (2-D geometries, reject reason or None per feature)."""
    geoms = shapely.from_wkb(wkb, on_invalid="ignore")
    n = len(geoms)
    reasons = np.full(n, None, dtype=object)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    reasons[missing] = R_EMPTY
    types = shapely.get_type_id(geoms)
    bad_type = ~missing & ~np.isin(types, _POLYGON_TYPES)
    for i in np.flatnonzero(bad_type):
        reasons[i] = f"{R_NOT_POLYGON}: {geoms[i].geom_type}"
    if shapely.has_z(geoms).any():
        geoms = shapely.force_2d(geoms)
    candidates = reasons == None  # noqa: E711 (element-wise on an object array)
    valid = np.ones(n, dtype=bool)
    valid[candidates] = shapely.is_valid(geoms[candidates])
    for i in np.flatnonzero(~valid):
        reasons[i] = f"{R_INVALID}: {shapely.is_valid_reason(geoms[i])}"
    return geoms, reasons


def to_multipolygons(geoms: np.ndarray) -> np.ndarray:
    """Promote polygons to one-part multipolygons (the table stores MultiPolygon)."""
    out = geoms.copy()
    single = shapely.get_type_id(geoms) == 3
    if single.any():
        k = int(single.sum())
        out[single] = shapely.multipolygons(geoms[single], indices=np.arange(k))
    return out


def parse_purposes(
    values: Any, n: int, lookup: dict[str, str]
) -> tuple[list[list[tuple[str, float | None]]], np.ndarray]:
    """Parse ``CODE`` or ``CODE:AREA;CODE:AREA``: purposes per feature and a reject reason."""
    text = as_text(values, n)
    reasons = np.full(n, None, dtype=object)
    series = pd.Series(text, dtype=object)
    simple = series.notna() & ~series.str.contains("[:;]", regex=True, na=False)
    codes = series.where(simple).str.upper().map(lookup)
    purposes: list[list[tuple[str, float | None]]] = [[] for _ in range(n)]
    for i in np.flatnonzero(simple.to_numpy()):
        code = codes.iat[i]
        if isinstance(code, str):
            purposes[i] = [(code, None)]
        else:
            reasons[i] = f"{R_UNKNOWN_CODE}: {text[i]}"
    for i in np.flatnonzero(series.isna().to_numpy()):
        reasons[i] = f"{R_BAD_PURPOSES}: no land-use code"
    for i in np.flatnonzero((series.notna() & ~simple).to_numpy()):
        purposes[i], reasons[i] = _parse_multi(str(text[i]), lookup)
    return purposes, reasons


def _parse_multi(
    text: str, lookup: dict[str, str]
) -> tuple[list[tuple[str, float | None]], str | None]:
    """Parse ``CODE:AREA;CODE:AREA`` (areas in m²); a reason when it cannot be used."""
    out: list[tuple[str, float | None]] = []
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        raw_code, sep, raw_area = part.partition(":")
        code = lookup.get(raw_code.strip().upper())
        if code is None:
            return [], f"{R_UNKNOWN_CODE}: {raw_code.strip()}"
        try:
            area = float(raw_area) if sep else None
        except ValueError:
            return [], f"{R_BAD_PURPOSES}: area {raw_area.strip()!r} is not a number"
        if area is not None and not (np.isfinite(area) and area > 0):
            return [], f"{R_BAD_PURPOSES}: area {raw_area.strip()!r} must be positive"
        if any(c == code for c, _ in out):
            return [], f"{R_BAD_PURPOSES}: {code} given twice"
        out.append((code, area))
    if not out:
        return [], f"{R_BAD_PURPOSES}: no land-use code"
    if len(out) > 1 and any(a is None for _, a in out):
        return [], f"{R_BAD_PURPOSES}: several purposes need an area each (CODE:AREA;...)"
    return out, None


def parse_users(
    names: Any, ids: Any, addresses: Any, n: int
) -> tuple[list[list[tuple[str, str | None, str | None]]], np.ndarray]:
    """Split the ``|``-separated user fields, aligned by position; a reason when misaligned."""
    name_t, id_t, addr_t = as_text(names, n), as_text(ids, n), as_text(addresses, n)
    users: list[list[tuple[str, str | None, str | None]]] = [[] for _ in range(n)]
    reasons = np.full(n, None, dtype=object)
    has_any = pd.notna(name_t) | pd.notna(id_t) | pd.notna(addr_t)
    for i in np.flatnonzero(has_any):
        parts = [
            [p.strip() for p in v.split(USER_SEPARATOR)] if isinstance(v, str) else None
            for v in (name_t[i], id_t[i], addr_t[i])
        ]
        names_i = parts[0]
        if names_i is None or any(not p for p in names_i):
            reasons[i] = f"{R_BAD_USERS}: a land user has no name"
            continue
        if any(p is not None and len(p) != len(names_i) for p in parts[1:]):
            reasons[i] = f"{R_BAD_USERS}: {len(names_i)} names but other counts differ"
            continue
        users[i] = [
            (
                name,
                (parts[1][k] or None) if parts[1] else None,
                (parts[2][k] or None) if parts[2] else None,
            )
            for k, name in enumerate(names_i)
        ]
    return users, reasons


def areas_mismatch(declared: float, legal: float) -> bool:
    """True when declared purpose areas are further from the legal area than the tolerance."""
    tolerance = max(PURPOSE_AREA_TOLERANCE_M2, PURPOSE_AREA_TOLERANCE_REL * legal)
    return abs(declared - legal) > tolerance
