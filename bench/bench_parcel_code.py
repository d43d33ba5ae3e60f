"""Parcel codes and extracts: what they cost per parcel (no database).

Codes: polylabel (1 mm) + EPSG:6960 + GeoHash-12 for N synthetic parcels in EPSG:5897 (rotated
rectangles and 12-sided shapes), i.e. what an import adds per parcel. Extract: rendering the
PDF of one parcel with 40 neighbours (ReportLab), repeated.

    .venv/bin/python bench/bench_parcel_code.py [--parcels 50000] [--extracts 20]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import shapely
from shapely import affinity

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gis.parcels.code import parcel_codes
from gis.parcels.extract import ExtractData, render_extract
from gis.parcels.extract_map import Neighbour
from gis.parcels.model import Parcel, Purpose

SRID = 5897
ORIGIN = (585_000.0, 2_326_000.0)  # central Hà Nội in the 105° zone


def shapes(n: int, seed: int = 7) -> list[shapely.Polygon]:
    """``n`` parcels: half rotated rectangles, half irregular 12-gons, 50–600 m²."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        x, y = ORIGIN[0] + rng.uniform(0, 20_000), ORIGIN[1] + rng.uniform(0, 20_000)
        if i % 2:
            w, h = rng.uniform(5, 25), rng.uniform(10, 30)
            g = affinity.rotate(shapely.box(x, y, x + w, y + h), rng.uniform(0, 90))
        else:
            a = np.sort(rng.uniform(0, 2 * np.pi, 12))
            r = rng.uniform(6, 14, 12)
            g = shapely.Polygon(np.column_stack([x + r * np.cos(a), y + r * np.sin(a)]))
        out.append(g if g.is_valid else g.buffer(0))
    return out


def main() -> None:
    """Print the timings."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--parcels", type=int, default=50_000)
    ap.add_argument("--extracts", type=int, default=20)
    args = ap.parse_args()
    geoms = shapes(args.parcels)
    t0 = time.perf_counter()
    codes = parcel_codes(geoms, SRID)
    dt = time.perf_counter() - t0
    print(f"codes: {len(codes)} parcels in {dt:.2f} s = {dt / len(codes) * 1e6:.0f} µs/parcel;"
          f" {len(set(codes))} distinct")
    grid = [shapely.box(ORIGIN[0] + 20 * i, ORIGIN[1] + 20 * j, ORIGIN[0] + 20 * (i + 1),
                        ORIGIN[1] + 20 * (j + 1)) for i in range(8) for j in range(5)]
    card = Parcel(1, "00070", "Hoàn Kiếm", "01", "Hà Nội", 1, 12, 400.0, SRID,
                  (Purpose("ODT", 400.0, "Lâu dài", "Nhà nước giao đất", "Đất ở tại đô thị"),),
                  address="Số 1 phố thử nghiệm", parcel_code=codes[0])
    data = ExtractData(card, grid[12], [Neighbour(1, k + 1, g) for k, g in enumerate(grid)])
    t0 = time.perf_counter()
    for _ in range(args.extracts):
        pdf = render_extract(data, date(2026, 12, 2))
    dt = (time.perf_counter() - t0) / args.extracts
    print(f"extract: {dt * 1000:.0f} ms per PDF ({len(pdf) / 1024:.0f} KiB, 40 neighbours)")


if __name__ == "__main__":
    main()
