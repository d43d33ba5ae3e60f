"""Import DGN V7 cadastral sheets through the ordinary parcel import path.

A sheet's clean parcels are written to a temporary GeoPackage in the import contract and handed
to ``import_parcels`` (validation, legal area in the sheet's zone, parcel codes, history, one
transaction), with the sheet recorded as the source and its problems stored as rejects of the
same import. The problems also go to a GeoPackage of their locations, to open in QGIS.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely

from gis.crs import parse_crs
from gis.dgn.build import PROBLEMS, Problem, SheetParcels, build_parcels
from gis.dgn.sheet import BOUNDARY_LEVEL, read_sheet
from gis.dgn.topology import SNAP_M
from gis.dgn.vnfonts import Encoding
from gis.errors import ImportFileError, InvalidInput
from gis.parcels.importer import import_parcels
from gis.parcels.model import ImportSummary


@dataclass
class SheetReport:
    """What one sheet held, what was imported, and what a land official must fix."""

    path: Path
    sheet_number: int
    encoding: Encoding
    faces: int
    labels: int
    parcels: int
    problems: list[Problem] = field(default_factory=list)
    summary: ImportSummary | None = None

    def counts(self) -> dict[str, int]:
        """Problems by kind, in the report's fixed order (zeros left out)."""
        tally = {kind: 0 for kind in PROBLEMS}
        for p in self.problems:
            tally[p.kind] += 1
        return {k: v for k, v in tally.items() if v}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "sheet": self.path.name, "sheet_number": self.sheet_number,
            "label_encoding": self.encoding, "polygons": self.faces, "labels": self.labels,
            "parcels": self.parcels, "problems": self.counts(),
            "problem_list": [
                {"kind": p.kind, "detail": p.detail, "parcel_number": p.parcel_number,
                 "location_wkt": shapely.to_wkt(shapely.point_on_surface(p.geometry),
                                                rounding_precision=3)}
                for p in self.problems
            ],
            "import": None if self.summary is None else self.summary.to_dict(),
        }


def sheet_number_of(path: Path, given: int | None) -> int:
    """The sheet number: given, or the first number in the file name (``to_12.dgn`` → 12)."""
    if given is not None:
        return given
    found = re.search(r"\d+", path.stem)
    if not found:
        raise InvalidInput(f"{path.name}: give --sheet (no sheet number in the file name)")
    return int(found.group(0))


def write_problems(problems: list[Problem], out: Path, crs: str) -> None:
    """A GeoPackage of problem locations: points, and the dangling lines themselves."""
    rows = [{"kind": p.kind, "detail": p.detail, "parcel_number": p.parcel_number,
             "geometry": p.geometry} for p in problems]
    frame = gpd.GeoDataFrame(
        rows or None, columns=["kind", "detail", "parcel_number", "geometry"],
        geometry="geometry", crs=crs,
    )
    points = frame[frame.geometry.geom_type == "Point"]
    lines = frame[frame.geometry.geom_type != "Point"]
    out.unlink(missing_ok=True)
    points.to_file(out, layer="problem_points", driver="GPKG")
    lines.to_file(out, layer="problem_lines", driver="GPKG", mode="a")


def _raw(problem: Problem, sheet: Path) -> dict[str, Any]:
    """The reject's raw record: where on which sheet, and what it says."""
    return {
        "properties": {"sheet_file": sheet.name, "parcel_number": problem.parcel_number,
                       "detail": problem.detail},
        "geometry_wkt": shapely.to_wkt(problem.geometry, rounding_precision=3),
    }


def import_dgn(
    path: str | Path, crs: str | int, *, commune: str, sheet: int | None = None,
    boundary_level: int = BOUNDARY_LEVEL, label_level: int | None = None,
    snap_m: float = SNAP_M, encoding: Encoding | None = None,
    problems_out: str | Path | None = None, url: str | None = None,
) -> SheetReport:
    """Read, check and import one DGN V7 sheet; return its report."""
    p = Path(path)
    srid = parse_crs(crs)
    crs_text = f"EPSG:{srid}"
    number = sheet_number_of(p, sheet)
    drawing = read_sheet(p, boundary_level=boundary_level, label_level=label_level)
    built: SheetParcels = build_parcels(
        drawing, commune=commune, sheet=number, crs=crs_text, snap_m=snap_m, encoding=encoding
    )
    report = SheetReport(p, number, built.encoding, built.faces, built.labels,
                         len(built.parcels), built.problems)
    if problems_out is not None:
        write_problems(built.problems, Path(problems_out), crs_text)
    if built.parcels.empty:
        raise ImportFileError(
            f"{p.name}: no parcel could be read ({len(built.problems)} problems:"
            f" {', '.join(f'{v} {k}' for k, v in report.counts().items()) or 'no polygons'})"
        )
    with tempfile.TemporaryDirectory(prefix="iocgis-dgn-") as tmp:
        gpkg = Path(tmp) / f"{p.stem}.gpkg"
        built.parcels.drop(columns=["label_text"]).to_file(gpkg, driver="GPKG")
        report.summary = import_parcels(
            gpkg, srid, commune=commune, url=url, origin=p,
            extra_rejects=[(pr.reason, _raw(pr, p)) for pr in built.problems],
        )
    return report


def dgn_files(path: str | Path) -> list[Path]:
    """The sheets to import: the file itself, or every ``*.dgn`` in a folder (sorted)."""
    p = Path(path)
    if p.is_dir():
        found = sorted(q for q in p.iterdir() if q.suffix.lower() == ".dgn")
        if not found:
            raise ImportFileError(f"{p.name}: no .dgn files in this folder")
        return found
    return [p]


def is_dgn(path: str | Path) -> bool:
    """Whether the import should go through the DGN reader (a .dgn file, or a folder)."""
    p = Path(path)
    return p.is_dir() or p.suffix.lower() == ".dgn"
