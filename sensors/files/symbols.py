"""Parameter symbols of station files (Circular 10/2021/TT-BTNMT) → our observed properties.

The symbols are those listed in issue 11 from public datalogger implementations of the
Circular's parameter table (its annex could not be read: see docs/station-files.md). A symbol
maps to a property code per station kind: ``Temp`` is air temperature at an air station and
water temperature at a water station; ``NO2`` is nitrogen dioxide in air and nitrite in water.
Facility points (kinds ``wastewater`` and ``stack``) use the
default code of each symbol. A symbol whose property a station has no datastream for is a
reject with that reason, never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Symbol:
    """One parameter symbol: its property code per station kind and, for gases, molar mass."""

    symbol: str
    name: str
    codes: dict[str, str] = field(default_factory=dict)  # station kind → property code
    default: str | None = None  # property code for kinds not listed (facility point kinds)
    molar_mass: float | None = None  # g/mol, for ppm/ppb → mass concentration

    def code_for(self, kind: str) -> str | None:
        """The property code this symbol stands for at a station of ``kind``."""
        return self.codes.get(kind, self.default)


def _s(symbol: str, name: str, default: str | None, molar_mass: float | None = None,
       **codes: str) -> Symbol:
    return Symbol(symbol, name, dict(codes), default, molar_mass)


# Molar masses from the IUPAC standard atomic weights (g/mol).
_TABLE = (
    _s("Flow", "Flow rate", "flow"),
    _s("Temp", "Temperature", "temperature", water="water_temperature"),
    _s("Color", "Colour", "color"),
    _s("pH", "pH", "ph"),
    _s("TSS", "Total suspended solids", "tss"),
    _s("COD", "Chemical oxygen demand", "cod"),
    _s("BOD5", "Biochemical oxygen demand", "bod5"),
    _s("NH4", "Ammonium", "nh4"),
    _s("TP", "Total phosphorus", "tp"),
    _s("TN", "Total nitrogen", "tn"),
    _s("TOC", "Total organic carbon", "toc"),
    _s("Cl", "Residual chlorine", "cl"),
    _s("P", "Pressure", "pressure"),
    _s("NO", "Nitrogen monoxide", "no", 30.006),
    _s("NO2", "Nitrogen dioxide (air) / nitrite (water)", "no2", 46.005),
    _s("NOx", "Nitrogen oxides as NO2", "nox", 46.005),
    _s("CO", "Carbon monoxide", "co", 28.010),
    _s("SO2", "Sulphur dioxide", "so2", 64.064),
    _s("O2", "Oxygen", "o2"),
    _s("H2S", "Hydrogen sulphide", "h2s", 34.08),
    _s("NH3", "Ammonia", "nh3", 17.031),
    _s("Hg", "Mercury", "hg"),
    _s("VHg", "Mercury vapour", "hg"),
    _s("PM", "Dust (total particulate matter)", "pm"),
    _s("O3", "Ozone", "o3", 47.997),
    _s("PM10", "PM10", "pm10"),
    _s("PM2,5", "PM2.5", "pm25"),
    _s("PM2.5", "PM2.5", "pm25"),
    _s("DO", "Dissolved oxygen", "do"),
    _s("NO3", "Nitrate", "no3"),
    _s("PO4", "Phosphate", "po4"),
    _s("RH", "Relative humidity", "humidity"),
    _s("TUR", "Turbidity", "turbidity"),
    _s("EC", "Electrical conductivity", "conductivity"),
)

#: Symbols by their exact spelling (the Circular's symbols are case-sensitive: "Cl" ≠ "CL").
SYMBOLS: dict[str, Symbol] = {s.symbol: s for s in _TABLE}


def get_symbol(symbol: str) -> Symbol | None:
    """The symbol as written in a file, or None when the table lacks it."""
    return SYMBOLS.get(symbol)


def symbol_for(kind: str, code: str) -> Symbol | None:
    """The symbol a file uses for property ``code`` at a station of ``kind`` (for writing files)."""
    for s in _TABLE:
        if s.code_for(kind) == code and s.symbol != "PM2.5" and s.symbol != "VHg":
            return s
    return None
