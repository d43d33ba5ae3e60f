"""VN_WQI (Decision 1460/QĐ-TCMT): sub-indices, minimum-data rules and formulas 3, 4 and 5."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sensors.indices.aqi import round_half_up
from sensors.indices.categories import Category, wqi_band
from sensors.indices.wqi_tables import (
    DO_BP,
    DO_Q,
    DO_SAT_COEFFS,
    FAIL_Q,
    GROUPS,
    MIN_GROUP_IV,
    MIN_GROUPS,
    OUT_OF_RANGE_Q,
    PASS_Q,
    PESTICIDE_LIMITS,
    PH_BP,
    PH_Q,
    TABLES,
)

FORMULAS = (3, 5)


def piecewise(
    bps: Sequence[float], qs: Sequence[float], c: float, below: float, above: float
) -> float:
    """Sub-index on breakpoints: Formula 1 where q falls, Formula 2 where q rises.

    At a breakpoint the sub-index is that breakpoint's q; below the first breakpoint it is
    ``below``, above the last one ``above``.
    """
    if c < bps[0]:
        return below
    if c > bps[-1]:
        return above
    for i, bp in enumerate(bps):
        if c == bp:
            return float(qs[i])
    i = max(j for j, bp in enumerate(bps) if bp < c)
    bp_i, bp_n, q_i, q_n = bps[i], bps[i + 1], qs[i], qs[i + 1]
    if q_n < q_i:  # Formula 1
        return (q_i - q_n) / (bp_n - bp_i) * (bp_n - c) + q_n
    if q_n > q_i:  # Formula 2
        return (q_n - q_i) / (bp_n - bp_i) * (c - bp_i) + q_i
    return float(q_i)


def do_saturation(water_temperature: float) -> float:
    """Saturated dissolved oxygen (mg/L) at a water temperature (°C)."""
    t = water_temperature
    a, b, c, d = DO_SAT_COEFFS
    return a + b * t + c * t**2 + d * t**3


def do_percent(do_mg_l: float, water_temperature: float) -> float:
    """DO saturation percentage: DO / DO_sat × 100."""
    return do_mg_l / do_saturation(water_temperature) * 100.0


def do_sub_index(do_pct: float) -> float:
    """Sub-index of DO%: < 20 or > 200 → 10; Formula 2 to 88; 100 on 88–112; Formula 1 on."""
    return piecewise(DO_BP, DO_Q, do_pct, OUT_OF_RANGE_Q, OUT_OF_RANGE_Q)


def ph_sub_index(ph: float) -> float:
    """Sub-index of pH: < 5.5 → 10; 5.5–6 rising; 6–8.5 → 100; 8.5–9 falling; > 9 → 10."""
    return piecewise(PH_BP, PH_Q, ph, OUT_OF_RANGE_Q, OUT_OF_RANGE_Q)


def table_sub_index(param: str, c: float) -> float:
    """Sub-index of a group III, IV or V parameter (Formula 1 on its table)."""
    table = TABLES[param]
    bps = [p[0] for p in table.points]
    qs = [p[1] for p in table.points]
    return piecewise(bps, qs, c, table.below, table.above)


def pesticide_sub_index(param: str, c: float) -> float:
    """Group II pass/fail: 100 at or below the limit (µg/L), 10 above."""
    return PASS_Q if c <= PESTICIDE_LIMITS[param] else FAIL_Q


@dataclass(frozen=True)
class WqiResult:
    """A VN_WQI with how it was computed, or no WQI and the reason."""

    wqi: int | None
    raw: float | None
    band: Category | None
    formula: int | None
    parameters: tuple[str, ...]
    sub_indices: dict[str, float] = field(default_factory=dict)
    groups: dict[str, list[str]] = field(default_factory=dict)
    reason: str | None = None


def sub_indices(values: Mapping[str, float | None]) -> tuple[dict[str, float], list[str]]:
    """Sub-index of every usable parameter in ``values``, and notes on what was left out."""
    out: dict[str, float] = {}
    notes: list[str] = []
    present = {k: float(v) for k, v in values.items() if v is not None and not math.isnan(v)}
    for param, c in present.items():
        if param == "ph":
            out[param] = ph_sub_index(c)
        elif param == "do":
            temp = present.get("water_temperature")
            if temp is None:
                notes.append("DO left out: no water temperature for the saturation")
                continue
            out[param] = do_sub_index(do_percent(c, temp))
        elif param in PESTICIDE_LIMITS:
            out[param] = pesticide_sub_index(param, c)
        elif param in TABLES:
            out[param] = table_sub_index(param, c)
    return out, notes


def compute_wqi(values: Mapping[str, float | None], formula: int = 3) -> WqiResult:
    """VN_WQI from one set of measured values (codes of sensors.properties, water kind).

    ``formula`` 3 (default) or 5 (organic pollution weighting); without group V Formula 4 is
    used. A group absent from the data drops out of the product. No WQI (``wqi`` None, with
    ``reason``) unless at least 3 groups are present and group IV has at least 3 parameters.
    """
    if formula not in FORMULAS:
        raise ValueError(f"formula must be 3 or 5, not {formula}")
    si, notes = sub_indices(values)
    groups = {g: [p for p in params if p in si] for g, params in GROUPS.items()}
    groups = {g: ps for g, ps in groups.items() if ps}
    params = tuple(sorted(si))
    reason = None
    if len(groups.get("IV", [])) < MIN_GROUP_IV:
        reason = (
            f"group IV needs at least {MIN_GROUP_IV} parameters, has {len(groups.get('IV', []))}"
        )
    elif len(groups) < MIN_GROUPS:
        reason = f"at least {MIN_GROUPS} of the 5 groups are needed, has {len(groups)}"
    if reason:
        if notes:
            reason += "; " + "; ".join(notes)
        return WqiResult(None, None, None, None, params, si, groups, reason)

    def geo(group: str) -> float:
        vals = [si[p] for p in groups[group]]
        return math.prod(vals) ** (1.0 / len(vals)) / 100.0

    factor = 1.0
    if "I" in groups:
        factor *= si["ph"] / 100.0
    for g in ("II", "III"):
        if g in groups:
            factor *= geo(g)
    mean_iv = sum(si[p] for p in groups["IV"]) / len(groups["IV"])
    if "V" in groups:
        mean_v = sum(si[p] for p in groups["V"]) / len(groups["V"])
        if formula == 5:
            organic = (mean_iv**2 * mean_v) ** (1.0 / 3.0)
        else:
            organic = (mean_iv * mean_v) ** 0.5
        used = formula
    else:
        organic, used = mean_iv, 4
    raw = factor * organic
    wqi = int(round_half_up(raw))
    return WqiResult(wqi, raw, wqi_band(wqi), used, params, si, groups, "; ".join(notes) or None)
