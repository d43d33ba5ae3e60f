"""Import of one 2,000-parcel DGN V7 sheet against the same parcels from a GeoPackage.

Synthetic parcels of one commune (the demo's generator, the real importer) are put on one map
sheet and written twice: as a GeoPackage in the import contract, and as a DGN V7 sheet
(boundaries on level 10, stacked TCVN3 labels, GDAL's writer). Each file is imported into its
own fresh database, each in its own process; the ratio is DGN / GeoPackage (the extra work: read
the design file, snap and polygonize the lines, decode and join the labels).

    .venv/bin/python bench/bench_dgn.py [--count 2000] [--commune 00004] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

import geopandas as gpd
import shapely
from shapely.ops import polylabel

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import python_child, scratch_database
from gis.dgn.export import Element, write_dgn
from gis.dgn.labels import format_label
from gis.dgn.sheet import BOUNDARY_LEVEL, LABEL_LEVEL
from gis.dgn.vnfonts import encode_label
from gis.synth import synth_parcels

GPKG = """
import json
from gis.parcels.importer import import_parcels
s = import_parcels({path!r}, {crs!r}, commune={commune!r})
print("RESULT " + json.dumps({{"added": s.added, "rejected": s.rejected_total}}))
"""
DGN = """
import json
from gis.dgn.importer import import_dgn
r = import_dgn({path!r}, {crs!r}, commune={commune!r}, sheet=1)
print("RESULT " + json.dumps({{"added": r.summary.added, "rejected": r.summary.rejected_total,
                              "problems": r.counts()}}))
"""


def make_files(url: str, count: int, commune: str, out: Path) -> tuple[Path, Path, str]:
    """The same parcels as one sheet: a GeoPackage and a DGN V7 file."""
    synth = out / "synth.gpkg"
    synth_parcels(synth, count, communes=[commune], seed=1, url=url)
    frame = gpd.read_file(synth)
    frame["sheet_number"] = 1
    frame["parcel_number"] = range(1, len(frame) + 1)
    # one purpose each: a DGN label carries codes, not the area of each purpose
    frame["land_use"] = frame["land_use"].str.split(";").str[0].str.split(":").str[0]
    frame = frame[["commune_code", "sheet_number", "parcel_number", "land_use", "geometry"]]
    frame["geometry"] = shapely.set_precision(frame.geometry.to_numpy(), 0.001)
    gpkg = out / "sheet.gpkg"
    frame.to_file(gpkg, driver="GPKG")
    elements: list[Element] = []
    for row in frame.itertuples():
        for ring in shapely.get_parts(shapely.boundary(row.geometry)):
            elements.append((ring, BOUNDARY_LEVEL, None))
        largest = max(shapely.get_parts(row.geometry), key=lambda p: p.area)
        at = polylabel(largest, tolerance=0.01)
        for k, text in enumerate(format_label(row.parcel_number, row.land_use, largest.area)[:2]):
            elements.append((shapely.Point(at.x, at.y + (0.5 - k) * 1.4), LABEL_LEVEL,
                             encode_label(text, "tcvn3")))
    dgn = out / "to_1.dgn"
    write_dgn(elements, dgn)
    return gpkg, dgn, str(frame.crs)


def timed(code: str, runs: int, count: int, commune: str) -> tuple[list[float], dict[str, object]]:
    """Run ``code`` ``runs`` times, each in a fresh database; wall times and the last result."""
    times, result = [], {}
    for _ in range(runs):
        with scratch_database() as url:
            run = python_child(code, url)
            lines = [ln for ln in run.output.splitlines() if ln.startswith("RESULT ")]
            if run.returncode or not lines:
                raise SystemExit(run.output[-3000:])
            result = json.loads(lines[0].removeprefix("RESULT "))
            times.append(run.seconds)
    return times, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--commune", default="00004", help="commune code (default Ba Đình)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="iocgis-bench-dgn-") as tmp:
        with scratch_database() as url:
            gpkg, dgn, crs = make_files(url, args.count, args.commune, Path(tmp))
        print(f"sheet of {args.count} parcels: {gpkg.stat().st_size / 1e3:.0f} kB GeoPackage,"
              f" {dgn.stat().st_size / 1e3:.0f} kB DGN ({crs})")
        fmt = {"crs": crs, "commune": args.commune}
        g_times, g = timed(GPKG.format(path=str(gpkg), **fmt), args.runs, args.count, args.commune)
        d_times, d = timed(DGN.format(path=str(dgn), **fmt), args.runs, args.count, args.commune)
    g_med, d_med = statistics.median(g_times), statistics.median(d_times)
    print(f"GeoPackage import: median {g_med:.2f} s ({', '.join(f'{t:.2f}' for t in g_times)})"
          f"  added {g['added']}, rejected {g['rejected']}")
    print(f"DGN sheet import:  median {d_med:.2f} s ({', '.join(f'{t:.2f}' for t in d_times)})"
          f"  added {d['added']}, rejected {d['rejected']}, problems {d['problems']}")
    print(f"ratio DGN / GeoPackage = {d_med / g_med:.2f}x (process start included in both)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
