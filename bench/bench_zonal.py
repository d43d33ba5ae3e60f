"""Zonal statistics: ioc-gis (exactextract) vs rasterstats, same rasters, same communes.

Rasters: the shipped land-cover COG (synthetic, 20 m) — class areas — and an AQI surface
(inverse-distance weighting of 30 synthetic stations over Hà Nội, ~550 m) — means. Zones: the
Hà Nội communes the land cover covers, read from the shipped admin data. Each side runs in its
own process (rasterstats from the benchmark virtualenv under var/); figures are whole-run wall
times and how far the two answers differ.

    .venv/bin/python bench/bench_zonal.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
from rasterio.transform import from_origin

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._layers import ROOT
from bench.bench_features import VENV, ensure_venv
from layers.landcover import LANDCOVER
from layers.surface import idw

WORK = ROOT / "var" / "bench-zonal"

RASTERSTATS = """
import json, sys, time
from rasterstats import zonal_stats
zones, landcover, aqi, repeat = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
zones = [f["geometry"] for f in json.load(open(zones))["features"]]
t = time.perf_counter()
for _ in range(repeat):
    cats = zonal_stats(zones, landcover, categorical=True, nodata=0)
    means = zonal_stats(zones, aqi, stats=["mean"], nodata=-1)
print(json.dumps({"seconds": (time.perf_counter() - t) / repeat,
                  "classes": cats, "means": [m["mean"] for m in means]}))
"""

OURS = """
import json, sys, time
import geopandas as gpd
from layers.landcover import CLASSES
from layers.zonal import class_areas_many, surface_means
from pathlib import Path
zones, landcover, aqi, repeat = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
frame = gpd.read_file(zones)
t = time.perf_counter()
for _ in range(repeat):
    cats = class_areas_many(landcover, list(frame.geometry), CLASSES)
    means = [m["mean"] for m in surface_means(aqi, list(frame.geometry))]
print(json.dumps({"seconds": (time.perf_counter() - t) / repeat,
                  "classes": [{str(c["code"]): c["fraction"] for c in x["classes"]} for x in cats],
                  "means": means}))
"""


def prepare() -> tuple[Path, Path]:
    """The zones file (communes under the land cover) and the AQI surface GeoTIFF."""
    WORK.mkdir(parents=True, exist_ok=True)
    communes = gpd.read_file(f"/vsigzip/{ROOT}/data/admin/hanoi_communes_126_2025_full.geojson.gz")
    with rasterio.open(LANDCOVER) as ds:
        w, s, e, n = ds.bounds
    zones = communes[
        communes.geometry.within(
            gpd.GeoSeries.from_xy([w], [s])
            .iloc[0]
            .union(gpd.GeoSeries.from_xy([e], [n]).iloc[0])
            .envelope
        )
    ][["ma_xa", "geometry"]]
    zones_path = WORK / "zones.geojson"
    zones.to_file(zones_path, driver="GeoJSON")
    rng = np.random.default_rng(3)
    west, south, east, north = communes.total_bounds
    xs, ys = rng.uniform(west, east, 30), rng.uniform(south, north, 30)
    vals = rng.uniform(20, 300, 30)
    res = 0.005
    width, height = int((east - west) / res) + 1, int((north - south) / res) + 1
    cols, rows = np.meshgrid(np.arange(width) + 0.5, np.arange(height) + 0.5)
    grid = idw(xs, ys, vals, west + cols * res, north - rows * res).astype("float32")
    aqi_path = WORK / "aqi_surface.tif"
    with rasterio.open(aqi_path, "w", driver="GTiff", width=width, height=height, count=1,
                       dtype="float32", crs="EPSG:4326", nodata=-1,
                       transform=from_origin(west, north, res, res)) as dst:  # fmt: skip
        dst.write(grid, 1)
    return zones_path, aqi_path


def run(python: str, code: str, zones: Path, aqi: Path, repeat: int) -> dict:
    """Run one side in its own process and read its JSON answer."""
    t = time.perf_counter()
    out = subprocess.run(
        [python, "-c", code, str(zones), str(LANDCOVER), str(aqi), str(repeat)],
        capture_output=True, text=True, cwd=ROOT, check=True,
    )  # fmt: skip
    doc = json.loads(out.stdout.strip().splitlines()[-1])
    doc["process_seconds"] = time.perf_counter() - t
    return doc


def main() -> None:
    """Print both sides' times and how far their answers are apart."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    ensure_venv()
    zones, aqi = prepare()
    ours = run(sys.executable, OURS, zones, aqi, args.repeat)
    theirs = run(str(VENV / "bin" / "python"), RASTERSTATS, zones, aqi, args.repeat)
    n = len(ours["means"])
    frac_diff, empty = [], 0
    for mine, rs in zip(ours["classes"], theirs["classes"], strict=True):
        if not rs:  # no cell centre inside: rasterstats has nothing to say
            empty += 1
            continue
        total = sum(rs.values())
        for code in set(mine) | {str(k) for k in rs}:
            frac_diff.append(abs(mine.get(code, 0.0) - rs.get(code, rs.get(int(code), 0)) / total))
    mean_diff = [abs(a - b) for a, b in zip(ours["means"], theirs["means"], strict=True)
                 if a is not None and b is not None]  # fmt: skip
    print(f"{n} communes × (land-cover class areas + AQI surface mean), per run:")
    print(f"  ioc-gis (exactextract): {ours['seconds']:.3f} s")
    print(f"  rasterstats:            {theirs['seconds']:.3f} s")
    print(f"  ratio rasterstats/ours: {theirs['seconds'] / ours['seconds']:.1f}×")
    print(f"  class fractions differ by ≤ {max(frac_diff):.3f} (mean {np.mean(frac_diff):.4f});"
          f" AQI means by ≤ {max(mean_diff):.2f} (rasterstats counts whole cells by centre,"
          " exactextract weights partly covered cells)")  # fmt: skip
    print(f"  zones where rasterstats found no cell centre (exactextract still answers): {empty}")


if __name__ == "__main__":
    main()
