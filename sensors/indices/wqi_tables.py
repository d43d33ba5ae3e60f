"""VN_WQI tables of Decision 1460/QĐ-TCMT (inland surface water).

Units: mg/L, except pesticides µg/L and Coliform/E.coli MPN/100 mL (as in the decision).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Table:
    """Breakpoints of a 'worse as it rises' parameter (Formula 1).

    ``points`` are (BP_i, q_i) with BP rising and q falling. Below the first BP the sub-index is
    ``below`` (100: a value "≤ BP" or "< BP" of the q = 100 row); above the last BP it is
    ``above`` (10, for a "> BP" last row). A "≥ BP → 10" last row is itself the last point.
    """

    points: tuple[tuple[float, float], ...]
    below: float = 100.0
    above: float = 10.0


#: Groups of parameters (codes as in sensors.properties, water kind).
GROUP_I = ("ph",)
GROUP_II = ("aldrin", "bhc", "dieldrin", "ddts", "heptachlor")
GROUP_III = ("as", "cd", "pb", "cr6", "cu", "zn", "hg")
GROUP_IV = ("do", "bod5", "cod", "toc", "nh4", "no3", "no2", "po4")
GROUP_V = ("coliform", "ecoli")
GROUPS: dict[str, tuple[str, ...]] = {
    "I": GROUP_I,
    "II": GROUP_II,
    "III": GROUP_III,
    "IV": GROUP_IV,
    "V": GROUP_V,
}

#: Groups IV and V: q = 100/75/50/25/10 (a "<" or ">" row changes where the step falls).
TABLES: dict[str, Table] = {
    # "≤4 / 6 / 15 / 25 / ≥50"
    "bod5": Table(((4, 100), (6, 75), (15, 50), (25, 25), (50, 10))),
    "cod": Table(((10, 100), (15, 75), (30, 50), (50, 25), (150, 10))),
    "toc": Table(((4, 100), (6, 75), (15, 50), (25, 25), (50, 10))),
    # "<0.3 / 0.3 / 0.6 / 0.9 / ≥5": 100 strictly below 0.3, 75 at 0.3.
    "nh4": Table(((0.3, 75), (0.6, 50), (0.9, 25), (5, 10))),
    # "≤2 / 5 / 10 / 15 / >15"
    "no3": Table(((2, 100), (5, 75), (10, 50), (15, 25))),
    # "≤0.05 / – / – / – / >0.05"
    "no2": Table(((0.05, 100),)),
    "po4": Table(((0.1, 100), (0.2, 75), (0.3, 50), (0.5, 25), (4, 10))),
    "coliform": Table(((2500, 100), (5000, 75), (7500, 50), (10000, 25))),
    "ecoli": Table(((20, 100), (50, 75), (100, 50), (200, 25))),
    # Group III (mg/L).
    "as": Table(((0.01, 100), (0.02, 75), (0.05, 50), (0.1, 25))),  # ">0.1 → 10"
    "cd": Table(((0.005, 75), (0.008, 50), (0.01, 25), (0.1, 10))),  # "<0.005"
    "pb": Table(((0.02, 75), (0.04, 50), (0.05, 25), (0.5, 10))),  # "<0.02"
    "cr6": Table(((0.01, 100), (0.02, 75), (0.04, 50), (0.05, 25), (0.1, 10))),
    "cu": Table(((0.1, 100), (0.2, 75), (0.5, 50), (1.0, 25), (2, 10))),
    "zn": Table(((0.5, 100), (1.0, 75), (1.5, 50), (2.0, 25), (3, 10))),
    "hg": Table(((0.001, 75), (0.0015, 50), (0.002, 25), (0.01, 10))),  # "<0.001"
}

#: Group II pass/fail limits (µg/L): 100 at or below, 10 above.
PESTICIDE_LIMITS: dict[str, float] = {
    "aldrin": 0.1,
    "bhc": 0.02,
    "dieldrin": 0.1,
    "ddts": 1.0,
    "heptachlor": 0.2,
}
PASS_Q = 100.0
FAIL_Q = 10.0

#: DO saturation polynomial (T water °C): DO_sat = 14.652 − 0.41022·T + 0.0079910·T² − …T³.
DO_SAT_COEFFS = (14.652, -0.41022, 0.0079910, -0.000077774)
#: DO% breakpoints and q (rising q up to 88 %, 100 on 88–112 %, falling beyond).
DO_BP = (20.0, 50.0, 75.0, 88.0, 112.0, 125.0, 150.0, 200.0)
DO_Q = (25.0, 50.0, 75.0, 100.0, 100.0, 75.0, 50.0, 25.0)
#: pH breakpoints: <5.5 → 10; 5.5–6 rising 50 → 100; 6–8.5 → 100; 8.5–9 falling 100 → 50; >9 → 10.
PH_BP = (5.5, 6.0, 8.5, 9.0)
PH_Q = (50.0, 100.0, 100.0, 50.0)
OUT_OF_RANGE_Q = 10.0

#: Minimum data: at least 3 of the 5 groups, and group IV with at least 3 parameters.
MIN_GROUPS = 3
MIN_GROUP_IV = 3
