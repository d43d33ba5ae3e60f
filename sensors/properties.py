"""Catalogue of observed properties: code, name, UCUM unit, station kind and physical range.

Air concentrations (PM and gases, CO too) are in µg/m³ as QCVN 05:2023 and Decision 1459 use;
water parameters in mg/L except pesticides (µg/L, as Decision 1460 group II states), bacteria
(MPN/100 mL), pH, temperature, turbidity and conductivity. The ranges are physical or
instrument limits used to quarantine impossible readings, not quality thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["air", "water", "wastewater", "stack"]
KINDS: tuple[Kind, ...] = ("air", "water", "wastewater", "stack")
#: Kinds of a facility's monitoring points (issue 11): a waste-water outlet, a stack.
POINT_KINDS: tuple[Kind, ...] = ("wastewater", "stack")


@dataclass(frozen=True, slots=True)
class ObservedProperty:
    """One observed property: what a datastream measures and its accepted range."""

    code: str
    name: str
    unit: str  # UCUM code
    kind: Kind
    minimum: float
    maximum: float

    def accepts(self, value: float) -> bool:
        """True when ``value`` lies inside the physical range (bounds included)."""
        return self.minimum <= value <= self.maximum


def _p(code: str, name: str, unit: str, kind: Kind, lo: float, hi: float) -> ObservedProperty:
    return ObservedProperty(code, name, unit, kind, lo, hi)


UG_M3 = "ug/m3"
MG_L = "mg/L"
UG_L = "ug/L"
MPN = "{MPN}/100.mL"

_AIR = (
    _p("pm25", "PM2.5", UG_M3, "air", 0, 2000),
    _p("pm10", "PM10", UG_M3, "air", 0, 5000),
    _p("no2", "Nitrogen dioxide", UG_M3, "air", 0, 20000),
    _p("o3", "Ozone", UG_M3, "air", 0, 10000),
    _p("so2", "Sulphur dioxide", UG_M3, "air", 0, 30000),
    _p("co", "Carbon monoxide", UG_M3, "air", 0, 200000),
    _p("temperature", "Air temperature", "Cel", "air", -50, 70),
    _p("humidity", "Relative humidity", "%", "air", 0, 100),
)
_WATER = (
    _p("ph", "pH", "[pH]", "water", 0, 14),
    _p("do", "Dissolved oxygen", MG_L, "water", 0, 30),
    _p("bod5", "BOD5", MG_L, "water", 0, 100000),
    _p("cod", "COD", MG_L, "water", 0, 200000),
    _p("toc", "Total organic carbon", MG_L, "water", 0, 100000),
    _p("nh4", "Ammonium (N-NH4)", MG_L, "water", 0, 100000),
    _p("no3", "Nitrate (N-NO3)", MG_L, "water", 0, 100000),
    _p("no2", "Nitrite (N-NO2)", MG_L, "water", 0, 100000),
    _p("po4", "Phosphate (P-PO4)", MG_L, "water", 0, 100000),
    _p("coliform", "Coliform", MPN, "water", 0, 1e12),
    _p("ecoli", "E. coli", MPN, "water", 0, 1e12),
    _p("water_temperature", "Water temperature", "Cel", "water", -5, 60),
    _p("turbidity", "Turbidity", "[NTU]", "water", 0, 100000),
    _p("conductivity", "Electrical conductivity", "uS/cm", "water", 0, 500000),
    _p("aldrin", "Aldrin", UG_L, "water", 0, 1e6),
    _p("bhc", "BHC", UG_L, "water", 0, 1e6),
    _p("dieldrin", "Dieldrin", UG_L, "water", 0, 1e6),
    _p("ddts", "DDTs", UG_L, "water", 0, 1e6),
    _p("heptachlor", "Heptachlor and heptachlor epoxide", UG_L, "water", 0, 1e6),
    _p("as", "Arsenic", MG_L, "water", 0, 10000),
    _p("cd", "Cadmium", MG_L, "water", 0, 10000),
    _p("pb", "Lead", MG_L, "water", 0, 10000),
    _p("cr6", "Chromium (VI)", MG_L, "water", 0, 10000),
    _p("cu", "Copper", MG_L, "water", 0, 10000),
    _p("zn", "Zinc", MG_L, "water", 0, 10000),
    _p("hg", "Mercury", MG_L, "water", 0, 10000),
)

# Facility points (Circular 10/2021 equipment tables): waste water in mg/L, stack gases and dust
# in mg/Nm³ (UCUM has no "normal" cubic metre: the unit string says the reference conditions are
# the regulation's, 25 °C and 760 mmHg for QCVN 19), flows in m³/h, O2 in % by volume.
MG_NM3 = "mg/m3"
_WASTEWATER = (
    _p("flow", "Discharge flow", "m3/h", "wastewater", 0, 1e6),
    _p("temperature", "Waste-water temperature", "Cel", "wastewater", -5, 100),
    _p("color", "Colour", "{Pt-Co}", "wastewater", 0, 100000),
    _p("ph", "pH", "[pH]", "wastewater", 0, 14),
    _p("tss", "Total suspended solids", MG_L, "wastewater", 0, 1e6),
    _p("cod", "COD", MG_L, "wastewater", 0, 1e6),
    _p("bod5", "BOD5", MG_L, "wastewater", 0, 1e6),
    _p("toc", "Total organic carbon", MG_L, "wastewater", 0, 1e6),
    _p("nh4", "Ammonium (N-NH4)", MG_L, "wastewater", 0, 1e5),
    _p("tn", "Total nitrogen", MG_L, "wastewater", 0, 1e5),
    _p("tp", "Total phosphorus", MG_L, "wastewater", 0, 1e5),
    _p("cl", "Residual chlorine", MG_L, "wastewater", 0, 1e4),
)
_STACK = (
    _p("flow", "Flue-gas flow", "m3/h", "stack", 0, 1e8),
    _p("temperature", "Flue-gas temperature", "Cel", "stack", -20, 1500),
    _p("pressure", "Flue-gas pressure", "kPa", "stack", 0, 1000),
    _p("o2", "Oxygen", "%", "stack", 0, 25),
    _p("pm", "Total dust (PM)", MG_NM3, "stack", 0, 1e5),
    _p("so2", "Sulphur dioxide", MG_NM3, "stack", 0, 1e5),
    _p("nox", "Nitrogen oxides (as NO2)", MG_NM3, "stack", 0, 1e5),
    _p("no", "Nitrogen monoxide", MG_NM3, "stack", 0, 1e5),
    _p("no2", "Nitrogen dioxide", MG_NM3, "stack", 0, 1e5),
    _p("co", "Carbon monoxide", MG_NM3, "stack", 0, 1e5),
    _p("h2s", "Hydrogen sulphide", MG_NM3, "stack", 0, 1e5),
    _p("nh3", "Ammonia", MG_NM3, "stack", 0, 1e5),
    _p("hg", "Mercury", MG_NM3, "stack", 0, 1e3),
)

#: Every property by (station kind, code): "no2" is nitrogen dioxide in air, nitrite in water.
PROPERTIES: dict[tuple[str, str], ObservedProperty] = {
    (p.kind, p.code): p for p in _AIR + _WATER + _WASTEWATER + _STACK
}


def get_property(kind: str, code: str) -> ObservedProperty | None:
    """The property ``code`` measured at a station of ``kind``, or None when there is none."""
    return PROPERTIES.get((kind, code))


def codes(kind: str) -> list[str]:
    """The property codes a station of ``kind`` may measure, in catalogue order."""
    return [code for (k, code) in PROPERTIES if k == kind]
