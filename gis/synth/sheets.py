"""Map sheets of ~300–500 spatially contiguous parcels and the parcel numbers on each sheet."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

#: Parcels per map sheet: about ``SHEET_TARGET``, never more than ``SHEET_MAX`` (so 300–500
#: whenever the count allows it).
SHEET_TARGET = 400
SHEET_MAX = 500


def sheet_count(n: int) -> int:
    """How many sheets ``n`` parcels are spread over."""
    return max(1, round(n / SHEET_TARGET), -(-n // SHEET_MAX))


def assign_sheets(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sheet number (1..k) and parcel number (1..n per sheet) for parcels centred at (x, y).

    Sheets are consecutive runs of a Hilbert curve through the parcels, so each sheet is a
    compact patch. On a sheet, parcels are numbered like a cadastral surveyor does (Circular
    25/2014): in bands from the top left, left to right then back (zigzag), top to bottom.
    """
    n = len(x)
    pts = gpd.GeoSeries(gpd.points_from_xy(x, y))
    order = np.argsort(pts.hilbert_distance(level=16).to_numpy(), kind="stable")
    k = sheet_count(n)
    sizes = np.full(k, n // k)
    sizes[: n % k] += 1
    sheet = np.empty(n, np.int64)
    sheet[order] = np.repeat(np.arange(1, k + 1), sizes)
    frame = pd.DataFrame({"sheet": sheet, "x": x, "y": y})
    grouped = frame.groupby("sheet")
    top = grouped["y"].transform("max").to_numpy()
    span = (grouped["y"].transform("max") - grouped["y"].transform("min")).to_numpy()
    width = (grouped["x"].transform("max") - grouped["x"].transform("min")).to_numpy()
    count = grouped["x"].transform("size").to_numpy()
    # About sqrt(count / 2) bands per sheet, scaled to its shape.
    height = np.maximum(np.sqrt(np.maximum(span * width, 1.0) / count) * 2.0, 1.0)
    band = np.floor((top - y) / height).astype(np.int64)
    along = np.where(band % 2 == 0, x, -x)
    rank = np.lexsort((along, band, sheet))
    number = np.empty(n, np.int64)
    starts = np.searchsorted(sheet[rank], np.arange(1, k + 1))
    number[rank] = np.arange(n) - np.repeat(starts, sizes) + 1
    return sheet, number
