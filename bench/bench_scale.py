"""National scale: N synthetic parcels over several provinces, then every read against raw SQL.

Generates the parcels with the project's streaming generator (one GeoPackage per province,
written commune by commune), imports them with the real importer (timed against ``ogr2ogr``
of the same files), then on the same database measures, each against a raw SQL baseline doing
the same work: the parcel at a point, by sheet/number, by parcel code, the commune summary,
vector tiles z12–z16 (no cache), and OGC API items pages (first and deep). Prints the table and
index sizes. ``--readings N`` fills ``sensor.observations`` with N readings over monthly
partitions and shows partition pruning, the BRIN index and retention at that size.

    .venv/bin/python bench/bench_scale.py --parcels 10000000 [--provinces 01,79,48,31]
    .venv/bin/python bench/bench_scale.py --parcels 0 --readings 100000000
"""

from __future__ import annotations

import argparse
import asyncio
import calendar
import json
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pyogrio
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import CACHE, import_child, libpq_dsn, run_child, scratch_database
from gis.access.roles import PUBLIC
from gis.db import Read
from gis.parcels.code import parcel_by_code, parcel_by_code_query
from gis.parcels.queries import (
    get_parcel,
    land_use_summary,
    parcel_at,
    parcel_at_query,
    parcel_query,
)
from gis.settings import to_libpq_url
from gis.synth import synth_parcels
from layers.catalog import get_layer
from layers.crs_uri import parse_crs_uri
from layers.features import ItemsQuery, items
from layers.geojson import feature_sql
from layers.tiles import mvt_tile, raw_mvt_sql, tile_at
from sensors.retention import drop_old_partitions

TABLES = ("land.parcels", "land.parcel_purposes", "land.land_users", "land.parcel_land_users",
          "sensor.observations")


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (0–100) of ``values`` in milliseconds."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))] * 1000


def timed(fn: Callable[[], Any]) -> float:
    """Seconds one call of ``fn`` takes."""
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def row(name: str, ours: list[float], raw: list[float]) -> None:
    """One line of the results: p50 / p95 of both and the p50 ratio."""
    print(f"{name:34} {pct(ours, 50):9.2f} {pct(ours, 95):9.2f}   {pct(raw, 50):9.2f}"
          f" {pct(raw, 95):9.2f}   {pct(ours, 50) / max(pct(raw, 50), 1e-6):6.2f}x")


def generate(url: str, total: int, provinces: list[str]) -> list[Path]:
    """One GeoPackage per province (cached between runs), ``total`` parcels in all."""
    CACHE.mkdir(parents=True, exist_ok=True)
    files, t = [], time.perf_counter()
    for i, code in enumerate(provinces):
        n = total // len(provinces) + (1 if i < total % len(provinces) else 0)
        path = CACHE / f"scale_{code}_{n}.gpkg"
        if not path.exists():
            synth_parcels(path, n, province=code, seed=7, url=url)
        files.append(path)
    size = sum(f.stat().st_size for f in files) / 1e9
    print(f"generated/reused {total:,} parcels in {time.perf_counter() - t:.0f} s, {size:.2f} GB")
    return files


def load(url: str, files: list[Path]) -> None:
    """Import every layer of every file, each in its own process (its peak memory is the
    importer's alone); the same files through ogr2ogr as the baseline."""
    ours = ogr = peak = 0.0
    for path in files:
        for name, _ in pyogrio.list_layers(path):
            crs = str(pyogrio.read_info(path, layer=name)["crs"])
            mine, _ = import_child(path, crs, name, url)
            ours += mine.seconds
            peak = max(peak, mine.peak_mb)
            run = run_child(["ogr2ogr", "-f", "PostgreSQL", libpq_dsn(url), str(path), name,
                             "-nln", "public.ogr_parcels", "-append", "-nlt", "PROMOTE_TO_MULTI",
                             "-lco", "GEOMETRY_NAME=geom", "--config", "PG_USE_COPY", "YES"])
            if run.returncode:
                raise SystemExit(run.output[-2000:])
            ogr += run.seconds
            print(f"  {path.name}/{name}: import_parcels {mine.seconds:.0f} s (peak RSS"
                  f" {mine.peak_mb:.0f} MB), ogr2ogr {run.seconds:.0f} s")  # fmt: skip
    print(f"import: import_parcels {ours:.0f} s (peak RSS {peak:.0f} MB), ogr2ogr {ogr:.0f} s,"
          f" ratio {ours / ogr:.2f}x")


def sizes(conn: psycopg.Connection) -> None:
    """Table and index sizes, rows, and the database's size."""
    for table in TABLES:
        n, total, idx = conn.execute(
            "SELECT (SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass),"
            " pg_total_relation_size(%s::regclass), pg_indexes_size(%s::regclass)",
            (table, table, table)).fetchone()  # type: ignore[misc]
        if table == "sensor.observations":  # partitioned: add up the partitions
            n, total, idx = conn.execute(
                "SELECT sum(c.reltuples)::bigint, sum(pg_total_relation_size(c.oid)),"
                " sum(pg_indexes_size(c.oid)) FROM pg_inherits i JOIN pg_class c"
                " ON c.oid = i.inhrelid WHERE i.inhparent = 'sensor.observations'::regclass"
            ).fetchone()  # type: ignore[misc]
        print(f"{table:28} rows ~{max(int(n or 0), 0):>13,}  total {int(total or 0) / 1e9:7.2f} GB"
              f"  indexes {int(idx or 0) / 1e9:7.2f} GB")
    (db,) = conn.execute("SELECT pg_database_size(current_database())").fetchone()  # type: ignore[misc]
    print(f"database {db / 1e9:.2f} GB")


def parcel_reads(conn: psycopg.Connection, samples: int) -> None:
    """Point, key, code and commune summary: the app's functions against raw statements."""
    picks = conn.execute(
        "SELECT commune_code, sheet_number, parcel_number, parcel_code,"
        " ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM land.parcels"
        " TABLESAMPLE SYSTEM (1) WHERE valid_to IS NULL LIMIT %s", (samples,)).fetchall()
    random.Random(1).shuffle(picks)
    # The baseline runs the app's own statement on a plain connection: what is measured beyond
    # it is the app's overhead (pool, parameters, shaping the answer).
    cases: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Read[Any]]]] = {
        "parcel at a point": (lambda p: parcel_at(p[4], p[5]),
                              lambda p: parcel_at_query(p[4], p[5])),
        "parcel by sheet/number": (lambda p: get_parcel(p[0], p[1], p[2]),
                                   lambda p: parcel_query(p[0], p[1], p[2])),
        "parcel by code": (lambda p: parcel_by_code(p[3]), lambda p: parcel_by_code_query(p[3])),
    }
    for name, (ours, statement) in cases.items():
        a = [timed(lambda p=p, f=ours: f(p)) for p in picks]
        reads = [statement(p) for p in picks]
        b = [timed(lambda r=r: conn.execute(r.query, r.params, prepare=True).fetchall())
             for r in reads]
        row(name, a, b)
    communes = sorted({p[0] for p in picks})[:20]
    raw_summary = (
        "SELECT pp.land_use_code, count(*), sum(pp.area_m2) FROM land.parcels p"
        " JOIN land.parcel_purposes pp ON pp.parcel_id = p.id WHERE p.commune_code = %s"
        " AND p.valid_to IS NULL GROUP BY 1")
    row("commune summary", [timed(lambda c=c: land_use_summary(c)) for c in communes],
        [timed(lambda c=c: conn.execute(raw_summary, (c,)).fetchall()) for c in communes])


async def map_reads(url: str, points: list[tuple[float, float]]) -> None:
    """Tiles z12–z16 (no cache) and items pages against their raw statements."""
    layer = get_layer("parcels")
    raw_tile = raw_mvt_sql(layer)
    async with await psycopg.AsyncConnection.connect(to_libpq_url(url), autocommit=True) as c:
        for z in range(12, 17):
            if not layer.minzoom <= z <= layer.maxzoom:
                print(f"tile z{z}: below the parcels layer's zoom range ({layer.minzoom}+)")
                continue
            tiles = [tile_at(lon, lat, z) for lon, lat in points]
            ours, raw = [], []
            for zxy in tiles:
                t = time.perf_counter()
                await mvt_tile(c, [layer], *zxy)
                ours.append(time.perf_counter() - t)
                t = time.perf_counter()
                cur = await c.execute(raw_tile, (*zxy, *zxy), prepare=True, binary=True)
                await cur.fetchone()
                raw.append(time.perf_counter() - t)
            row(f"tile z{z}", ours, raw)
        (mid,) = await (await c.execute(
            "SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY fid) FROM layers.parcels"
        )).fetchone()  # type: ignore[misc]
        # the app's feature statement, without the estimate, paging links and response
        raw_items = sql.SQL(
            "SELECT s.fid, {} FROM layers.parcels s WHERE s.fid > %s ORDER BY s.fid LIMIT 1001"
        ).format(feature_sql(layer, parse_crs_uri(None), PUBLIC))
        for name, after in (("items limit=1000, first page", None), ("items, deep page", mid)):
            ours, raw = [], []
            for _ in range(10):
                t = time.perf_counter()
                await items(c, layer, ItemsQuery(limit=1000, after=after))
                ours.append(time.perf_counter() - t)
                t = time.perf_counter()
                await (await c.execute(raw_items, (after or 0,))).fetchall()
                raw.append(time.perf_counter() - t)
            row(name, ours, raw)


def readings(conn: psycopg.Connection, total: int, stations: int) -> None:
    """``total`` readings of ``stations`` datastreams over whole months; pruning and BRIN."""
    # Whole calendar months of 5-minute readings, in time order (what BRIN relies on).
    sizes, year, month = [], 2025, 1
    while sum(sizes) < total:
        per_month = stations * calendar.monthrange(year, month)[1] * 24 * 12
        sizes.append(min(per_month, total - sum(sizes)))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    first = "2025-01-01"
    conn.execute("SELECT sensor.ensure_observation_partitions(%s::timestamptz,"
                 " %s::timestamptz + make_interval(months => %s))", (first, first, len(sizes)))
    t = time.perf_counter()
    for m, n in enumerate(sizes):
        conn.execute(
            "INSERT INTO sensor.observations (datastream_id, phenomenon_time, result)"
            " SELECT 1000000 + s, t, random() * 100 FROM generate_series("
            " %(t0)s::timestamptz + make_interval(months => %(m)s),"
            " %(t0)s::timestamptz + make_interval(months => %(m)s + 1) - interval '5 minutes',"
            " interval '5 minutes') t CROSS JOIN generate_series(0, %(s)s - 1) s"
            # As stations send them: in time order (the planner may nest the loops the other
            # way round, which would leave BRIN nothing to skip).
            " ORDER BY t, s LIMIT %(n)s",
            {"s": stations, "t0": first, "m": m, "n": n})
        conn.commit()
    done = sum(sizes)
    conn.execute("ANALYZE sensor.observations")
    conn.commit()
    print(f"inserted {done:,} readings over {len(sizes)} months in {time.perf_counter() - t:.0f} s")
    queries = (
        ("a day across stations", "SELECT count(*), avg(result) FROM sensor.observations"
         " WHERE phenomenon_time >= '2025-01-15Z' AND phenomenon_time < '2025-01-16Z'"),
        ("one station's month", "SELECT count(*), avg(result) FROM sensor.observations"
         " WHERE datastream_id = 1000007 AND phenomenon_time >= '2025-01-01Z'"
         " AND phenomenon_time < '2025-02-01Z'"),
    )
    # Just written, the BRIN's newest ranges may not be summarised yet (autovacuum does it
    # soon after with autosummarize, migration 0017); then as they are once summarised.
    for when in ("just written", "summarised"):
        if when == "summarised":
            conn.execute("SELECT brin_summarize_new_values(c.oid) FROM pg_inherits i"
                         " JOIN pg_class c ON c.oid = i.inhrelid"
                         " WHERE i.inhparent = 'sensor.observations_time_brin'::regclass")
            conn.commit()
        for name, query in queries:
            (plan,) = conn.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + query).fetchone()  # type: ignore[misc]
            text = json.dumps(plan)
            scanned = sorted({p for p in text.split('"') if p.startswith("observations_")})
            buffers = plan[0]["Plan"].get("Shared Hit Blocks", 0) + plan[0]["Plan"].get(
                "Shared Read Blocks", 0)
            print(f"{name} ({when}): {plan[0]['Execution Time']:.1f} ms, {buffers} buffers,"
                  f" {scanned}")
    dropping = drop_old_partitions(conn, 12, dry_run=True)
    print(f"retention --keep-months 12 would drop {len(dropping)} partitions"
          f" ({sum(p.bytes for p in dropping) / 1e9:.2f} GB)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=10_000_000)
    parser.add_argument("--provinces", default="01,79,48,31", help="province codes")
    parser.add_argument("--readings", type=int, default=0)
    parser.add_argument("--stations", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    with scratch_database(keep=args.keep) as url:
        if args.parcels:
            files = generate(url, args.parcels, args.provinces.split(","))
            load(url, files)
            with psycopg.connect(to_libpq_url(url), autocommit=True) as conn:
                conn.execute("ANALYZE")
                print(f"{'read (ms)':34} {'ours p50':>9} {'p95':>9}   {'raw p50':>9} {'p95':>9}"
                      "   ratio")
                parcel_reads(conn, args.samples)
                points = [(r[0], r[1]) for r in conn.execute(
                    "SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom))"
                    " FROM land.parcels TABLESAMPLE SYSTEM (1) LIMIT 50").fetchall()]
            asyncio.run(map_reads(url, points))
        with psycopg.connect(to_libpq_url(url)) as conn:
            if args.readings:
                readings(conn, args.readings, args.stations)
            sizes(conn)
    return 0


if __name__ == "__main__":
    sys.exit(main())
