"""VN_AQI and US AQI: the decision's worked example, breakpoint edges, NowCast, daily rules."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sensors.indices import (
    aqi_category,
    aqi_from_concentrations,
    daily_aqi,
    hourly_aqi,
    nowcast,
    nowcast_series,
    round_half_up,
    sub_index,
    vn_sub_index,
)
from sensors.indices.breakpoints import VN_AQI
from sensors.indices.nowcast import weight_factor

NAN = math.nan


def test_worked_example_hourly() -> None:
    # Decision 1459 example: O3 136.1 → 43; NO2 118.7 → 59.35 (the text prints 60, its own
    # error); PM2.5 NowCast 20.3 → 41; AQI^h = max = 59 rounded.
    assert float(vn_sub_index("o3_1h", 136.1)) == pytest.approx(42.53125)
    assert round_half_up(vn_sub_index("o3_1h", 136.1)) == 43
    assert float(vn_sub_index("no2", 118.7)) == pytest.approx(59.35)
    assert round_half_up(vn_sub_index("pm25", 20.3)) == 41
    result = aqi_from_concentrations({"o3": 136.1, "no2": 118.7, "pm25": 20.3})
    assert result is not None
    assert result.aqi == 59
    assert result.dominant == "no2"
    assert result.category.key == "moderate"
    assert result.category.rgb == (255, 255, 0)


def test_worked_example_daily() -> None:
    assert round_half_up(vn_sub_index("o3_8h", 89.3)) == 45
    assert round_half_up(vn_sub_index("o3_1h", 114.6)) == 36
    assert round_half_up(vn_sub_index("no2", 130.8)) == 65
    assert round_half_up(vn_sub_index("pm25", 55.7)) == 110  # 109.5 rounds up
    result = aqi_from_concentrations({"o3_8h": 89.3, "o3_1h": 114.6, "no2": 130.8, "pm25": 55.7})
    assert result is not None and result.aqi == 110 and result.dominant == "pm25"
    assert result.category.name_vi == "Kém" and result.category.rgb == (255, 126, 0)


@pytest.mark.parametrize("column", sorted(VN_AQI))
def test_every_breakpoint_edge(column: str) -> None:
    bp = VN_AQI[column]
    for conc, index in zip(bp.conc, bp.index, strict=True):
        assert float(vn_sub_index(column, conc)) == pytest.approx(index, abs=1e-9)
        # Just below and just above the edge stay on either side of it.
        if conc > 0:
            assert float(vn_sub_index(column, conc - 1e-6)) < index
        assert float(vn_sub_index(column, conc + 1e-6)) > index


@pytest.mark.parametrize(
    ("aqi", "key", "rgb"),
    [
        (0, "good", (0, 228, 0)),
        (50, "good", (0, 228, 0)),
        (51, "moderate", (255, 255, 0)),
        (100, "moderate", (255, 255, 0)),
        (101, "poor", (255, 126, 0)),
        (150, "poor", (255, 126, 0)),
        (151, "bad", (255, 0, 0)),
        (200, "bad", (255, 0, 0)),
        (201, "very_bad", (143, 63, 151)),
        (300, "very_bad", (143, 63, 151)),
        (301, "hazardous", (126, 0, 35)),
        (500, "hazardous", (126, 0, 35)),
        (612, "hazardous", (126, 0, 35)),
    ],
)
def test_category_edges(aqi: int, key: str, rgb: tuple[int, int, int]) -> None:
    cat = aqi_category(aqi)
    assert cat is not None and cat.key == key and cat.rgb == rgb
    assert cat.message_vi and cat.advice_vi and cat.message_en and cat.advice_en


def test_category_names_vietnamese() -> None:
    names = [aqi_category(v).name_vi for v in (25, 75, 125, 175, 250, 400)]  # type: ignore[union-attr]
    assert names == ["Tốt", "Trung bình", "Kém", "Xấu", "Rất xấu", "Nguy hại"]


def test_nowcast_weight_rule() -> None:
    # Steady values: w* = 1 → plain mean.
    assert nowcast([10.0] * 12) == pytest.approx(10.0)
    # w* = 0.2 < 0.5 → w = 0.5, normalised: (40 + 0.5·10) / 1.5.
    assert weight_factor([40.0, 10.0]) == 0.5
    assert nowcast([40.0, 10.0]) == pytest.approx(45.0 / 1.5)
    # w* = 0.8 > 0.5 → w = 0.8.
    values = [50.0, 40.0, 45.0]
    w = 0.8
    expected = (50 + w * 40 + w * w * 45) / (1 + w + w * w)
    assert weight_factor(values) == pytest.approx(w)
    assert nowcast(values) == pytest.approx(expected)


def test_nowcast_with_gaps() -> None:
    # Two of the last three present (c2 missing): allowed; the missing hour has weight 0.
    values = [30.0, None, 20.0, None, 10.0]
    w = 0.5  # 10/30 < 0.5
    expected = (30 + w**2 * 20 + w**4 * 10) / (1 + w**2 + w**4)
    assert nowcast(values) == pytest.approx(expected)
    # Only one of the last three: no NowCast, whatever comes after.
    assert nowcast([30.0, None, None, 20.0, 20.0]) is None
    assert nowcast([None, None, 30.0, 20.0]) is None
    # Only the first 12 hours count.
    assert nowcast([10.0, 10.0] + [None] * 10 + [1000.0]) == pytest.approx(10.0)


def test_nowcast_series_matches_scalar() -> None:
    rng = np.random.default_rng(7)
    data = rng.gamma(2.0, 20.0, size=(3, 60))
    data[rng.random(data.shape) < 0.3] = np.nan
    series = nowcast_series(data)
    for s in range(3):
        for t in range(60):
            window = [
                None if np.isnan(v) else float(v) for v in data[s, max(0, t - 11) : t + 1][::-1]
            ]
            expected = nowcast(window)
            got = series[s, t]
            if expected is None:
                assert np.isnan(got)
            else:
                assert got == pytest.approx(expected)


def test_hourly_aqi_needs_pm_and_uses_nowcast() -> None:
    hours = 5
    pm25 = np.array([[20.0, 20.0, NAN, NAN, NAN]])
    no2 = np.array([[118.7] * hours])
    result = hourly_aqi({"pm25": pm25, "no2": no2})
    # Hour 0 has only c1: no NowCast, so no AQI although NO2 is there.
    assert np.isnan(result.aqi[0][0]) and result.dominant[0][0] is None
    assert result.aqi[0][1] == 59 and result.dominant[0][1] == "no2"
    # Hour 2: c1 missing but c2, c3 present → NowCast 20 still; hour 3: only c3 → no PM, no AQI.
    assert result.aqi[0][2] == 59
    assert np.isnan(result.aqi[0][3]) and result.dominant[0][3] is None
    gases_only = hourly_aqi({"no2": no2})
    assert np.isnan(gases_only.aqi).all()


def _day(value: float) -> np.ndarray:
    return np.full((1, 24), value)


def test_daily_rules_pm_mean_and_gas_max() -> None:
    pm25 = np.concatenate([np.full(12, 40.0), np.full(12, 71.4)])[None]
    no2 = np.concatenate([np.full(23, 20.0), [130.8]])[None]
    result = daily_aqi({"pm25": pm25, "no2": no2})
    # 24 h mean of PM2.5 = 55.7 → 110 (pm25 dominant); NO2 highest 1 h 130.8 → 65.
    assert result.subs["no2"][0][0] == pytest.approx(65.4)
    assert result.aqi[0][0] == 110 and result.dominant[0][0] == "pm25"


def test_daily_o3_8h_rule() -> None:
    pm = _day(10.0)
    # 8 hours at 150 µg/m³: 8h column 150 → 135 beats the 1 h column (150 → 46.9).
    o3 = np.concatenate([np.full(16, 50.0), np.full(8, 150.0)])[None]
    result = daily_aqi({"pm25": pm, "o3": o3})
    assert result.aqi[0][0] == round_half_up(vn_sub_index("o3_8h", 150.0))
    assert result.dominant[0][0] == "o3"
    # Highest 8 h mean above 400 µg/m³: only the 1 h sub-index counts.
    o3_high = np.concatenate([np.full(16, 50.0), np.full(8, 450.0)])[None]
    high = daily_aqi({"pm25": pm, "o3": o3_high})
    assert high.subs["o3"][0][0] == pytest.approx(float(vn_sub_index("o3_1h", 450.0)))
    # Exactly 400: the 8 h column still counts (its top breakpoint, I = 300).
    o3_400 = np.concatenate([np.full(16, 50.0), np.full(8, 400.0)])[None]
    at_400 = daily_aqi({"pm25": pm, "o3": o3_400})
    assert at_400.subs["o3"][0][0] == pytest.approx(300.0)


def test_daily_o3_8h_uses_previous_evening() -> None:
    # The lead hours (previous day) feed the rolling 8 h mean of the first hours of the day.
    lead = np.full(7, 200.0)
    day = np.concatenate([[200.0], np.full(23, 0.0)])
    o3 = np.concatenate([lead, day])[None]
    pm = np.concatenate([np.full(7, NAN), np.full(24, 10.0)])[None]
    result = daily_aqi({"pm25": pm, "o3": o3}, lead=7)
    assert result.subs["o3"][0][0] == pytest.approx(float(vn_sub_index("o3_8h", 200.0)))


def test_daily_needs_whole_days() -> None:
    with pytest.raises(ValueError, match="whole days"):
        daily_aqi({"pm25": np.ones((1, 30))})


def test_us_scheme_pm25_2024_breakpoints() -> None:
    edges = {
        0.0: 0,
        9.0: 50,
        9.1: 51,
        35.4: 100,
        35.5: 101,
        55.4: 150,
        55.5: 151,
        125.4: 200,
        125.5: 201,
        225.4: 300,
        225.5: 301,
        325.4: 500,
    }
    for conc, expected in edges.items():
        assert round_half_up(sub_index("pm25", conc, "us")) == expected, conc
    # Truncation to one decimal before the lookup: 9.09 → 9.0 → 50.
    assert round_half_up(sub_index("pm25", 9.09, "us")) == 50
    pm10 = {
        0: 0,
        54: 50,
        55: 51,
        154: 100,
        155: 101,
        254: 150,
        255: 151,
        354: 200,
        355: 201,
        424: 300,
        425: 301,
        604: 500,
        54.9: 50,
    }
    for conc, expected in pm10.items():
        assert round_half_up(sub_index("pm10", conc, "us")) == expected, conc
    assert aqi_category(120, "us").name_en == "Unhealthy for Sensitive Groups"  # type: ignore[union-attr]


def test_us_scheme_hourly_ignores_gases() -> None:
    result = hourly_aqi({"pm25": np.full((1, 3), 35.5), "no2": np.full((1, 3), 500.0)}, "us")
    assert list(result.aqi[0][1:]) == [101, 101] and result.dominant[0][1] == "pm25"


def test_unknown_scheme() -> None:
    with pytest.raises(ValueError, match="scheme"):
        sub_index("pm25", 1.0, "eu")


def test_us_scheme_from_concentrations_uses_pm_only() -> None:
    result = aqi_from_concentrations({"pm25": 35.5, "no2": 900.0, "o3_8h": 100.0}, "us")
    assert result is not None and result.aqi == 101 and result.dominant == "pm25"
    assert result.category.name_en == "Unhealthy for Sensitive Groups"
