"""VN_AQI (Decision 1459/QĐ-TCMT) hourly and daily, vectorised over stations × hours.

Arrays are (series, hours) of consecutive hourly means with NaN for a missing hour. Hours are
labelled by their start: the hour starting 00:00 local time is the one the decision reports at
01:00, so a day (01:00–24:00 local, UTC+7) is the 24 hours starting 00:00–23:00 local.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from sensors.indices.aqi_us import us_sub_index
from sensors.indices.breakpoints import (
    EXTEND_ABOVE_TOP,
    GAS_PARAMETERS,
    O3_8H_CUTOFF,
    O3_8H_MIN_HOURS,
    PM_PARAMETERS,
    US_PARAMETERS,
    VN_AQI,
    VN_PARAMETERS,
)
from sensors.indices.categories import AQI_SCALES, Category, aqi_category
from sensors.indices.nowcast import nowcast_series

#: The AQI schemes, as their categories are declared (sensor.aqi_hourly.scheme).
SCHEMES: tuple[str, ...] = tuple(AQI_SCALES)


def round_half_up(x: np.ndarray | float) -> np.ndarray:
    """Round to the nearest integer, halves upwards (59.5 → 60, 109.5 → 110); NaN stays."""
    # Round to 9 places first so 109.49999999999 from float noise still counts as a half.
    return np.floor(np.round(np.asarray(x, dtype=float), 9) + 0.5)


def vn_sub_index(column: str, conc: np.ndarray | float) -> np.ndarray:
    """AQI_x = (I_{i+1} − I_i)/(BP_{i+1} − BP_i) × (C_x − BP_i) + I_i for a Bảng 2 column.

    ``column`` is a parameter code, or ``o3_1h``/``o3_8h``. Unrounded; NaN where no value.
    """
    bp = VN_AQI["o3_1h" if column == "o3" else column]
    conc_bp = np.asarray(bp.conc, dtype=float)
    index_bp = np.asarray(bp.index, dtype=float)
    c = np.asarray(conc, dtype=float)
    seg = np.clip(np.searchsorted(conc_bp, c, side="right") - 1, 0, len(conc_bp) - 2)
    lo_c, hi_c = conc_bp[seg], conc_bp[seg + 1]
    lo_i, hi_i = index_bp[seg], index_bp[seg + 1]
    result = (hi_i - lo_i) / (hi_c - lo_c) * (c - lo_c) + lo_i
    if not EXTEND_ABOVE_TOP:
        result = np.minimum(result, index_bp[-1])
    return np.where(np.isnan(c) | (c < 0), np.nan, result)


def sub_index(param: str, conc: np.ndarray | float, scheme: str = "vn") -> np.ndarray:
    """Sub-index of ``param`` in ``scheme`` (``vn`` or ``us``)."""
    if scheme == "us":
        return us_sub_index(param, conc)
    if scheme != "vn":
        raise ValueError(f"unknown AQI scheme {scheme!r}; use one of {SCHEMES}")
    return vn_sub_index(param, conc)


@dataclass
class AqiArrays:
    """AQI per series and time step: rounded AQI (NaN = none), dominant, sub-indices."""

    aqi: np.ndarray
    dominant: np.ndarray
    subs: dict[str, np.ndarray] = field(default_factory=dict)


def combine(subs: Mapping[str, np.ndarray]) -> AqiArrays:
    """AQI = max of the sub-indices, rounded; none unless PM2.5 or PM10 has a sub-index."""
    params = [p for p in VN_PARAMETERS if p in subs]
    if not params:
        raise ValueError("no sub-indices to combine")
    stack = np.stack([np.asarray(subs[p], dtype=float) for p in params])
    filled = np.where(np.isnan(stack), -np.inf, stack)
    best = filled.argmax(axis=0)
    top = np.take_along_axis(filled, best[None], axis=0)[0]
    has_pm = np.zeros(top.shape, dtype=bool)
    for p in PM_PARAMETERS:
        if p in subs:
            has_pm |= ~np.isnan(np.asarray(subs[p], dtype=float))
    valid = has_pm & np.isfinite(top)
    aqi = np.where(valid, round_half_up(np.where(valid, top, 0.0)), np.nan)
    names = np.array(params, dtype=object)[best]
    dominant = np.full(top.shape, None, dtype=object)
    dominant[valid] = names[valid]
    return AqiArrays(aqi=aqi, dominant=dominant, subs={p: subs[p] for p in params})


def _empty(
    hourly: Mapping[str, np.ndarray], shape_of: Callable[[np.ndarray], np.ndarray]
) -> AqiArrays:
    """No AQI anywhere: NaN AQI and no dominant, shaped like the result would be."""
    if not hourly:
        raise ValueError("no concentrations given")
    first = np.atleast_2d(np.asarray(next(iter(hourly.values())), dtype=float))
    shape = shape_of(first).shape
    return AqiArrays(aqi=np.full(shape, np.nan), dominant=np.full(shape, None, dtype=object))


def _params(hourly: Mapping[str, np.ndarray], scheme: str) -> list[str]:
    """Parameters of ``hourly`` that ``scheme`` uses."""
    allowed = US_PARAMETERS if scheme == "us" else VN_PARAMETERS
    return [p for p in allowed if p in hourly]


def hourly_aqi(hourly: Mapping[str, np.ndarray], scheme: str = "vn") -> AqiArrays:
    """AQI^h at every hour: NowCast for PM, 1 h means for gases (O3 on its 1 h column)."""
    subs: dict[str, np.ndarray] = {}
    for p in _params(hourly, scheme):
        values = np.atleast_2d(np.asarray(hourly[p], dtype=float))
        conc = nowcast_series(values) if p in PM_PARAMETERS else values
        subs[p] = sub_index(p, conc, scheme)
    return combine(subs) if subs else _empty(hourly, lambda a: a)


def rolling_mean(values: np.ndarray, hours: int, min_hours: int) -> np.ndarray:
    """Mean of the ``hours`` hours ending at each column (needs ``min_hours`` present)."""
    v = np.atleast_2d(np.asarray(values, dtype=float))
    present = ~np.isnan(v)
    zero = np.zeros((v.shape[0], 1))
    csum = np.concatenate([zero, np.cumsum(np.where(present, v, 0.0), axis=1)], axis=1)
    ccount = np.concatenate([zero, np.cumsum(present, axis=1)], axis=1)
    ends = np.arange(1, v.shape[1] + 1)
    starts = np.maximum(ends - hours, 0)
    total = csum[:, ends] - csum[:, starts]
    count = ccount[:, ends] - ccount[:, starts]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count >= min_hours, total / count, np.nan)


def _by_day(values: np.ndarray, lead: int) -> np.ndarray:
    """Reshape the columns after ``lead`` into (series, days, 24)."""
    core = values[:, lead:]
    if core.shape[1] % 24:
        raise ValueError("daily AQI needs whole days of 24 hourly columns after the lead")
    return core.reshape(core.shape[0], core.shape[1] // 24, 24)


def _nan_reduce(fn: str, days: np.ndarray) -> np.ndarray:
    """nanmean/nanmax over the hours of each day without all-NaN warnings."""
    present = ~np.isnan(days)
    any_present = present.any(axis=-1)
    if fn == "mean":
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(present, days, 0.0).sum(axis=-1) / present.sum(axis=-1)
    else:
        out = np.where(present, days, -np.inf).max(axis=-1)
    return np.where(any_present, out, np.nan)


def daily_aqi(hourly: Mapping[str, np.ndarray], lead: int = 0, scheme: str = "vn") -> AqiArrays:
    """AQI^d per day; columns after ``lead`` are whole local days (00:00–23:00 hour starts).

    The ``lead`` columns before the first day only feed the O3 rolling 8 h mean. PM: 24 h mean;
    SO2, NO2, CO: highest 1 h mean; O3: the larger sub-index of the highest 1 h mean and of the
    highest rolling 8 h mean, or the 1 h one alone when that 8 h mean exceeds 400 µg/m³.
    """
    subs: dict[str, np.ndarray] = {}
    for p in _params(hourly, scheme):
        values = np.atleast_2d(np.asarray(hourly[p], dtype=float))
        days = _by_day(values, lead)
        if p in PM_PARAMETERS:
            subs[p] = sub_index(p, _nan_reduce("mean", days), scheme)
        elif p == "o3":
            si_1h = vn_sub_index("o3_1h", _nan_reduce("max", days))
            max_8h = _nan_reduce("max", _by_day(rolling_mean(values, 8, O3_8H_MIN_HOURS), lead))
            si_8h = vn_sub_index("o3_8h", max_8h)
            use_8h = ~np.isnan(si_8h) & (max_8h <= O3_8H_CUTOFF)
            subs[p] = np.where(use_8h, np.fmax(si_1h, si_8h), si_1h)
        elif p in GAS_PARAMETERS:
            subs[p] = sub_index(p, _nan_reduce("max", days), scheme)
    return combine(subs) if subs else _empty(hourly, lambda a: _by_day(a, lead)[..., 0])


@dataclass(frozen=True)
class AqiValue:
    """One AQI value with its dominant parameter, sub-indices and category."""

    aqi: int
    dominant: str
    sub_indices: dict[str, float]
    category: Category


def aqi_from_concentrations(
    conc: Mapping[str, float | None], scheme: str = "vn"
) -> AqiValue | None:
    """AQI of ready averaged concentrations (keys: pm25, pm10, o3 or o3_1h/o3_8h, no2, …).

    Gives the sub-indices of the values as given (no NowCast or daily averaging): use it for a
    worked example or a check. None when neither PM2.5 nor PM10 is given.
    """
    subs: dict[str, np.ndarray] = {}
    for key, value in conc.items():
        if value is None:
            continue
        if key == "o3_8h" and value > O3_8H_CUTOFF:
            continue  # the daily rule: above 400 µg/m³ only the 1 h sub-index counts
        param = "o3" if key.startswith("o3") else key
        if scheme == "us" and param not in US_PARAMETERS:
            continue  # the US scheme here covers PM only
        column = key if scheme == "vn" else param
        si = sub_index(column, float(value), scheme)
        subs[param] = np.fmax(subs[param], si) if param in subs else si
    if not subs:
        return None
    result = combine({k: np.atleast_1d(v) for k, v in subs.items()})
    if np.isnan(result.aqi[0]):
        return None
    aqi = int(result.aqi[0])
    category = aqi_category(aqi, scheme)
    assert category is not None
    return AqiValue(
        aqi=aqi,
        dominant=str(result.dominant[0]),
        sub_indices={k: float(np.atleast_1d(v)[0]) for k, v in subs.items()},
        category=category,
    )
