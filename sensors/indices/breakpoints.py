"""Breakpoint tables of VN_AQI (Decision 1459/QĐ-TCMT, Bảng 2) and of the US EPA AQI (2024).

All VN concentrations are µg/m³ (CO too). Each table is a pair of equal-length tuples:
concentration breakpoints ``BP_i`` and index breakpoints ``I_i``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Breakpoints:
    """One column of a breakpoint table: concentrations and the index values they map to."""

    conc: tuple[float, ...]
    index: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.conc) != len(self.index) or len(self.conc) < 2:
            raise ValueError("breakpoint columns must have the same length (≥ 2)")


#: Index breakpoints I_i of Bảng 2 (rows 1–8).
VN_INDEX: tuple[float, ...] = (0, 50, 100, 150, 200, 300, 400, 500)

#: Bảng 2, one column per parameter (µg/m³). O3 8h has no rows 7–8 in the decision.
VN_AQI: dict[str, Breakpoints] = {
    "o3_1h": Breakpoints((0, 160, 200, 300, 400, 800, 1000, 1200), VN_INDEX),
    "o3_8h": Breakpoints((0, 100, 120, 170, 210, 400), VN_INDEX[:6]),
    "co": Breakpoints((0, 10000, 30000, 45000, 60000, 90000, 120000, 150000), VN_INDEX),
    "so2": Breakpoints((0, 125, 350, 550, 800, 1600, 2100, 2630), VN_INDEX),
    "no2": Breakpoints((0, 100, 200, 700, 1200, 2350, 3100, 3850), VN_INDEX),
    "pm10": Breakpoints((0, 50, 150, 250, 350, 420, 500, 600), VN_INDEX),
    "pm25": Breakpoints((0, 25, 50, 80, 150, 250, 350, 500), VN_INDEX),
}

#: Parameters of VN_AQI in the order used to break ties for the dominant parameter.
VN_PARAMETERS: tuple[str, ...] = ("pm25", "pm10", "o3", "no2", "so2", "co")

#: PM parameters (NowCast hourly, 24 h mean daily); at least one is mandatory for an AQI.
PM_PARAMETERS: tuple[str, ...] = ("pm25", "pm10")

#: Gases (1-hour mean hourly, highest 1-hour mean daily; O3 has its own daily rule).
GAS_PARAMETERS: tuple[str, ...] = ("o3", "no2", "so2", "co")

#: Daily O3 rule: above this highest rolling 8 h mean (µg/m³) only the 1 h sub-index is used.
O3_8H_CUTOFF = 400.0

# ⚠ Unverified: the decision does not state how many of the 8 hours a rolling 8 h mean needs.
# We take 6 of 8 (75 %, the usual completeness rule) until the signed text says otherwise.
O3_8H_MIN_HOURS = 6

# ⚠ Unverified: the decision's table ends at I = 500; above the top breakpoint we extend the
# last segment (the index keeps rising, the category stays "Nguy hại") rather than clip.
EXTEND_ABOVE_TOP = True

#: US EPA AQI, 2024 PM2.5 revision (24 h µg/m³, truncated to 1 decimal) and PM10 (integer).
#: Each segment is (C_lo, C_hi, I_lo, I_hi): the EPA formula interpolates within a segment.
US_PM25_SEGMENTS: tuple[tuple[float, float, float, float], ...] = (
    (0.0, 9.0, 0, 50),
    (9.1, 35.4, 51, 100),
    (35.5, 55.4, 101, 150),
    (55.5, 125.4, 151, 200),
    (125.5, 225.4, 201, 300),
    (225.5, 325.4, 301, 500),
)
US_PM10_SEGMENTS: tuple[tuple[float, float, float, float], ...] = (
    (0, 54, 0, 50),
    (55, 154, 51, 100),
    (155, 254, 101, 150),
    (255, 354, 151, 200),
    (355, 424, 201, 300),
    (425, 604, 301, 500),
)
#: Decimal places each US parameter is truncated to before the lookup.
US_TRUNCATE: dict[str, int] = {"pm25": 1, "pm10": 0}
US_SEGMENTS: dict[str, tuple[tuple[float, float, float, float], ...]] = {
    "pm25": US_PM25_SEGMENTS,
    "pm10": US_PM10_SEGMENTS,
}
#: Parameters of the US scheme implemented here (the reference gives the PM tables only).
US_PARAMETERS: tuple[str, ...] = ("pm25", "pm10")
