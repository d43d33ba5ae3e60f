"""Export a map sheet's current parcels as a DGN V7 file (GDAL's DGN writer, ``ogr2ogr``).

Boundaries go on the boundary level as line strings, one per parcel ring; each parcel's label
as three stacked text elements (number, land-use codes, area to 0.1 m²) at its
pole of inaccessibility, in the label encoding the office's fonts read (TCVN3 by default).

The text reaches GDAL as bytes: the features are written to a CSV whose label cells hold the
encoded bytes and handed to ``ogr2ogr``, which sets each text from the ``OGR_STYLE`` column
(GDAL's DGN writer takes a text element's string from its LABEL style). The DGN V7 file
stores integer units of resolution: the file is written in millimetres (1 UOR = 1 mm) with
its global origin at the sheet's south-west corner, so coordinates keep 1 mm precision; GDAL
truncates to whole units, so every coordinate is written at the centre of its millimetre.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import tempfile
from pathlib import Path

import shapely
from shapely.ops import polylabel

from gis.dgn.labels import format_label
from gis.dgn.query import sheet_parcels
from gis.dgn.sheet import BOUNDARY_LEVEL, LABEL_LEVEL
from gis.dgn.vnfonts import Encoding, encode_label
from gis.errors import ConfigurationError, InvalidInput, NotFound

#: Height of the label texts in metres on the ground (about 2 mm at 1:500).
TEXT_HEIGHT_M = 1.0


def _wkt(geom: shapely.Geometry) -> str:
    """WKT at the centre of each millimetre (GDAL's writer truncates to whole UORs)."""
    nudged = shapely.transform(geom, lambda xy: (xy * 1000).round() / 1000 + 0.0005)
    return shapely.to_wkt(nudged, rounding_precision=4)


def _style(text: bytes) -> bytes:
    """An OGR LABEL style holding ``text`` (quotes doubled, as the style grammar wants)."""
    escaped = text.replace(b"\\", b"\\\\").replace(b'"', b'\\"')
    return b'LABEL(t:"' + escaped + b'",s:' + str(TEXT_HEIGHT_M).encode() + b"g)"


Element = tuple[shapely.Geometry, int, bytes | None]  # geometry, level, text bytes (None: a line)


def write_dgn(elements: list[Element], out: str | Path) -> None:
    """Write lines and text elements to a DGN V7 file in millimetres (GDAL's DGN writer)."""
    ogr2ogr = shutil.which("ogr2ogr")
    if ogr2ogr is None:
        raise ConfigurationError("ogr2ogr (Debian gdal-bin) is needed to write DGN files")
    if not elements:
        raise InvalidInput("nothing to write")
    minx, miny = (math.floor(v) for v in shapely.total_bounds([g for g, _, _ in elements])[:2])
    target = Path(out)
    target.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="iocgis-dgn-") as tmp:
        source = Path(tmp) / "sheet.csv"
        # Written by hand, not with the csv module: the label cells are bytes in the label
        # encoding, which no text codec would pass through unchanged.
        with source.open("wb") as f:
            f.write(b"WKT,Level,OGR_STYLE\n")
            for geom, level, text in elements:
                cells = (_wkt(geom).encode(), str(level).encode(),
                         b"" if text is None else _style(text))
                f.write(b",".join(b'"' + c.replace(b'"', b'""') + b'"' for c in cells) + b"\n")
        cmd = [
            ogr2ogr, "-f", "DGN", str(target), str(source),
            "-oo", "GEOM_POSSIBLE_NAMES=WKT", "-oo", "KEEP_GEOM_COLUMNS=NO",
            "-sql", "SELECT Level, OGR_STYLE FROM sheet",
            "-dsco", f"ORIGIN={-minx},{-miny},0",
            "-dsco", "MASTER_UNIT_NAME=m", "-dsco", "SUB_UNIT_NAME=mm",
            "-dsco", "SUB_UNITS_PER_MASTER_UNIT=1000", "-dsco", "UOR_PER_SUB_UNIT=1",
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0 or not target.exists():
            raise InvalidInput(f"ogr2ogr could not write the DGN: {done.stderr.strip()[-300:]}")


def export_dgn(
    commune: str, sheet: int, out: str | Path, *, encoding: Encoding = "tcvn3",
    url: str | None = None,
) -> int:
    """Write sheet ``sheet`` of ``commune`` to ``out`` (DGN V7); return the parcel count."""
    parcels = sheet_parcels(commune, sheet, url=url)
    if not parcels:
        raise NotFound(f"no current parcels on sheet {sheet} of commune {commune}")
    elements: list[Element] = []
    for parcel in parcels:
        geom = shapely.from_wkb(parcel.wkb)
        elements += [(ring, BOUNDARY_LEVEL, None)
                     for ring in shapely.get_parts(shapely.boundary(geom))]
        largest = max(shapely.get_parts(geom), key=lambda part: part.area)
        anchor = polylabel(largest, tolerance=0.01)
        texts = format_label(parcel.parcel_number, parcel.land_use, parcel.legal_area_m2)
        for k, text in enumerate(texts):
            try:
                raw = encode_label(text, encoding)
            except InvalidInput as exc:
                raise InvalidInput(f"parcel {parcel.parcel_number}: {exc}") from None
            at = shapely.Point(anchor.x, anchor.y + (1 - k) * 1.4 * TEXT_HEIGHT_M)
            elements.append((at, LABEL_LEVEL, raw))
    write_dgn(elements, out)
    return len(parcels)


__all__ = ["export_dgn", "write_dgn"]
