"""Import of N synthetic parcels from a GeoPackage: ``ogr2ogr`` vs ``iocgis parcels import``.

Both sides load the same file into the same fresh database, each in its own process:
``ogr2ogr -f PostgreSQL`` (COPY mode, GiST index: what a user would type) into a scratch table,
and ``gis.parcels.import_parcels`` (validation, legal areas, sheets, purposes, users, history)
into ``land.parcels``. Prints both times, the ratio (goal ≤ 1.5×) and each process's peak RSS
(the PostgreSQL server's own work is in the times, not in the memory figures).

    .venv/bin/python bench/bench_parcel_import.py [--count 1000000] [--province 01] [--keep]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pyogrio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import import_child, libpq_dsn, run_child, sample_file, scratch_database, warm


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000, help="parcels (default 1M)")
    parser.add_argument("--province", default="01", help="province to fill (default 01 Hà Nội)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()

    with scratch_database(keep=args.keep) as url:
        path = sample_file(url, args.count, args.province, args.seed)
        layers = pyogrio.list_layers(path)
        if len(layers) != 1:
            print(f"{path.name} has {len(layers)} layers (TM-3 zones); pick a one-zone province")
            return 2
        layer = str(layers[0][0])
        info = pyogrio.read_info(path, layer=layer)
        crs = str(info["crs"])
        print(f"file {path.name}: {info['features']} features, {crs}, "
              f"{path.stat().st_size / 1e6:.0f} MB")  # fmt: skip
        warm(path)

        ogr = run_child(
            ["ogr2ogr", "-f", "PostgreSQL", libpq_dsn(url), str(path), layer,
             "-nln", "public.ogr_parcels", "-lco", "GEOMETRY_NAME=geom",
             "-lco", "SPATIAL_INDEX=GIST", "-nlt", "PROMOTE_TO_MULTI",
             "--config", "PG_USE_COPY", "YES"]
        )  # fmt: skip
        if ogr.returncode:
            print(ogr.output)
            return 1
        print(f"ogr2ogr:        {ogr.seconds:8.1f} s   peak RSS {ogr.peak_mb:7.0f} MB")

        ours, summary = import_child(path, crs, layer, url)
        print(f"import_parcels: {ours.seconds:8.1f} s   peak RSS {ours.peak_mb:7.0f} MB   "
              f"added {summary['added']}, rejected {summary['rejected']}")  # fmt: skip
        ratio = ours.seconds / ogr.seconds
        verdict = "within" if ratio <= 1.5 else "OVER"
        print(f"ratio import_parcels / ogr2ogr = {ratio:.2f}x ({verdict} the 1.5x goal)")
        print(f"throughput: ogr2ogr {info['features'] / ogr.seconds:,.0f} /s, "
              f"import_parcels {info['features'] / ours.seconds:,.0f} /s")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
