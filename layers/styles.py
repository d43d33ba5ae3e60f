"""Colours and paint declarations shared by the map styles, the legends and the folium pages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from sensors.contract import SCALES, STATION_STATES, Category

#: NOT the official palette. vn-standards does not give the RGB colours of Circular 08/2024's
#: land-use map legend and we could not find them, so this is our own palette: greens for
#: farmland and forest, warm colours for residential land, greys/blues for the rest. Replace it
#: when the Circular's legend table is available.
LAND_USE_PALETTE_UNOFFICIAL: dict[str, str] = {
    # agricultural
    "LUC": "#f6f08c", "LUK": "#f2e98a", "LUN": "#efe3a0", "HNK": "#f9e6a8", "CLN": "#e9c77b",
    "RSX": "#8fcf79", "RPH": "#4fa34a", "RDD": "#2e7d32", "NTS": "#9fd6f2", "LMU": "#d8ecf5",
    "CNT": "#d9c5a0", "NKH": "#e0d2a6",
    # residential
    "ONT": "#f4a3a3", "ODT": "#e57373",
    # public and institutional
    "TSC": "#ba68c8", "DTS": "#b39ddb", "DVH": "#ce93d8", "DYT": "#f48fb1", "DGD": "#ffab91",
    "DTT": "#a5d6a7", "DKH": "#b0bec5", "DXH": "#d1c4e9", "DNG": "#c5cae9", "DSK": "#cfd8dc",
    # defence, security
    "CQP": "#8d6e63", "CAN": "#a1887f",
    # production and commerce
    "SKK": "#9e9e9e", "SKT": "#8c8c8c", "SKN": "#a0a0a0", "TMD": "#ff8a65", "SKC": "#b0a090",
    "SKS": "#bcaaa4", "SKX": "#a89f91",
    # infrastructure
    "DGT": "#d7d7d7", "DTL": "#81d4fa", "DNL": "#ffd54f", "DBV": "#ffe082", "DKT": "#b3e5fc",
    "DMT": "#c8e6c9", "DPC": "#90caf9", "DCT": "#4fc3f7", "DRA": "#bdbdbd", "DCH": "#ffcc80",
    "DKV": "#aed581", "DSH": "#e1bee7",
    # heritage, religion, burial
    "DDT": "#d4a373", "DDL": "#c5e1a5", "TON": "#ffb74d", "TIN": "#ffcc80", "NTD": "#9e9d89",
    # water
    "SON": "#64b5f6", "MNC": "#42a5f5", "MVB": "#1e88e5", "MVT": "#1976d2", "MVR": "#1565c0",
    "MVK": "#0d47a1",
    # unused
    "BCS": "#eeeeee", "DCS": "#e0e0e0", "NCS": "#cccccc",
}  # fmt: skip

#: VN_AQI categories as (upper bound, vi, en, RGB), read from the sensors' declaration
#: (sensors.indices.categories, Decision 1459/QĐ-TCMT Bảng 1) for the raster colour ramp.
AQI_CATEGORIES: tuple[tuple[int, str, str, tuple[int, int, int]], ...] = tuple(
    (c.high, c.name_vi, c.name_en, c.rgb) for c in SCALES["vn_aqi"]
)


def rgb_hex(rgb: tuple[int, int, int]) -> str:
    """``(r, g, b)`` → ``#rrggbb``."""
    return "#{:02x}{:02x}{:02x}".format(*rgb)


@dataclass(frozen=True)
class LegendEntry:
    """One legend row: the property value it stands for, labels and colour."""

    value: str | None
    label_vi: str
    label_en: str
    color: str


@dataclass(frozen=True)
class Paint:
    """How a layer is drawn; the MapLibre style, the folium style and the legend come from it."""

    kind: Literal["fill", "line", "circle", "raster"]
    color: str = "#3388ff"
    outline: str = "#333333"
    width: float = 1.0
    opacity: float = 0.7
    radius: float = 6.0
    #: Colour by this property (categorical); entries give value → colour and labels.
    by: str | None = None
    entries: tuple[LegendEntry, ...] = field(default_factory=tuple)
    #: Labels of ``by`` values read from the data layer (see ``layers.legend``).
    labels_from: str | None = None


def land_use_entries() -> tuple[LegendEntry, ...]:
    """Legend rows for land-use codes (labels filled from land.land_use_codes when served)."""
    return tuple(LegendEntry(c, c, c, col) for c, col in LAND_USE_PALETTE_UNOFFICIAL.items())


def aqi_entries() -> tuple[LegendEntry, ...]:
    """Legend rows for the VN_AQI categories, keyed by category key (the tiles' ``category``)."""
    return tuple(
        LegendEntry(
            c.key, f"{c.name_vi} ({c.low}–{c.high})", f"{c.name_en} ({c.low}–{c.high})", c.hex
        )
        for c in SCALES["vn_aqi"]
    )


def station_entries() -> tuple[LegendEntry, ...]:
    """Legend rows of the stations' ``category``: air stations on VN_AQI, water stations on
    VN_WQI, in one list from the cleanest colour to the worst.

    A key both scales use (``good``, ``poor``: same name and colour) is one row naming both
    ranges; a band only VN_WQI has comes right after the VN_AQI row of its colour.
    """
    rows: list[tuple[str, list[tuple[str, Category]]]] = [
        (c.key, [("AQI", c)]) for c in SCALES["vn_aqi"]
    ]
    for band in SCALES["vn_wqi"]:
        same_key = [found for key, found in rows if key == band.key]
        if same_key:
            if same_key[0][0][1].hex != band.hex:  # one key, one colour on every map
                raise ValueError(f"category {band.key!r} has two colours")
            same_key[0].append(("WQI", band))
            continue
        same_colour = [i for i, (_, found) in enumerate(rows) if found[0][1].hex == band.hex]
        at = same_colour[-1] + 1 if same_colour else 0  # blue 'very good' has no AQI colour
        rows.insert(at, (band.key, [("WQI", band)]))
    out = []
    for key, found in rows:
        c = found[0][1]
        ranges = ", ".join(f"{tag} {b.low}–{b.high}" for tag, b in found)
        out.append(LegendEntry(key, f"{c.name_vi} ({ranges})", f"{c.name_en} ({ranges})", c.hex))
    return tuple(out)


def state_entries() -> tuple[LegendEntry, ...]:
    """Legend rows for station states (names and colours from the sensors' declaration)."""
    return tuple(LegendEntry(s.key, s.name_vi, s.name_en, s.colour) for s in STATION_STATES)


def color_expression(paint: Paint) -> object:
    """The MapLibre expression (or plain colour) giving a feature's colour."""
    if not paint.by or not paint.entries:
        return paint.color
    expr: list[object] = ["match", ["get", paint.by]]
    for e in paint.entries:
        expr += [e.value, e.color]
    expr.append(paint.color)
    return expr


def folium_style(paint: Paint) -> dict[str, object]:
    """A folium/Leaflet style description: base style plus the value → colour map."""
    return {
        "base": {
            "color": paint.outline,
            "weight": paint.width,
            "fillColor": paint.color,
            "fillOpacity": paint.opacity,
            "radius": paint.radius,
        },
        "property": paint.by,
        "colors": {e.value: e.color for e in paint.entries if e.value is not None},
    }
