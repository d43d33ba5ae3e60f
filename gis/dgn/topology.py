"""Parcel polygons from boundary lines: snap, node, polygonize; the dangles left over.

Lines drawn by hand end a little short of, or a little past, the line they should meet. Every
vertex is first snapped to any other within ``SNAP_M`` (shapely ``snap``), the lines are noded
at every crossing (``unary_union``) and polygonized (``polygonize_full``). What cannot close a
ring comes back as dangles (an unclosed boundary) or cut edges, and is reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

#: Snapping tolerance: vertices closer than this are one point. 2 cm is below the 0.01 m
#: coordinate precision that extracts print at twice the rounding, and far below any real
#: parcel edge, so it joins drawing slips without merging true corners.
SNAP_M = 0.02


@dataclass(frozen=True)
class Faces:
    """The closed faces of a sheet's boundaries and what did not close."""

    polygons: np.ndarray
    dangles: np.ndarray  # line pieces with a free end: unclosed boundaries
    cut_edges: np.ndarray  # edges with a face on neither or both sides (spurs inside a face)


def build_faces(lines: np.ndarray, snap_m: float = SNAP_M) -> Faces:
    """Polygonize the boundary lines of one sheet."""
    merged = shapely.multilinestrings(list(lines)) if len(lines) else shapely.MultiLineString()
    if snap_m > 0:
        merged = shapely.snap(merged, merged, snap_m)
    noded = shapely.unary_union(merged)
    polygons, cuts, dangles, invalid = shapely.polygonize_full([noded])
    return Faces(
        polygons=shapely.get_parts(polygons),
        dangles=shapely.get_parts(dangles),
        cut_edges=np.concatenate([shapely.get_parts(cuts), shapely.get_parts(invalid)]),
    )
