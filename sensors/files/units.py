"""Units of station files → our UCUM units, with explicit conversions (gases at 25 °C, 1 atm).

Mass concentrations of gases are converted from mole fractions with the molar volume of an
ideal gas at the reference conditions QCVN 05:2023/BTNMT states for ambient air results
(25 °C, 760 mmHg = 101.325 kPa): V = R·T/p = 24.465 L/mol. ``Nm3`` and ``m3`` are read alike:
dataloggers report concentrations already normalised to those conditions.
"""

from __future__ import annotations

from collections.abc import Callable

R = 8.314462618  # J/(mol·K), CODATA 2018
REFERENCE_T = 298.15  # K (25 °C)
REFERENCE_P = 101325.0  # Pa (760 mmHg)
MOLAR_VOLUME_L = R * REFERENCE_T / REFERENCE_P * 1000  # L/mol, 24.465

# Spellings seen in dataloggers' files → canonical unit. Keys are compared case-sensitively
# after the micro sign and Greek mu are unified, because "mg/L" vs "Mg/L" should not be guessed.
_SPELLINGS: dict[str, str] = {
    "mg/L": "mg/L", "mg/l": "mg/L",
    "ug/L": "ug/L", "ug/l": "ug/L",
    "mg/Nm3": "mg/m3", "mg/m3": "mg/m3", "mg/Nm^3": "mg/m3", "mg/m^3": "mg/m3",
    "ug/Nm3": "ug/m3", "ug/m3": "ug/m3", "ug/Nm^3": "ug/m3", "ug/m^3": "ug/m3",
    "ppm": "ppm", "ppb": "ppb",
    "Cel": "Cel", "°C": "Cel", "oC": "Cel", "C": "Cel", "độ C": "Cel",
    "%": "%", "%V": "%", "%v": "%", "%vol": "%", "%RH": "%",
    "m3/h": "m3/h", "m3/giờ": "m3/h", "m^3/h": "m3/h",
    "Pt-Co": "{Pt-Co}", "Pt/Co": "{Pt-Co}", "PtCo": "{Pt-Co}",
    "kPa": "kPa", "Pa": "Pa",
    "NTU": "[NTU]", "uS/cm": "uS/cm",
    "pH": "[pH]", "-": "[pH]", "": "[pH]",
}
_UNITLESS = "[pH]"  # "-" and an empty unit are accepted for pH only
_SCALE: dict[tuple[str, str], float] = {
    ("mg/m3", "ug/m3"): 1000.0, ("ug/m3", "mg/m3"): 0.001,
    ("mg/L", "ug/L"): 1000.0, ("ug/L", "mg/L"): 0.001,
    ("kPa", "Pa"): 1000.0, ("Pa", "kPa"): 0.001,
    ("ppm", "ppb"): 1000.0, ("ppb", "ppm"): 0.001,
}
#: mole fraction unit → (mass concentration unit, factor) meaning value·factor·M/V
_MOLE: dict[tuple[str, str], float] = {
    ("ppm", "mg/m3"): 1.0, ("ppb", "ug/m3"): 1.0,
    ("ppm", "ug/m3"): 1000.0, ("ppb", "mg/m3"): 0.001,
}


class UnitError(ValueError):
    """The unit is unknown or cannot be converted to the property's unit."""


def canonical(unit: str) -> str:
    """The canonical spelling of a file's unit (UnitError when it is not one we know)."""
    key = unit.strip().replace("µ", "u").replace("μ", "u").replace("³", "3")
    if key in _SPELLINGS:
        return _SPELLINGS[key]
    raise UnitError(f"unknown unit {unit[:20]!r}")


def converter(unit: str, target: str, molar_mass: float | None) -> Callable[[float], float]:
    """A function converting values in the file's ``unit`` to ``target`` (a UCUM code)."""
    source = canonical(unit)
    if source == target:
        return lambda v: v
    if (source, target) in _SCALE:
        k = _SCALE[(source, target)]
        return lambda v: v * k
    if (source, target) in _MOLE:
        if molar_mass is None:
            raise UnitError(f"{unit} cannot be converted to {target} without a molar mass")
        k = _MOLE[(source, target)] * molar_mass / MOLAR_VOLUME_L
        return lambda v: v * k
    if source == _UNITLESS:
        raise UnitError(f"a value without a unit ({unit!r}) where {target} is expected")
    raise UnitError(f"unit {unit[:20]!r} cannot be converted to {target}")
