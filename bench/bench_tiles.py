"""Vector tiles on 1,000,000 synthetic parcels: ioc-gis over HTTP vs the raw ST_AsMVT SQL.

1. One random tile list, z12–z16 over the parcels. Per zoom: p50/p95 of ioc-gis over HTTP
   (cache off, gzip on) and of the plain ST_AsMVT statement (psycopg, prepared) on the same
   tiles; ratio of the p50s (goal ≤ 1.2×).
2. 50 concurrent clients for 60 s on that list, cache off (goal: no errors).
3. Cache warm: the list pre-fetched, then 50 clients for 20 s: tiles per second.

For a like-for-like comparison the server runs with the parcels layer shown from zoom 12 and
no feature cap (the catalog declares minzoom 14 and a 20,000 cap).

    .venv/bin/python bench/bench_tiles.py [--count 1000000] [--per-zoom 25] [--drop]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import random
import sys
import time
from pathlib import Path

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._layers import (
    BENCH_DB,
    SERVER,
    bench_url,
    ensure_bench_db,
    free_port,
    percentile,
    python,
    start_server,
    stop_server,
)
from gis.settings import to_libpq_url
from layers.catalog import CATALOG
from layers.tiles import raw_mvt_sql, tile_at

ZOOMS = (12, 13, 14, 15, 16)


def bench_layer():
    """The parcels layer as served in this benchmark: from zoom 12, no cap."""
    return dataclasses.replace(CATALOG["parcels"], minzoom=12, tile_cap=10**8)


def serve(port: int, cache_mb: int) -> None:
    """Server mode: the app with the benchmark's parcels declaration."""
    import uvicorn

    from maps.app import create_app
    from maps.config import MapsSettings

    CATALOG["parcels"] = bench_layer()
    settings = MapsSettings(database_url=bench_url(), tile_cache_mb=cache_mb)
    uvicorn.run(create_app(settings), host="127.0.0.1", port=port, log_level="warning")


def tile_list(url: str, per_zoom: int, seed: int) -> list[tuple[int, int, int]]:
    """Tiles holding random parcels, ``per_zoom`` distinct ones per zoom."""
    rng = random.Random(seed)
    with psycopg.connect(to_libpq_url(url)) as conn:
        (lo, hi) = conn.execute("SELECT min(id), max(id) FROM land.parcels").fetchone()
        ids = rng.sample(range(lo, hi + 1), min(hi - lo + 1, 5000))
        pts = conn.execute(
            "SELECT ST_X(ST_Centroid(geom)), ST_Y(ST_Centroid(geom)) FROM land.parcels"
            " WHERE id = ANY(%s)",
            (ids,),
        ).fetchall()
    tiles = []
    for z in ZOOMS:
        seen: set[tuple[int, int, int]] = set()
        rng.shuffle(pts)
        for lon, lat in pts:
            seen.add(tile_at(lon, lat, z))
            if len(seen) == per_zoom:
                break
        tiles += sorted(seen)
    rng.shuffle(tiles)
    return tiles


def sequential(url: str, base: str, tiles: list[tuple[int, int, int]]) -> dict[int, tuple]:
    """Per zoom: (p50 raw, p95 raw, p50 http, p95 http, mean bytes)."""
    query = raw_mvt_sql(bench_layer())
    raw: dict[int, list[float]] = {z: [] for z in ZOOMS}
    web: dict[int, list[float]] = {z: [] for z in ZOOMS}
    size: dict[int, list[int]] = {z: [] for z in ZOOMS}
    with (
        psycopg.connect(to_libpq_url(url), autocommit=True) as conn,
        httpx.Client(headers={"Accept-Encoding": "gzip"}, timeout=300) as client,
    ):
        for rounds in range(2):  # the first round warms both sides' caches
            for z, x, y in tiles:
                t = time.perf_counter()
                row = conn.execute(query, (z, x, y, z, x, y), prepare=True).fetchone()
                t_raw = time.perf_counter() - t
                t = time.perf_counter()
                r = client.get(f"{base}/tiles/parcels/{z}/{x}/{y}.mvt")
                r.read()
                t_web = time.perf_counter() - t
                assert r.status_code == 200
                if rounds:
                    raw[z].append(t_raw)
                    web[z].append(t_web)
                    size[z].append(len(row[0] or b""))
    return {
        z: (percentile(raw[z], 50), percentile(raw[z], 95), percentile(web[z], 50),
            percentile(web[z], 95), sum(size[z]) / max(len(size[z]), 1))
        for z in ZOOMS
    }  # fmt: skip


async def load(base: str, tiles: list[tuple[int, int, int]], clients: int, seconds: float):
    """``clients`` concurrent clients fetching random tiles for ``seconds``."""
    done, errors, lat = 0, 0, []
    kinds: dict[str, int] = {}
    stop = time.monotonic() + seconds

    async def one(seed: int) -> None:
        nonlocal done, errors
        rng = random.Random(seed)
        async with httpx.AsyncClient(headers={"Accept-Encoding": "gzip"}, timeout=120) as c:
            while time.monotonic() < stop:
                z, x, y = rng.choice(tiles)
                t = time.perf_counter()
                try:
                    # Raw bytes, as a map client receives them (no gunzip in this process).
                    url = f"{base}/tiles/parcels/{z}/{x}/{y}.mvt"
                    async with c.stream("GET", url) as r:
                        async for _ in r.aiter_raw():
                            pass
                    ok, kind = r.status_code == 200, str(r.status_code)
                except httpx.HTTPError as exc:
                    ok, kind = False, type(exc).__name__
                if not ok:
                    kinds[kind] = kinds.get(kind, 0) + 1
                lat.append(time.perf_counter() - t)
                done += 1
                errors += not ok

    t0 = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(clients)))
    wall = time.perf_counter() - t0
    if kinds:
        print(f"   errors by kind: {kinds}")
    return done, errors, wall, percentile(lat, 50), percentile(lat, 95)


def main() -> None:
    """Run the three parts and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=1_000_000)
    ap.add_argument("--per-zoom", type=int, default=25)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--drop", action="store_true", help=f"drop {BENCH_DB} first")
    ap.add_argument("--parts", default="123", help="which parts to run (default: 123)")
    ap.add_argument("--load-min-zoom", type=int, default=12, help="parts 2-3: tiles from this zoom")
    ap.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--cache-mb", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(args.serve, args.cache_mb)
        return
    if args.drop:
        with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as c:
            c.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    url = ensure_bench_db(args.count)
    tiles = tile_list(url, args.per_zoom, args.seed)
    print(f"{args.count} parcels, {len(tiles)} tiles (z{ZOOMS[0]}–z{ZOOMS[-1]})")

    loaded = [t for t in tiles if t[0] >= args.load_min_zoom]
    port = free_port()
    me = [python(), __file__, "--serve", str(port)]
    proc = start_server([*me, "--cache-mb", "0"], {}, port)
    base = f"http://127.0.0.1:{port}"
    try:
        if "1" in args.parts:
            print(
                "\n1. per zoom, cache off (ms)   raw p50   raw p95  http p50  http p95  ratio  KiB"
            )
            for z, (rp50, rp95, wp50, wp95, size) in sequential(url, base, tiles).items():
                print(f"   z{z:<26} {rp50 * 1e3:8.1f} {rp95 * 1e3:9.1f} {wp50 * 1e3:9.1f}"
                      f" {wp95 * 1e3:9.1f} {wp50 / rp50:6.2f} {size / 1024:5.0f}")  # fmt: skip
        if "2" in args.parts:
            done, errors, wall, p50, p95 = asyncio.run(
                load(base, loaded, args.clients, args.seconds)
            )
            print(f"\n2. z{args.load_min_zoom}+, {args.clients} clients, {args.seconds:.0f} s,"
                  f" cache off: {done} tiles,"
                  f" {errors} errors, {done / wall:.1f} tiles/s, p50 {p50 * 1e3:.0f} ms,"
                  f" p95 {p95 * 1e3:.0f} ms")  # fmt: skip
    finally:
        stop_server(proc)

    if "3" not in args.parts:
        return
    proc = start_server([*me, "--cache-mb", "1024"], {}, port)
    try:
        with httpx.Client(headers={"Accept-Encoding": "gzip"}, timeout=300) as c:
            for z, x, y in loaded:
                c.get(f"{base}/tiles/parcels/{z}/{x}/{y}.mvt").read()
        done, errors, wall, p50, p95 = asyncio.run(load(base, loaded, args.clients, 20))
        print(f"\n3. z{args.load_min_zoom}+, cache warm, {args.clients} clients, 20 s:"
              f" {done / wall:.0f} tiles/s, {errors} errors, p50 {p50 * 1e3:.1f} ms,"
              f" p95 {p95 * 1e3:.1f} ms")  # fmt: skip
    finally:
        stop_server(proc)


if __name__ == "__main__":
    main()
