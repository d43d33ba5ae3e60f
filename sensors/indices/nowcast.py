"""NowCast of PM2.5/PM10 hourly means (Decision 1459/QĐ-TCMT), scalar and vectorised.

c1…c12 are the last 12 hourly means, c1 the current hour. w* = c_min/c_max over the available
values; w = w* if w* > 1/2 else 1/2; NowCast = Σ w^(i−1)·c_i / Σ w^(i−1) over the available
c_i (the normalised form; a missing hour has weight 0). At least 2 of c1, c2, c3 must exist.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Hours in the NowCast window.
WINDOW = 12
#: Of the most recent RECENT_HOURS hours, at least RECENT_MIN must be present.
RECENT_HOURS = 3
RECENT_MIN = 2
#: Lower bound of the weight factor w.
W_MIN = 0.5


def nowcast(values: Sequence[float | None]) -> float | None:
    """NowCast from hourly means, most recent first (c1, c2, …); None or NaN is a missing hour."""
    cs = [None if v is None or v != v else float(v) for v in list(values)[:WINDOW]]
    if sum(v is not None for v in cs[:RECENT_HOURS]) < RECENT_MIN:
        return None
    present = [v for v in cs if v is not None]
    c_max, c_min = max(present), min(present)
    w_star = c_min / c_max if c_max > 0 else 1.0
    w = w_star if w_star > W_MIN else W_MIN
    num = sum(w**i * v for i, v in enumerate(cs) if v is not None)
    den = sum(w**i for i, v in enumerate(cs) if v is not None)
    return num / den


def weight_factor(values: Sequence[float | None]) -> float | None:
    """The weight factor w of a NowCast window (most recent first), or None when empty."""
    present = [float(v) for v in list(values)[:WINDOW] if v is not None and v == v]
    if not present:
        return None
    c_max = max(present)
    w_star = min(present) / c_max if c_max > 0 else 1.0
    return w_star if w_star > W_MIN else W_MIN


def nowcast_series(hourly: np.ndarray, chunk_rows: int = 64) -> np.ndarray:
    """NowCast at every hour of consecutive hourly means, shape (series, hours); NaN = missing.

    The value at column t uses columns t, t−1, … t−11 (columns before 0 count as missing).
    """
    data = np.atleast_2d(np.asarray(hourly, dtype=float))
    out = np.full(data.shape, np.nan)
    powers = np.arange(WINDOW, dtype=float)
    for start in range(0, data.shape[0], chunk_rows):
        block = data[start : start + chunk_rows]
        padded = np.concatenate([np.full((block.shape[0], WINDOW - 1), np.nan), block], axis=1)
        # windows[..., 0] is c1 (the current hour), windows[..., 11] is c12.
        windows = np.lib.stride_tricks.sliding_window_view(padded, WINDOW, axis=1)[..., ::-1]
        present = ~np.isnan(windows)
        enough = present[..., :RECENT_HOURS].sum(axis=-1) >= RECENT_MIN
        with np.errstate(invalid="ignore", divide="ignore"):
            c_max = np.nanmax(np.where(present, windows, -np.inf), axis=-1)
            c_min = np.nanmin(np.where(present, windows, np.inf), axis=-1)
            w_star = np.where(c_max > 0, c_min / c_max, 1.0)
        w = np.where(w_star > W_MIN, w_star, W_MIN)
        weights = np.where(present, w[..., None] ** powers, 0.0)
        values = np.where(present, windows, 0.0)
        den = weights.sum(axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            result = (weights * values).sum(axis=-1) / den
        out[start : start + chunk_rows] = np.where(enough, result, np.nan)
    return out if np.ndim(hourly) > 1 else out[0]
