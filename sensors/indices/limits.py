"""Limits of QCVN 05:2023/BTNMT (ambient air, µg/Nm³) and QCVN 08:2023/BTNMT (surface water)."""

from __future__ import annotations

from datetime import date

#: Averaging periods and their length in hours (annual: a local calendar year).
PERIODS: dict[str, int] = {"1h": 1, "8h": 8, "24h": 24, "annual": 8760}

#: QCVN 05:2023, parameter → period → limit (µg/Nm³ at 25 °C, 760 mmHg).
AIR_LIMITS: dict[str, dict[str, float]] = {
    "so2": {"1h": 350, "24h": 125, "annual": 50},
    "co": {"1h": 30000, "8h": 10000},
    "no2": {"1h": 200, "24h": 100, "annual": 40},
    "o3": {"1h": 200, "8h": 120},
    "tsp": {"1h": 300, "24h": 200, "annual": 100},
    "pm10": {"24h": 100, "annual": 50},
    "pm25": {"24h": 50, "annual": 25},
}
#: From this date the PM2.5 24 h limit is 45 µg/Nm³ (QCVN 05:2023).
PM25_24H_2026 = 45.0
PM25_24H_2026_FROM = date(2026, 1, 1)

#: QCVN 08:2023, health-related maxima for surface water (mg/L), the selection we use.
WATER_LIMITS: dict[str, float] = {
    "no2": 0.05,
    "nh4": 0.3,
    "as": 0.01,
    "cd": 0.005,
    "pb": 0.02,
    "cr6": 0.01,
    "cu": 0.1,
    "zn": 0.5,
    "hg": 0.001,
    "fe": 0.5,
    "cn": 0.01,
    "phenol": 0.005,
    "oil_grease": 5.0,
}


def air_limit(param: str, period: str, on: date) -> float | None:
    """QCVN 05:2023 limit of ``param`` for ``period`` in force on ``on`` (None if undefined)."""
    if param == "pm25" and period == "24h" and on >= PM25_24H_2026_FROM:
        return PM25_24H_2026
    value = AIR_LIMITS.get(param, {}).get(period)
    return None if value is None else float(value)


def water_limit(param: str) -> float | None:
    """QCVN 08:2023 health-related maximum of ``param`` (mg/L), or None when not listed."""
    value = WATER_LIMITS.get(param)
    return None if value is None else float(value)


def limit(kind: str, param: str, period: str, on: date) -> float | None:
    """The limit for a station ``kind`` (air: QCVN 05, water: QCVN 08 on 1 h values)."""
    if kind == "air":
        return air_limit(param, period, on)
    if kind == "water":
        return water_limit(param) if period == "1h" else None
    # Facility points are judged by their own regulation (sensors.facilities.limits).
    return None
