"""VN_WQI (Decision 1460): sub-index tables and edges, DO, pH, pesticides, formulas, rules."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sensors.indices import compute_wqi, wqi_band
from sensors.indices.wqi import (
    do_percent,
    do_saturation,
    do_sub_index,
    pesticide_sub_index,
    ph_sub_index,
    table_sub_index,
)
from sensors.indices.wqi_tables import TABLES


@pytest.mark.parametrize(
    ("param", "conc", "q"),
    [
        ("bod5", 4, 100),
        ("bod5", 6, 75),
        ("bod5", 15, 50),
        ("bod5", 25, 25),
        ("bod5", 50, 10),
        ("bod5", 3, 100),
        ("bod5", 80, 10),
        ("cod", 10, 100),
        ("cod", 15, 75),
        ("cod", 30, 50),
        ("cod", 50, 25),
        ("cod", 150, 10),
        ("toc", 4, 100),
        ("toc", 50, 10),
        # N-NH4 "< 0.3" is 100 but 0.3 itself is 75.
        ("nh4", 0.29, 100),
        ("nh4", 0.3, 75),
        ("nh4", 0.6, 50),
        ("nh4", 0.9, 25),
        ("nh4", 5, 10),
        # N-NO3 "> 15" is 10 while 15 is 25.
        ("no3", 2, 100),
        ("no3", 5, 75),
        ("no3", 10, 50),
        ("no3", 15, 25),
        ("no3", 15.01, 10),
        ("no2", 0.05, 100),
        ("no2", 0.051, 10),
        ("po4", 0.1, 100),
        ("po4", 0.2, 75),
        ("po4", 0.3, 50),
        ("po4", 0.5, 25),
        ("po4", 4, 10),
        ("coliform", 2500, 100),
        ("coliform", 5000, 75),
        ("coliform", 7500, 50),
        ("coliform", 10000, 25),
        ("coliform", 10001, 10),
        ("ecoli", 20, 100),
        ("ecoli", 50, 75),
        ("ecoli", 100, 50),
        ("ecoli", 200, 25),
        ("ecoli", 201, 10),
        ("as", 0.01, 100),
        ("as", 0.02, 75),
        ("as", 0.05, 50),
        ("as", 0.1, 25),
        ("as", 0.11, 10),
        ("cd", 0.004, 100),
        ("cd", 0.005, 75),
        ("cd", 0.008, 50),
        ("cd", 0.01, 25),
        ("cd", 0.1, 10),
        ("pb", 0.019, 100),
        ("pb", 0.02, 75),
        ("pb", 0.04, 50),
        ("pb", 0.05, 25),
        ("pb", 0.5, 10),
        ("cr6", 0.01, 100),
        ("cr6", 0.02, 75),
        ("cr6", 0.04, 50),
        ("cr6", 0.05, 25),
        ("cr6", 0.1, 10),
        ("cu", 0.1, 100),
        ("cu", 0.2, 75),
        ("cu", 0.5, 50),
        ("cu", 1.0, 25),
        ("cu", 2, 10),
        ("zn", 0.5, 100),
        ("zn", 1.0, 75),
        ("zn", 1.5, 50),
        ("zn", 2.0, 25),
        ("zn", 3, 10),
        ("hg", 0.0009, 100),
        ("hg", 0.001, 75),
        ("hg", 0.0015, 50),
        ("hg", 0.002, 25),
        ("hg", 0.01, 10),
    ],
)
def test_table_edges(param: str, conc: float, q: float) -> None:
    assert table_sub_index(param, conc) == q


def test_formula_1_between_breakpoints() -> None:
    # BOD5 10 mg/L between 6 (q 75) and 15 (q 50): (75−50)/(15−6)·(15−10) + 50.
    assert table_sub_index("bod5", 10) == pytest.approx((75 - 50) / (15 - 6) * (15 - 10) + 50)
    # Cd between 0.01 (25) and 0.1 (10).
    assert table_sub_index("cd", 0.055) == pytest.approx((25 - 10) / 0.09 * (0.1 - 0.055) + 10)


def test_do_saturation_and_percent() -> None:
    t = 25.0
    expected = 14.652 - 0.41022 * t + 0.0079910 * t**2 - 0.000077774 * t**3
    assert do_saturation(t) == pytest.approx(expected)
    assert do_percent(expected * 0.7, t) == pytest.approx(70.0)


@pytest.mark.parametrize(
    ("pct", "q"),
    [
        (19.9, 10),
        (20, 25),
        (35, 37.5),
        (50, 50),
        (70, 70),
        (75, 75),
        (88, 100),
        (100, 100),
        (112, 100),
        (125, 75),
        (150, 50),
        (180, 35),
        (200, 25),
        (200.1, 10),
    ],
)
def test_do_sub_index(pct: float, q: float) -> None:
    # Formula 2 up to 88 %, 100 on 88–112 %, Formula 1 to 200 %, 10 outside 20–200 %.
    assert do_sub_index(pct) == pytest.approx(q)


@pytest.mark.parametrize(
    ("ph", "q"),
    [
        (5.4, 10),
        (5.5, 50),
        (5.75, 75),
        (6.0, 100),
        (7.0, 100),
        (8.5, 100),
        (8.75, 75),
        (9.0, 50),
        (9.1, 10),
    ],
)
def test_ph_sub_index(ph: float, q: float) -> None:
    assert ph_sub_index(ph) == pytest.approx(q)


def test_pesticides_pass_fail() -> None:
    limits = {"aldrin": 0.1, "bhc": 0.02, "dieldrin": 0.1, "ddts": 1.0, "heptachlor": 0.2}
    for param, lim in limits.items():
        assert pesticide_sub_index(param, lim) == 100
        assert pesticide_sub_index(param, lim * 1.01) == 10


FULL = {
    "ph": 7.0,  # 100
    "aldrin": 0.05,  # 100
    "bhc": 0.03,  # 10
    "as": 0.02,  # 75
    "bod5": 6.0,  # 75
    "cod": 10.0,  # 100
    "nh4": 0.6,  # 50
    "coliform": 5000.0,  # 75
    "ecoli": 20.0,  # 100
}


def test_formula_3() -> None:
    r = compute_wqi(FULL)
    expected = 1.0 * (math.sqrt(100 * 10) / 100) * (75 / 100) * math.sqrt(75 * 87.5)
    assert r.formula == 3 and r.raw == pytest.approx(expected)
    assert r.wqi == round(expected) == 19
    assert r.band is not None and r.band.key == "heavily_polluted" and r.band.rgb == (255, 0, 0)
    assert r.parameters == tuple(sorted(FULL))
    assert r.groups == {
        "I": ["ph"],
        "II": ["aldrin", "bhc"],
        "III": ["as"],
        "IV": ["bod5", "cod", "nh4"],
        "V": ["coliform", "ecoli"],
    }


def test_formula_5_and_4() -> None:
    r5 = compute_wqi(FULL, formula=5)
    base = 1.0 * (math.sqrt(1000) / 100) * 0.75
    assert r5.formula == 5 and r5.raw == pytest.approx(base * (75**2 * 87.5) ** (1 / 3))
    no_v = {k: v for k, v in FULL.items() if k not in ("coliform", "ecoli")}
    r4 = compute_wqi(no_v, formula=5)
    assert r4.formula == 4 and r4.raw == pytest.approx(base * 75)
    with pytest.raises(ValueError, match="formula"):
        compute_wqi(FULL, formula=4)


def test_absent_groups_drop_out() -> None:
    only = {"ph": 8.75, "bod5": 4, "cod": 10, "nh4": 0.1, "coliform": 2500}
    r = compute_wqi(only)
    assert r.raw == pytest.approx(0.75 * 100)
    assert r.wqi == 75 and r.band is not None and r.band.key == "medium"


def test_minimum_data_rules() -> None:
    two_iv = compute_wqi({"ph": 7, "bod5": 4, "cod": 10, "coliform": 100, "as": 0.001})
    assert two_iv.wqi is None and "group IV" in (two_iv.reason or "")
    two_groups = compute_wqi({"ph": 7, "bod5": 4, "cod": 10, "nh4": 0.1})
    assert two_groups.wqi is None and "3 of the 5 groups" in (two_groups.reason or "")
    # DO without a water temperature cannot count: the reason says so.
    no_temp = compute_wqi({"ph": 7, "do": 7, "bod5": 4, "cod": 10, "coliform": 10})
    assert no_temp.wqi is None and "water temperature" in (no_temp.reason or "")
    with_temp = compute_wqi(
        {"ph": 7, "do": 7, "water_temperature": 25, "bod5": 4, "cod": 10, "coliform": 10}
    )
    assert with_temp.wqi is not None and "do" in with_temp.parameters


@pytest.mark.parametrize(
    ("wqi", "key", "rgb"),
    [
        (100, "very_good", (51, 51, 255)),
        (91, "very_good", (51, 51, 255)),
        (90, "good", (0, 228, 0)),
        (76, "good", (0, 228, 0)),
        (75, "medium", (255, 255, 0)),
        (51, "medium", (255, 255, 0)),
        (50, "poor", (255, 126, 0)),
        (26, "poor", (255, 126, 0)),
        (25, "heavily_polluted", (255, 0, 0)),
        (10, "heavily_polluted", (255, 0, 0)),
        (9, "very_heavily_polluted", (126, 0, 35)),
        (0, "very_heavily_polluted", (126, 0, 35)),
    ],
)
def test_bands(wqi: int, key: str, rgb: tuple[int, int, int]) -> None:
    band = wqi_band(wqi)
    assert band is not None and band.key == key and band.rgb == rgb and band.message_vi


@settings(max_examples=300, deadline=None)
@given(
    param=st.sampled_from(sorted(TABLES)),
    a=st.floats(0, 20000, allow_nan=False),
    b=st.floats(0, 20000, allow_nan=False),
    scale=st.sampled_from([0.0001, 0.01, 1.0]),
)
def test_sub_index_never_improves_when_pollutant_rises(param, a, b, scale) -> None:
    lo, hi = sorted((a * scale, b * scale))
    assert table_sub_index(param, hi) <= table_sub_index(param, lo)


@settings(max_examples=200, deadline=None)
@given(
    param=st.sampled_from(["bod5", "cod", "nh4", "coliform", "ecoli", "as", "bhc"]),
    factor=st.floats(1.0, 50.0, allow_nan=False),
)
def test_wqi_never_improves_when_pollutant_rises(param, factor) -> None:
    raised = dict(FULL)
    raised[param] = FULL[param] * factor
    assert compute_wqi(raised).raw <= compute_wqi(FULL).raw + 1e-9
