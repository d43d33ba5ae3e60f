"""US EPA AQI (2024 PM2.5 revision) sub-indices, for comparison with international sources."""

from __future__ import annotations

import numpy as np

from sensors.indices.breakpoints import US_SEGMENTS, US_TRUNCATE


def us_sub_index(param: str, conc: np.ndarray | float) -> np.ndarray:
    """EPA sub-index of ``param`` (pm25 or pm10, µg/m³), unrounded; NaN where no value.

    The concentration is truncated first (PM2.5 to 0.1, PM10 to 1); then
    I = (I_hi − I_lo)/(C_hi − C_lo) × (C − C_lo) + I_lo within its segment. Above the top
    segment the last segment is extended (as the 2024 rule does above AQI 500).
    """
    if param not in US_SEGMENTS:
        raise KeyError(f"the US scheme has no breakpoints for {param!r}")
    segments = np.array(US_SEGMENTS[param], dtype=float)
    c = np.asarray(conc, dtype=float)
    scale = 10.0 ** US_TRUNCATE[param]
    # Truncate (not round), guarding against 9.1 being stored as 9.0999999.
    t = np.floor(np.round(c * scale, 6)) / scale
    lows = segments[:, 0]
    seg = np.clip(np.searchsorted(lows, t, side="right") - 1, 0, len(segments) - 1)
    c_lo, c_hi, i_lo, i_hi = (segments[seg, k] for k in range(4))
    with np.errstate(invalid="ignore"):
        result = (i_hi - i_lo) / (c_hi - c_lo) * (t - c_lo) + i_lo
    return np.where(np.isnan(c) | (c < 0), np.nan, result)
