"""The drawing of a cadastral extract: the parcel at a standard scale, neighbours, north, scale.

Coordinates are the sheet's VN-2000 TM-3 metres (x east, y north); the drawing keeps north up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import shapely
from reportlab.graphics.shapes import Circle, Drawing, Polygon, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.lib.units import mm
from shapely.geometry.polygon import orient
from shapely.ops import polylabel

from gis.errors import InvalidInput

#: Standard cadastral map scales (denominators), largest scale first.
SCALES = (200, 500, 1000, 2000, 5000, 10000)
#: Share of the frame the parcel may fill at the chosen scale (room for neighbours and labels).
FILL = 0.8
#: Scale-bar lengths tried (metres): the one closest to 30 mm on paper is drawn.
BAR_LENGTHS = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000)


@dataclass(frozen=True)
class Neighbour:
    """An adjacent or nearby current parcel: its number, sheet and outline (sheet CRS)."""

    sheet_number: int
    parcel_number: int
    geom: shapely.Geometry


def choose_scale(parcel: shapely.Geometry, width_mm: float, height_mm: float) -> int:
    """The largest standard scale at which the parcel fits the frame (FILL of it)."""
    minx, miny, maxx, maxy = parcel.bounds
    for d in SCALES:
        if (maxx - minx) * 1000 / d <= FILL * width_mm and (maxy - miny) * 1000 / d <= (
            FILL * height_mm
        ):
            return d
    raise InvalidInput(f"the parcel does not fit an A4 extract even at 1:{SCALES[-1]}")


def vertices(parcel: shapely.Geometry) -> list[list[tuple[float, float]]]:
    """Each part's outline, clockwise from the vertex nearest the north-west corner of the
    parcel's bounding box (x east, y north; the closing point left out)."""
    parts = list(getattr(parcel, "geoms", [parcel]))
    minx, _, _, maxy = parcel.bounds
    out = []
    for part in parts:
        ring = list(orient(part, sign=-1.0).exterior.coords)[:-1]  # sign -1: clockwise
        start = min(range(len(ring)),
                    key=lambda i: ((ring[i][0] - minx) ** 2 + (ring[i][1] - maxy) ** 2, i))
        out.append(ring[start:] + ring[:start])
    return out


def _scale_bar(d: int) -> int:
    """A round length (m) drawn about 30 mm long at 1:d."""
    return min(BAR_LENGTHS, key=lambda m: abs(m * 1000 / d - 30))


def draw_map(parcel: shapely.Geometry, sheet: int, number: int, label: str,
             neighbours: Sequence[Neighbour], width_mm: float, height_mm: float,
             font: str) -> tuple[Drawing, int]:
    """The parcel drawing and the scale denominator it is drawn at."""
    d = choose_scale(parcel, width_mm, height_mm)
    w, h = width_mm * mm, height_mm * mm
    minx, miny, maxx, maxy = parcel.bounds
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    k = 1000 / d * mm  # points per metre
    half_w, half_h = width_mm * d / 2000, height_mm * d / 2000
    frame = shapely.box(cx - half_w, cy - half_h, cx + half_w, cy + half_h)

    def xy(x: float, y: float) -> tuple[float, float]:
        return w / 2 + (x - cx) * k, h / 2 + (y - cy) * k

    def rings(g: shapely.Geometry) -> list[list[float]]:
        out = []
        for part in getattr(g, "geoms", [g]):
            if isinstance(part, shapely.Polygon):
                for ring in (part.exterior, *part.interiors):
                    out.append([c for p in ring.coords for c in xy(*p)])
        return out

    drawing = Drawing(w, h)
    drawing.add(Rect(0, 0, w, h, strokeColor=colors.black, fillColor=None, strokeWidth=0.8))
    for n in neighbours:
        clipped = n.geom.intersection(frame)
        if clipped.is_empty:
            continue
        for pts in rings(clipped):
            drawing.add(PolyLine(pts, strokeColor=colors.grey, strokeWidth=0.5))
        largest = max((p for p in getattr(clipped, "geoms", [clipped])
                       if isinstance(p, shapely.Polygon)), key=lambda p: p.area, default=None)
        if largest is not None and largest.area * k * k > (12 * mm) ** 2:
            at = polylabel(largest, tolerance=0.01)
            # A neighbour on another sheet carries its sheet: "number (tờ sheet)".
            text = str(n.parcel_number) if n.sheet_number == sheet else (
                f"{n.parcel_number} (tờ {n.sheet_number})")
            drawing.add(String(*xy(at.x, at.y), text, fontName=font, fontSize=7,
                               fillColor=colors.grey, textAnchor="middle"))
    for pts in rings(parcel):
        drawing.add(Polygon(pts, strokeColor=colors.black, strokeWidth=1.6,
                            fillColor=colors.Color(1, 0.96, 0.8)))
    main = max(getattr(parcel, "geoms", [parcel]), key=lambda p: p.area)
    at = polylabel(main, tolerance=0.01)
    px, py = xy(at.x, at.y)
    drawing.add(String(px, py + 2, str(number), fontName=font + "-Bold", fontSize=10,
                       textAnchor="middle"))
    drawing.add(String(px, py - 9, label, fontName=font, fontSize=7.5, textAnchor="middle"))
    k_label = 0
    centre = main.centroid
    for ring in vertices(parcel):
        for x, y in ring:
            k_label += 1
            vx, vy = xy(x, y)
            dx, dy = x - centre.x, y - centre.y
            norm = max((dx * dx + dy * dy) ** 0.5, 1e-9)
            drawing.add(Circle(vx, vy, 1.4, fillColor=colors.red, strokeColor=colors.red))
            drawing.add(String(vx + 3.5 * mm * dx / norm - 1.5, vy + 3.5 * mm * dy / norm - 2.5,
                               str(k_label), fontName=font, fontSize=7, fillColor=colors.red,
                               textAnchor="middle"))
    _north_arrow(drawing, w - 10 * mm, h - 20 * mm, font)
    _bar(drawing, d, k, font)
    return drawing, d


def _north_arrow(drawing: Drawing, x: float, y: float, font: str) -> None:
    """An arrow pointing up (grid north of the TM-3 zone) with the letter B (Bắc)."""
    drawing.add(Polygon([x, y + 12 * mm, x - 2.5 * mm, y, x, y + 3 * mm, x + 2.5 * mm, y],
                        fillColor=colors.black, strokeColor=colors.black, strokeWidth=0.5))
    drawing.add(String(x, y + 13.5 * mm, "B", fontName=font + "-Bold", fontSize=9,
                       textAnchor="middle"))


def _bar(drawing: Drawing, d: int, k: float, font: str) -> None:
    """A two-segment scale bar with its length and the scale, bottom left."""
    metres = _scale_bar(d)
    length = metres * k
    x0, y0 = 6 * mm, 6 * mm
    for i in range(2):
        drawing.add(Rect(x0 + i * length / 2, y0, length / 2, 1.6 * mm, strokeWidth=0.5,
                         fillColor=colors.black if i == 0 else colors.white,
                         strokeColor=colors.black))
    drawing.add(String(x0, y0 + 2.5 * mm, "0", fontName=font, fontSize=7, textAnchor="middle"))
    drawing.add(String(x0 + length, y0 + 2.5 * mm, f"{metres} m", fontName=font, fontSize=7,
                       textAnchor="middle"))
    drawing.add(String(x0 + length + 4 * mm, y0, f"Tỉ lệ 1:{d:,}".replace(",", "."),
                       fontName=font, fontSize=8))
