"""Property tests: an index never falls when a concentration rises, and the two documented
exceptions of the decision's own rules (the O3 > 400 rule, the NowCast weight rule)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sensors.indices import daily_aqi, hourly_aqi, nowcast, sub_index, vn_sub_index
from sensors.indices.breakpoints import VN_AQI


def _day(value: float) -> np.ndarray:
    return np.full((1, 24), value)


@settings(max_examples=300, deadline=None)
@given(
    column=st.sampled_from(sorted(VN_AQI)),
    a=st.floats(0, 5000, allow_nan=False),
    b=st.floats(0, 5000, allow_nan=False),
    scale=st.sampled_from([0.1, 1.0, 30.0]),
)
def test_sub_index_never_falls_when_concentration_rises(column, a, b, scale) -> None:
    lo, hi = sorted((a * scale, b * scale))
    assert float(vn_sub_index(column, hi)) >= float(vn_sub_index(column, lo))


@settings(max_examples=200, deadline=None)
@given(
    base=st.lists(st.floats(0, 600, allow_nan=False), min_size=24, max_size=24),
    hour=st.integers(0, 23),
    bump=st.floats(0, 300, allow_nan=False),
    param=st.sampled_from(["pm25", "pm10", "o3", "no2", "so2", "co"]),
    scheme=st.sampled_from(["vn", "us"]),
)
def test_daily_aqi_never_falls_when_a_concentration_rises(base, hour, bump, param, scheme) -> None:
    if param == "o3":
        # The decision's > 400 µg/m³ rule drops the 8 h sub-index (up to 300) for the 1 h one
        # (from 200): the one place the daily index may fall (test_o3_rule_discontinuity).
        base = [min(v, 399.0) for v in base]
        bump = min(bump, 399.0 - base[hour])
    values = {"pm25": np.array([base]), param: np.array([base]) * (10 if param == "co" else 1)}
    raised = {k: v.copy() for k, v in values.items()}
    raised[param][0, hour] += bump
    before, after = daily_aqi(values, scheme=scheme), daily_aqi(raised, scheme=scheme)
    assert after.aqi[0][0] >= before.aqi[0][0]


@settings(max_examples=200, deadline=None)
@given(
    base=st.lists(st.floats(0, 600, allow_nan=False), min_size=12, max_size=12),
    hour=st.integers(0, 11),
    bump=st.floats(0, 300, allow_nan=False),
)
def test_hourly_aqi_never_falls_when_current_hour_rises(base, hour, bump) -> None:
    # The current hour c1 (last column) rising never lowers the NowCast AQI at that hour.
    values = np.array([base])
    raised = values.copy()
    raised[0, -1] += bump
    assert hourly_aqi({"pm25": raised}).aqi[0][-1] >= hourly_aqi({"pm25": values}).aqi[0][-1]


def test_o3_rule_discontinuity() -> None:
    # Documented consequence of the > 400 rule: crossing it lowers the O3 daily sub-index.
    pm = _day(10.0)
    below = daily_aqi(
        {"pm25": pm, "o3": np.concatenate([np.full(16, 0.0), np.full(8, 399.0)])[None]}
    )
    above = daily_aqi(
        {"pm25": pm, "o3": np.concatenate([np.full(16, 0.0), np.full(8, 401.0)])[None]}
    )
    assert below.aqi[0][0] == 299 and above.aqi[0][0] == 200


@settings(max_examples=300, deadline=None)
@given(
    param=st.sampled_from(["pm25", "pm10"]),
    a=st.floats(0, 700, allow_nan=False),
    b=st.floats(0, 700, allow_nan=False),
)
def test_us_sub_index_never_falls_when_concentration_rises(param, a, b) -> None:
    lo, hi = sorted((a, b))
    assert float(sub_index(param, hi, "us")) >= float(sub_index(param, lo, "us"))


def test_nowcast_can_fall_when_an_older_hour_rises() -> None:
    # A property of the decision's weight rule, documented rather than hidden: raising the
    # oldest hour (the minimum) raises w* = c_min/c_max, which moves weight from the high
    # current hour to the older ones, so the NowCast falls (78.0 → 76.0). The current hour
    # rising never lowers it (test_hourly_aqi_never_falls_when_current_hour_rises).
    before = nowcast([100.0] + [60.0] * 10 + [55.0])
    after = nowcast([100.0] + [60.0] * 10 + [60.0])
    assert before is not None and after is not None and after < before
