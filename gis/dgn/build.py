"""Parcels of one sheet from its faces and labels, and the problems a land official must fix.

Each closed face should hold exactly one label with a parcel number. Everything else is a
problem, reported with its location and kept as an import reject (``land.import_rejects``): a
face without a label, a label outside every face, two labels in one face, an unclosed boundary,
a label whose bytes are no valid text, a number used twice on the sheet, and a stated area that
disagrees with the computed legal area beyond the label's own rounding (no tolerance of a
regulation was found: see docs/dgn.md). Only faces without a problem become parcels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from gis.dgn.labels import ParsedLabel, parse_label
from gis.dgn.sheet import SheetDrawing
from gis.dgn.topology import SNAP_M, build_faces
from gis.dgn.vnfonts import Encoding, LabelEncodingError, decode_label, detect_encoding

P_UNLABELLED = "polygon without a label"
P_OUTSIDE = "label outside every polygon"
P_TWO_LABELS = "two labels in one polygon"
P_DANGLE = "unclosed boundary (dangle)"
P_ENCODING = "label text is not valid Unicode, TCVN3 or VNI"
P_NO_NUMBER = "label without a parcel number"
P_DUPLICATE = "parcel number used twice on the sheet"
P_AREA = "stated area differs from the computed legal area"
PROBLEMS: tuple[str, ...] = (
    P_UNLABELLED, P_OUTSIDE, P_TWO_LABELS, P_DANGLE, P_ENCODING, P_NO_NUMBER, P_DUPLICATE, P_AREA,
)


@dataclass(frozen=True)
class Problem:
    """One thing wrong on the sheet, where it is and what it says."""

    kind: str
    detail: str
    geometry: shapely.Geometry
    parcel_number: int | None = None

    @property
    def reason(self) -> str:
        """The reject reason: kind, then detail (the summary counts by the kind)."""
        return f"{self.kind}: {self.detail}" if self.detail else self.kind


@dataclass
class SheetParcels:
    """The parcels read from one sheet, the problems found, and how its labels were encoded."""

    parcels: gpd.GeoDataFrame
    problems: list[Problem] = field(default_factory=list)
    encoding: Encoding = "unicode"
    faces: int = 0
    labels: int = 0


def _area_tolerance(stated: str) -> float:
    """Half a unit of the last decimal the label writes its area with (0.05 for ``245.6``)."""
    decimals = len(stated.replace(",", ".").split(".")[1]) if any(c in stated for c in ".,") else 0
    return 0.5 * 10.0 ** (-decimals)


def build_parcels(
    drawing: SheetDrawing, *, commune: str, sheet: int, crs: str,
    snap_m: float = SNAP_M, encoding: Encoding | None = None,
) -> SheetParcels:
    """Join labels to faces; return the clean parcels and every problem."""
    faces = build_faces(drawing.lines, snap_m)
    polys = faces.polygons
    out = SheetParcels(gpd.GeoDataFrame(geometry=[], crs=crs), faces=len(polys),
                       labels=len(drawing.labels))
    out.encoding = encoding or detect_encoding([lb.raw for lb in drawing.labels])
    out.problems += [Problem(P_DANGLE, "", d) for d in faces.dangles]

    texts: list[str | None] = []
    for lb in drawing.labels:
        try:
            texts.append(decode_label(lb.raw, out.encoding).text)
        except LabelEncodingError as exc:
            texts.append(None)
            out.problems.append(Problem(P_ENCODING, str(exc), lb.point))

    points = np.array([lb.point for lb in drawing.labels], dtype=object)
    tree = shapely.STRtree(polys)
    label_idx, face_idx = (
        tree.query(points, predicate="within") if len(points) else (np.array([]), np.array([]))
    )
    by_face: dict[int, list[int]] = {}
    for li, fi in zip(label_idx.tolist(), face_idx.tolist(), strict=True):
        by_face.setdefault(fi, []).append(li)
    inside = set(label_idx.tolist())
    for li, lb in enumerate(drawing.labels):
        if li not in inside and texts[li] is not None:
            out.problems.append(Problem(P_OUTSIDE, repr(texts[li]), lb.point))

    rows: list[dict[str, Any]] = []
    for fi, poly in enumerate(polys):
        where = shapely.Point(shapely.get_coordinates(shapely.point_on_surface(poly))[0])
        members = [li for li in by_face.get(fi, []) if texts[li] is not None]
        if not by_face.get(fi):
            out.problems.append(Problem(P_UNLABELLED, f"{poly.area:.1f} m²", where))
            continue
        if not members:
            continue  # its only texts were undecodable: already reported
        # top to bottom, then left to right: the order a person reads a stacked label in
        members.sort(key=lambda li: (-drawing.labels[li].point.y, drawing.labels[li].point.x))
        text = "\n".join(str(texts[li]) for li in members)
        parsed = parse_label(text)
        problem = _label_problem(parsed, text, poly)
        if problem:
            out.problems.append(Problem(problem[0], problem[1], where, parsed.parcel_number))
            continue
        rows.append({
            "commune_code": commune, "sheet_number": sheet,
            "parcel_number": parsed.parcel_number, "land_use": parsed.land_use,
            "label_text": text, "geometry": poly,
        })
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=crs) if rows else out.parcels
    out.parcels = _drop_duplicates(frame, out.problems)
    return out


def _label_problem(
    parsed: ParsedLabel, text: str, poly: shapely.Geometry
) -> tuple[str, str] | None:
    """Why a face's label cannot make a parcel, or None."""
    if parsed.parcel_number is None:
        return P_NO_NUMBER, repr(text)
    if parsed.extra_numbers:
        return P_TWO_LABELS, repr(text)
    if parsed.area_m2 is not None and parsed.area_text is not None:
        tolerance = _area_tolerance(parsed.area_text)
        if abs(parsed.area_m2 - poly.area) > tolerance:
            return P_AREA, (
                f"label {parsed.area_m2:.1f} m², computed {poly.area:.2f} m²"
                f" (tolerance {tolerance:g} m²)"
            )
    return None


def _drop_duplicates(frame: gpd.GeoDataFrame, problems: list[Problem]) -> gpd.GeoDataFrame:
    """Parcels whose number is on the sheet twice become problems, both of them."""
    if frame.empty:
        return frame
    dup = frame["parcel_number"].duplicated(keep=False).to_numpy()
    for _, row in frame[dup].iterrows():
        where = shapely.point_on_surface(row.geometry)
        problems.append(Problem(P_DUPLICATE, f"number {row.parcel_number}", where,
                                int(row.parcel_number)))
    return frame[~dup].reset_index(drop=True)
