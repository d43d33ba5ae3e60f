"""QGIS symbology of a catalog layer (``renderer-v2`` and labelling XML), from its declaration.

The colours, the property coloured by and the legend labels are the layer's ``Paint`` (one
home, :mod:`layers.styles`), the same the MapLibre style and the pages draw with. Parcels get
cadastral-map labels: the parcel number over the land-use code, at large scales only.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from layers.catalog import Layer
from layers.describe import Labels, legend_entries

#: QGIS geometry type of each paint kind (``<maplayer geometry=…>``) and symbol type.
GEOMETRY = {"fill": "Polygon", "line": "Polygon", "circle": "Point"}
_SYMBOL = {"fill": "fill", "line": "fill", "circle": "marker"}
#: Cadastral-map labels ("nhãn thửa": parcel number, area, land type — Circular
#: 25/2014/TT-BTNMT's definition, superseded; the 2026 rules were not found to differ): a layer
#: declaring these properties is labelled with them, one a line.
CADASTRAL_LABEL = ("parcel_number", "legal_area_m2", "land_use")
#: Labels are drawn at this scale and larger (1:5,000: a few hundred parcels on screen).
LABEL_MAX_SCALE = 5000


def _rgba(hex_colour: str, alpha: float = 1.0) -> str:
    value = hex_colour.lstrip("#")
    r, g, b = (int(value[i : i + 2], 16) for i in (0, 2, 4))
    return f"{r},{g},{b},{round(alpha * 255)}"


def _props(parent: ET.Element, values: dict[str, str]) -> None:
    for k, v in values.items():
        ET.SubElement(parent, "prop", k=k, v=v)


def symbol(layer: Layer, name: str, colour: str) -> ET.Element:
    """One QGIS symbol of ``layer``'s paint in ``colour`` (fill, outline or marker)."""
    p = layer.paint
    kind = _SYMBOL[p.kind]
    sym = ET.Element("symbol", type=kind, name=name, alpha="1", clip_to_extent="1",
                     force_rhr="0")  # fmt: skip
    if kind == "marker":
        lyr = ET.SubElement(sym, "layer", {"class": "SimpleMarker", "enabled": "1",
                                           "pass": "0", "locked": "0"})  # fmt: skip
        _props(lyr, {"name": "circle", "color": _rgba(colour, p.opacity),
                     "outline_color": _rgba(p.outline), "outline_width": "0.4",
                     "outline_width_unit": "MM", "size": f"{p.radius:g}", "size_unit": "Pixel",
                     "outline_style": "solid"})  # fmt: skip
        return sym
    lyr = ET.SubElement(sym, "layer", {"class": "SimpleFill", "enabled": "1", "pass": "0",
                                       "locked": "0"})  # fmt: skip
    filled = p.kind == "fill"
    _props(lyr, {"color": _rgba(colour, p.opacity if filled else 0.0),
                 "style": "solid" if filled else "no",
                 "outline_color": _rgba(p.outline if filled else colour),
                 "outline_style": "solid", "outline_width": f"{p.width:g}",
                 "outline_width_unit": "Pixel"})  # fmt: skip
    return sym


def renderer(layer: Layer, labels: Labels | None = None) -> ET.Element:
    """``renderer-v2``: categorised by the paint's property, else one symbol."""
    p = layer.paint
    entries = [e for e in legend_entries(layer, labels) if e.value is not None]
    if not p.by or not entries:
        out = ET.Element("renderer-v2", type="singleSymbol", symbollevels="0",
                         forceraster="0", enableorderby="0")  # fmt: skip
        ET.SubElement(out, "symbols").append(symbol(layer, "0", p.color))
        return out
    out = ET.Element("renderer-v2", type="categorizedSymbol", attr=p.by, symbollevels="0",
                     forceraster="0", enableorderby="0")  # fmt: skip
    categories = ET.SubElement(out, "categories")
    symbols = ET.SubElement(out, "symbols")
    for i, e in enumerate(entries):
        ET.SubElement(categories, "category", render="true", symbol=str(i), value=str(e.value),
                      label=e.label_vi)  # fmt: skip
        symbols.append(symbol(layer, str(i), e.color))
    # Values outside the legend: the paint's default colour (as in the MapLibre fallback).
    ET.SubElement(categories, "category", render="true", symbol=str(len(entries)), value="",
                  label="—")  # fmt: skip
    symbols.append(symbol(layer, str(len(entries)), p.color))
    source = ET.SubElement(out, "source-symbol")
    source.append(symbol(layer, "0", p.color))
    return out


def labeling(layer: Layer) -> ET.Element | None:
    """Simple labelling of ``layer`` (None when it has no labels)."""
    names = {p.name for p in layer.properties}
    if not set(CADASTRAL_LABEL) <= names:
        return None
    number, area, use = CADASTRAL_LABEL
    # Area with one decimal and the Vietnamese decimal comma, as on certificates.
    newline = "'\\n'"  # a line break inside a QGIS expression string
    expression = (
        f'"{number}" || {newline} || format_number("{area}", 1, \'vi\') || {newline} || "{use}"'
    )
    out = ET.Element("labeling", type="simple")
    settings = ET.SubElement(out, "settings", calloutType="simple")
    ET.SubElement(settings, "text-style", fieldName=expression, isExpression="1",
                  fontFamily="DejaVu Sans", fontSize="8", fontSizeUnit="Point",
                  textColor="0,0,0,255", textOpacity="1", multilineAlign="1",
                  namedStyle="Book", fontWeight="50")  # fmt: skip
    ET.SubElement(settings, "text-format", wrapChar="", plussign="0", reverseDirectionSymbol="0",
                  formatNumbers="0", decimals="3", leftDirectionSymbol="<",
                  rightDirectionSymbol=">", placeDirectionSymbol="0",
                  multilineAlign="1", addDirectionSymbol="0")  # fmt: skip
    ET.SubElement(settings, "placement", placement="1", centroidInside="1", centroidWhole="0",
                  fitInPolygonOnly="0", dist="0", offsetType="0")  # fmt: skip
    ET.SubElement(settings, "rendering", scaleVisibility="1", scaleMin="1",
                  scaleMax=str(LABEL_MAX_SCALE), obstacle="1", displayAll="0",
                  upsidedownLabels="0", limitNumLabels="0", drawLabels="1")  # fmt: skip
    return out


def qml(layer: Layer, labels: Labels | None = None) -> str:
    """A QGIS layer style file (``.qml``) with ``layer``'s symbology and labels."""
    label = labeling(layer)
    root = ET.Element("qgis", version="3.22.16", styleCategories="Symbology|Labeling",
                      labelsEnabled="1" if label is not None else "0")  # fmt: skip
    root.append(renderer(layer, labels))
    if label is not None:
        root.append(label)
    ET.indent(root)
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + ET.tostring(
        root, encoding="unicode"
    )
