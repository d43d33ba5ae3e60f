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


def nowcast_series(hourly: np.ndarray) -> np.ndarray:
    """NowCast at every hour of consecutive hourly means, shape (series, hours); NaN = missing.

    The value at column t uses columns t, t−1, … t−11 (columns before 0 count as missing).
    Computed lag by lag on array slices: 12 passes, no (series, hours, 12) temporaries.
    """
    data = np.atleast_2d(np.asarray(hourly, dtype=float))
    n = data.shape[1]
    present = ~np.isnan(data)
    values = np.where(present, data, 0.0)
    recent = np.zeros(data.shape, dtype=np.int8)
    c_max = np.full(data.shape, -np.inf)
    c_min = np.full(data.shape, np.inf)
    for k in range(min(WINDOW, n)):
        # Column t sees c_{k+1} = data[t − k]: the slices [k:] and [:n − k] line up.
        if k < RECENT_HOURS:
            recent[:, k:] += present[:, : n - k]
        np.fmax(c_max[:, k:], data[:, : n - k], out=c_max[:, k:])
        np.fmin(c_min[:, k:], data[:, : n - k], out=c_min[:, k:])
    with np.errstate(invalid="ignore", divide="ignore"):
        w_star = np.where(c_max > 0, c_min / c_max, 1.0)
    w = np.where(w_star > W_MIN, w_star, W_MIN)
    num = np.zeros(data.shape)
    den = np.zeros(data.shape)
    weight = np.ones(data.shape)
    for k in range(min(WINDOW, n)):
        num[:, k:] += weight[:, k:] * values[:, : n - k]
        den[:, k:] += weight[:, k:] * present[:, : n - k]
        weight *= w
    with np.errstate(invalid="ignore", divide="ignore"):
        result = np.where(recent >= RECENT_MIN, num / den, np.nan)
    return result if np.ndim(hourly) > 1 else result[0]
