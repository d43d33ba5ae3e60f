"""Reading the inputs of a split: the new parcels' polygons, or a cutting line, from a file.

GeoPackage, GeoJSON or any file GDAL reads, in the sheet's CRS or another one the file states
(GeoJSON without ``crs`` is WGS 84, RFC 7946); VN-2000 sources go through EPSG:6960 as on import.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from gis.errors import ImportFileError, Refused
from gis.parcels.prepare import transform, transformer
from gis.parcels.split import Piece


def _read(path: str | Path, srid: int) -> gpd.GeoDataFrame:
    """The file's features with their geometries in EPSG:``srid``."""
    try:
        frame = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises its own DataSourceError, GDAL others
        raise ImportFileError(f"cannot read {Path(path).name}: {exc}") from exc
    if len(frame) == 0:
        raise ImportFileError(f"{Path(path).name} has no features")
    if frame.crs is None:
        raise ImportFileError(f"{Path(path).name} does not say its CRS")
    geoms = transform(np.asarray(frame.geometry.values, dtype=object),
                      transformer(frame.crs, srid))
    return frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=f"EPSG:{srid}"))


def _optional(value: Any) -> Any:
    """None for a missing attribute value (NaN, None or empty text)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
        return None
    return value


def read_pieces(path: str | Path, srid: int) -> list[Piece]:
    """New parcels from a file: one polygon each, optional ``land_use`` and ``merge_with``."""
    frame = _read(path, srid)
    pieces = []
    for k, row in enumerate(frame.itertuples(index=False), 1):
        land_use = _optional(getattr(row, "land_use", None))
        merge_with = _optional(getattr(row, "merge_with", None))
        try:
            join = None if merge_with is None else int(merge_with)
        except (TypeError, ValueError) as exc:
            raise Refused(f"feature {k}: merge_with {merge_with!r} is not a parcel number") from exc
        pieces.append(Piece(row.geometry, None if land_use is None else str(land_use), join))
    return pieces


def read_line(path: str | Path, srid: int) -> shapely.Geometry:
    """The cutting line of a file (its line features together), in EPSG:``srid``."""
    frame = _read(path, srid)
    lines = [g for g in frame.geometry if g is not None and g.geom_type in (
        "LineString", "MultiLineString")]
    if len(lines) != len(frame):
        raise Refused(f"{Path(path).name}: a cutting line file holds only lines")
    return shapely.union_all(lines) if len(lines) > 1 else lines[0]
