"""Vectorised checks of parcel features: numbers, commune codes, geometries, purposes, users.

Each check works on whole arrays (a batch of features) and returns values plus a reason per
feature (``None`` when the feature passes). Nothing is repaired: a bad feature is rejected.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
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


def _arrow(values: Any) -> pa.Array:
    """An Arrow array from an Arrow array, a NumPy array or a list (NaN read as null)."""
    if isinstance(values, pa.ChunkedArray):
        return values.combine_chunks()
    if isinstance(values, pa.Array):
        return values
    return pa.array(np.asarray(values), from_pandas=True)


def text_arrow(values: Any, n: int) -> pa.Array:
    """Text (Arrow strings) with blanks as null; integral numbers written without decimals."""
    if values is None:
        return pa.nulls(n, pa.string())
    a = _arrow(values)
    if pa.types.is_null(a.type):
        return pa.nulls(n, pa.string())
    if pa.types.is_integer(a.type):
        s = pc.cast(a, pa.string())
    elif pa.types.is_floating(a.type):
        whole = pc.fill_null(pc.equal(pc.floor(a), a), False)
        as_int = pc.cast(pc.cast(pc.if_else(whole, a, 0.0), pa.int64()), pa.string())
        s = pc.if_else(whole, as_int, pc.cast(a, pa.string()))
    elif pa.types.is_string(a.type) or pa.types.is_large_string(a.type):
        s = pc.cast(a, pa.string())
    else:
        s = pa.array([None if x is None else str(x) for x in a.to_pylist()], pa.string())
    s = pc.utf8_trim_whitespace(s)
    return pc.if_else(pc.equal(s, ""), pa.scalar(None, pa.string()), s)


def as_text(values: Any, n: int) -> np.ndarray:
    """Text values (object array) with blanks as None; integral numbers without decimals."""
    return np.asarray(text_arrow(values, n).to_numpy(zero_copy_only=False), dtype=object)


def as_positive_int(values: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Positive integers (int64) and a mask of the values that are present and integral."""
    if values is None:
        return np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool)
    a = _arrow(values)
    if pa.types.is_integer(a.type) or pa.types.is_floating(a.type):
        arr = pc.cast(a, pa.float64()).to_numpy(zero_copy_only=False)
    else:
        arr = pd.to_numeric(pd.Series(as_text(a, n), dtype=object), errors="coerce").to_numpy(
            dtype="float64", na_value=np.nan)
    arr = np.asarray(arr, dtype="float64")
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(arr) & (arr == np.floor(arr)) & (arr > 0) & (arr < 2**31)
    return np.where(ok, arr, 0).astype(np.int64), ok


def commune_codes_arrow(values: Any, n: int, default: str | None) -> pa.Array:
    """5-digit commune codes (shorter numbers zero-padded), the default where blank (Arrow)."""
    s = text_arrow(values, n)
    s = pc.if_else(pc.fill_null(pc.match_substring_regex(s, "^[0-9]{1,4}$"), False),
                   pc.utf8_lpad(s, 5, "0"), s)
    if default is not None:
        s = pc.fill_null(s, default)
    return s


def commune_codes(values: Any, n: int, default: str | None) -> np.ndarray:
    """5-digit commune codes (shorter numbers zero-padded), the default where blank."""
    s = commune_codes_arrow(values, n, default)
    return np.asarray(s.to_numpy(zero_copy_only=False), dtype=object)


def valid_commune_format(codes: np.ndarray) -> np.ndarray:
    """Mask of commune codes that are five digits."""
    found = pc.match_substring_regex(pa.array(codes, pa.string()), _COMMUNE_RE.pattern)
    return np.asarray(pc.fill_null(found, False).to_numpy(zero_copy_only=False), dtype=bool)


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
) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], np.ndarray]:
    """Parse ``CODE`` or ``CODE:AREA;CODE:AREA`` into flat (row, code, area) arrays.

    Rows come in ascending order; the area is NaN where only a code was given (the purpose
    then covers the legal area). The second result is a reject reason per feature, or None.
    """
    arrow = text_arrow(values, n)
    text = np.asarray(arrow.to_numpy(zero_copy_only=False), dtype=object)
    reasons = np.full(n, None, dtype=object)
    present = np.asarray(pc.is_valid(arrow).to_numpy(zero_copy_only=False), dtype=bool)
    multi = pc.fill_null(pc.match_substring_regex(arrow, "[:;]"), False)
    simple = present & ~np.asarray(multi.to_numpy(zero_copy_only=False), dtype=bool)
    keys = list(lookup)
    found = pc.index_in(pc.utf8_upper(arrow), value_set=pa.array(keys, pa.string()))
    index = pc.fill_null(found, -1).to_numpy(zero_copy_only=False)
    values_arr = np.array([lookup[k] for k in keys], dtype=object)
    codes = np.where(index >= 0, values_arr[np.maximum(index, 0)], None)
    known = simple & (index >= 0)
    unknown = simple & ~known
    reasons[~present] = f"{R_BAD_PURPOSES}: no land-use code"
    reasons[unknown] = np.array([f"{R_UNKNOWN_CODE}: {t}" for t in text[unknown]], dtype=object)
    rows = [np.flatnonzero(known)]
    out_codes = [codes[known]]
    areas = [np.full(int(known.sum()), np.nan)]
    for i in np.flatnonzero(present & ~simple):
        items, reasons[i] = _parse_multi(str(text[i]), lookup)
        if items:
            rows.append(np.full(len(items), i))
            out_codes.append(np.array([c for c, _ in items], dtype=object))
            areas.append(np.array([np.nan if a is None else a for _, a in items], dtype=float))
    row = np.concatenate(rows).astype(np.int64)
    order = np.argsort(row, kind="stable")
    return (row[order], np.concatenate(out_codes)[order], np.concatenate(areas)[order]), reasons


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


def _split(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split ``a|b|c`` values: (row of each part, part text or None, number of parts per row)."""
    lists = pc.split_pattern(pa.array(values, pa.string()), USER_SEPARATOR)
    counts = pc.fill_null(pc.list_value_length(lists), 0).to_numpy(zero_copy_only=False)
    rows = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False)
    parts = pc.utf8_trim_whitespace(pc.list_flatten(lists))
    parts = pc.if_else(pc.equal(parts, ""), pa.scalar(None, pa.string()), parts)
    return (rows.astype(np.int64), np.asarray(parts.to_numpy(zero_copy_only=False), dtype=object),
            counts.astype(np.int64))


def parse_users(
    names: Any, ids: Any, addresses: Any, n: int
) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray]:
    """Split the ``|``-separated user fields into flat (row, name, ID, address) arrays.

    The three fields are aligned by position; a row whose counts differ, or where a user has
    no name, gets a reject reason.
    """
    name_t, id_t, addr_t = as_text(names, n), as_text(ids, n), as_text(addresses, n)
    reasons = np.full(n, None, dtype=object)
    row, name, n_names = _split(name_t)
    id_row, id_parts, n_ids = _split(id_t)
    addr_row, addr_parts, n_addrs = _split(addr_t)
    nameless = np.zeros(n, dtype=bool)
    nameless[row[pd.isna(name)]] = True
    nameless |= (n_names == 0) & ((n_ids > 0) | (n_addrs > 0))
    misaligned = ((n_ids > 0) & (n_ids != n_names)) | ((n_addrs > 0) & (n_addrs != n_names))
    reasons[misaligned] = f"{R_BAD_USERS}: names, ID numbers and addresses differ in count"
    reasons[nameless] = f"{R_BAD_USERS}: a land user has no name"
    good = reasons == None  # noqa: E711
    sel = good[row]
    m = int(sel.sum())
    ids_out = np.full(m, None, dtype=object)
    addrs_out = np.full(m, None, dtype=object)
    # For an accepted row the parts line up one to one, in the same order as its names.
    ids_out[(n_ids > 0)[row[sel]]] = id_parts[good[id_row]]
    addrs_out[(n_addrs > 0)[row[sel]]] = addr_parts[good[addr_row]]
    return (row[sel], name[sel], ids_out, addrs_out), reasons


def areas_mismatch(declared: float, legal: float) -> bool:
    """True when declared purpose areas are further from the legal area than the tolerance."""
    tolerance = max(PURPOSE_AREA_TOLERANCE_M2, PURPOSE_AREA_TOLERANCE_REL * legal)
    return abs(declared - legal) > tolerance
