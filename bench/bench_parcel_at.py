"""Parcel at a point over N parcels: ``gis.parcels.parcel_at`` vs the same raw SQL (prepared).

The points are random points on the surface of randomly chosen current parcels (fixed seed),
the same for every side. ``parcel_at`` is timed as callers use it (a connection borrowed
from its pool) and on a given open connection; the raw side runs the query that
``parcel_at`` answers with (parcel, commune, province, purposes with official names) as a
psycopg prepared statement and keeps the row; the API side builds its ``Parcel``. Rounds
alternate so both see the same cache. Prints per-call p50/p95 and the ratio.

    .venv/bin/python bench/bench_parcel_at.py [--count 1000000] [--points 2000]
    .venv/bin/python bench/bench_parcel_at.py --url postgresql://…/db   # parcels already loaded
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import numpy as np
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import python_child, sample_file, scratch_database
from gis.settings import get_settings, to_libpq_url

RAW = """
SELECT p.id, p.commune_code, c.name, c.province_code, pr.name, p.sheet_number,
       p.parcel_number, p.legal_area_m2, p.srid,
       (SELECT json_agg(json_build_array(pp.land_use_code, pp.area_m2, pp.term, pp.origin,
                                         k.name_vi, k.name_en, k.land_group)
                        ORDER BY pp.area_m2 DESC, pp.land_use_code)
          FROM land.parcel_purposes pp JOIN land.land_use_codes k ON k.code = pp.land_use_code
         WHERE pp.parcel_id = p.id),
       p.address, p.certificate_number, p.old_sheet_number, p.old_parcel_number,
       p.valid_from, p.valid_to
  FROM land.parcels p
  JOIN admin.communes c ON c.code = p.commune_code
  JOIN admin.provinces pr ON pr.code = c.province_code
 WHERE p.valid_to IS NULL
   AND ST_Intersects(p.geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326))
 ORDER BY p.id LIMIT 1
"""

IMPORT = """
from gis.parcels.importer import import_parcels
import pyogrio
for name, _ in pyogrio.list_layers({path!r}):
    crs = pyogrio.read_info({path!r}, layer=name)["crs"]
    print(import_parcels({path!r}, crs, layer=name))
"""


def points(conn: psycopg.Connection, n: int) -> list[tuple[float, float, int]]:
    """``n`` random points on current parcels (seeded): (lon, lat, parcel id)."""
    conn.execute("SELECT setseed(0.42)")
    rows = conn.execute(
        "SELECT ST_X(pt), ST_Y(pt), id FROM ("
        "  SELECT id, ST_PointOnSurface(geom) AS pt FROM land.parcels"
        "   WHERE valid_to IS NULL ORDER BY random() LIMIT %s) s",
        (n,),
    ).fetchall()
    return [(float(x), float(y), int(i)) for x, y, i in rows]


def timed(call: Callable[[float, float], None], pts: list[tuple[float, float, int]]) -> list[float]:
    """Per-call seconds of ``call(lon, lat)`` over ``pts``."""
    out = []
    for lon, lat, _ in pts:
        t = time.perf_counter()
        call(lon, lat)
        out.append(time.perf_counter() - t)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a database with parcels loaded (skips the set-up)")
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--province", default="01")
    parser.add_argument("--points", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()

    with ExitStack() as stack:
        url = args.url
        if url is None:
            url = stack.enter_context(scratch_database(keep=args.keep))
            path = sample_file(url, args.count, args.province, 0)
            run = python_child(IMPORT.format(path=str(path)), url)
            print(run.output.strip()[-600:])
            if run.returncode:
                return 1
            print(f"loaded in {run.seconds:.1f} s")
        os.environ["IOC_DATABASE_URL"] = url
        get_settings.cache_clear()
        from gis.parcels.queries import parcel_at

        api_conn = stack.enter_context(psycopg.connect(to_libpq_url(url), autocommit=True))
        raw_conn = stack.enter_context(psycopg.connect(to_libpq_url(url), autocommit=True))
        total = raw_conn.execute(
            "SELECT count(*) FROM land.parcels WHERE valid_to IS NULL"
        ).fetchone()[0]  # type: ignore[index]
        pts = points(raw_conn, args.points)
        print(f"{total} current parcels, {len(pts)} points")

        def api(lon: float, lat: float) -> None:
            parcel_at(lon, lat)  # as callers use it: a connection borrowed from its pool

        def api_conn_given(lon: float, lat: float) -> None:
            parcel_at(lon, lat, conn=api_conn)

        def raw(lon: float, lat: float) -> None:
            row = raw_conn.execute(RAW, (lon, lat), prepare=True).fetchone()
            assert row is not None

        # Same answers first (and a warm cache for both).
        for lon, lat, pid in pts:
            assert parcel_at(lon, lat, conn=api_conn).id == pid
            raw(lon, lat)
        api_t: list[float] = []
        given_t: list[float] = []
        raw_t: list[float] = []
        for _ in range(args.rounds):
            api_t += timed(api, pts)
            given_t += timed(api_conn_given, pts)
            raw_t += timed(raw, pts)

    def pct(values: list[float], q: float) -> float:
        return float(np.percentile(values, q)) * 1000

    rows = (("parcel_at (pooled)", api_t), ("parcel_at (conn=)", given_t), ("raw SQL", raw_t))
    for name, vals in rows:
        print(f"{name:20} p50 {pct(vals, 50):7.3f} ms   p95 {pct(vals, 95):7.3f} ms   "
              f"mean {statistics.fmean(vals) * 1000:7.3f} ms")  # fmt: skip
    for name, vals in (("pooled", api_t), ("conn=", given_t)):
        print(f"ratio parcel_at ({name}) / raw SQL: p50 {pct(vals, 50) / pct(raw_t, 50):.2f}x, "
              f"p95 {pct(vals, 95) / pct(raw_t, 95):.2f}x")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
