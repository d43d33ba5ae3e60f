"""Vector tiles on 1,000,000 synthetic parcels: ioc-gis over HTTP vs the raw ST_AsMVT SQL.

1. One random tile list, z12–z16 over the parcels. Per zoom: p50 of ioc-gis over HTTP
   (cache off) and of the plain ST_AsMVT statement (psycopg, prepared, binary results like the
   app's) gzipped at the app's level, on the same tiles; the HTTP clients (httpx and wrk, see
   :func:`sequential`) read the raw gzip bytes; ratios of the p50s (goal ≤ 1.2×).
2. 50 concurrent clients for 60 s on that list, cache off (goal: no errors).
3. Cache warm, ``serve --workers 2`` with the shared cache: the list pre-fetched, then 50
   connections of ``wrk`` on random tiles for 20 s, and the same on ``/healthz`` in the same
   run: tiles per second and the ratio to the trivial endpoint (goal ≥ 1,500 tiles/s).

For a like-for-like comparison the server runs with the parcels layer shown from zoom 12 and
no feature cap (the catalog declares minzoom 14 and a 20,000 cap).

    .venv/bin/python bench/bench_tiles.py [--count 1000000] [--per-zoom 25] [--drop]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gzip
import json
import os
import random
import subprocess
import sys
import tempfile
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
from maps.tileservice import GZIP_LEVEL

ZOOMS = (12, 13, 14, 15, 16)


def bench_layer():
    """The parcels layer as served in this benchmark: from zoom 12, no cap."""
    return dataclasses.replace(CATALOG["parcels"], minzoom=12, tile_cap=10**8)


def bench_app():  # type: ignore[no-untyped-def]
    """The app with the benchmark's parcels declaration (a uvicorn factory: one per worker)."""
    from maps.app import create_app
    from maps.config import MapsSettings

    CATALOG["parcels"] = bench_layer()
    return create_app(MapsSettings())  # database and cache from IOC_* in the environment


def server(
    port: int, workers: int, cache_mb: int, shared: bool
) -> tuple[list[str], dict[str, str]]:
    """The command and environment of ``workers`` uvicorn processes serving :func:`bench_app`."""
    cmd = [python(), "-m", "uvicorn", "bench.bench_tiles:bench_app", "--factory",
           "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
           "--log-level", "warning", "--no-access-log"]  # fmt: skip
    env = {"IOC_DATABASE_URL": bench_url(), "IOC_TILE_CACHE_MB": str(cache_mb),
           "IOC_TILE_CACHE_SHARED": str(shared).lower()}  # fmt: skip
    return cmd, env


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


#: Requests of each tile, back to back, per side (after one that warms both sides' caches).
REPEATS = 5


def sequential(url: str, base: str, tiles: list[tuple[int, int, int]]) -> dict[int, tuple]:
    """Per zoom, over its tiles' own medians: p50 raw, p50 httpx, p50 wrk, mean KiB, tiles.

    One request at a time, each tile asked for back to back on every side: its time is the
    median of REPEATS (raw, httpx) or the p50 of a one-second wrk run on one connection. A
    zoom's figure is the p50 of its tiles' times, so both sides rank the same tiles (a low zoom
    may hold only a few). Two HTTP clients: httpx (Python: its own work, ~0.6 ms on a 36 KiB
    tile, is in its figure) and wrk (C, like the HTTP stacks of MapLibre, QGIS and GDAL).
    """
    query = raw_mvt_sql(bench_layer())
    per_tile: dict[tuple[int, int, int], tuple[float, float, float, int]] = {}
    with (
        psycopg.connect(to_libpq_url(url), autocommit=True) as conn,
        httpx.Client(headers={"Accept-Encoding": "gzip"}, timeout=300) as client,
    ):
        def raw() -> bytes:
            row = conn.execute(query, (z, x, y, z, x, y), prepare=True, binary=True).fetchone()
            # The same compression the app applies once per tile (maps.tileservice.encode).
            gzip.compress(row[0] or b"", compresslevel=GZIP_LEVEL, mtime=0)
            return bytes(row[0] or b"")

        def http() -> None:
            # The raw gzip bytes, as a map client receives them (no gunzip in the timing).
            with client.stream("GET", f"{base}{path}") as r:
                for _ in r.iter_raw():
                    pass
            assert r.status_code == 200

        for z, x, y in tiles:
            path = f"/tiles/parcels/{z}/{x}/{y}.mvt"
            data = raw()
            http()
            times = []
            for side in (raw, http):
                spent = []
                for _ in range(REPEATS):
                    t = time.perf_counter()
                    side()
                    spent.append(time.perf_counter() - t)
                times.append(percentile(spent, 50))
            by_wrk = wrk(base, [path], 1, 1)["p50_ms"] / 1e3
            per_tile[(z, x, y)] = (times[0], times[1], by_wrk, len(data))
    out = {}
    for z in ZOOMS:
        mine = [per_tile[t] for t in tiles if t[0] == z]
        out[z] = (*(percentile([m[i] for m in mine], 50) for i in range(3)),
                  sum(m[3] for m in mine) / max(len(mine), 1) / 1024, len(mine))  # fmt: skip
    return out


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


#: wrk's script: random paths from the file in IOC_BENCH_PATHS; the summary as one JSON line.
WRK_LUA = """
local paths = {}
for line in io.lines(os.getenv("IOC_BENCH_PATHS")) do paths[#paths + 1] = line end
init = function(args) math.randomseed(os.time()) end
request = function() return wrk.format("GET", paths[math.random(#paths)]) end
done = function(s, latency, requests)
  local e = s.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %f, "socket_errors": %d, "status_errors": %d,'
    .. ' "p50_ms": %f, "p99_ms": %f}\\n',
    s.requests, s.duration / 1e6, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50) / 1e3, latency:percentile(99) / 1e3))
end
"""


def wrk(base: str, paths: list[str], connections: int, seconds: int) -> dict[str, float]:
    """``connections`` keep-alive connections of one wrk thread on random ``paths``."""
    with tempfile.TemporaryDirectory() as tmp:
        script, listing = Path(tmp, "paths.lua"), Path(tmp, "paths.txt")
        script.write_text(WRK_LUA)
        listing.write_text("\n".join(paths) + "\n")
        out = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-H", "Accept-Encoding: gzip",
             "-s", str(script), base],
            env={**os.environ, "IOC_BENCH_PATHS": str(listing)},
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


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
    ap.add_argument("--workers", type=int, default=2, help="part 3: server worker processes")
    args = ap.parse_args()
    if args.drop:
        with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as c:
            c.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    url = ensure_bench_db(args.count)
    tiles = tile_list(url, args.per_zoom, args.seed)
    print(f"{args.count} parcels, {len(tiles)} tiles (z{ZOOMS[0]}–z{ZOOMS[-1]})")

    loaded = [t for t in tiles if t[0] >= args.load_min_zoom]
    port = free_port()
    proc = start_server(*server(port, 1, 0, False), port)
    base = f"http://127.0.0.1:{port}"
    try:
        if "1" in args.parts:
            print(f"\n1. cache off, ms; load {os.getloadavg()[0]:.1f}"
                  "  tiles  raw p50  httpx p50  ratio  wrk p50  ratio   KiB")
            for z, (rp50, hp50, cp50, kib, n) in sequential(url, base, tiles).items():
                print(f"   z{z:<22} {n:5d} {rp50 * 1e3:8.1f} {hp50 * 1e3:10.1f} {hp50 / rp50:6.2f}"
                      f" {cp50 * 1e3:8.1f} {cp50 / rp50:6.2f} {kib:5.0f}")  # fmt: skip
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
    proc = start_server(*server(port, args.workers, 1024, True), port)
    try:
        paths = [f"/tiles/parcels/{z}/{x}/{y}.mvt" for z, x, y in loaded]
        with httpx.Client(base_url=base, headers={"Accept-Encoding": "gzip"}, timeout=300) as c:
            for path in paths:  # fill the shared cache (and the worker's own) once
                assert c.get(path).status_code == 200
        print(f"\n3. z{args.load_min_zoom}+, cache warm, {args.workers} workers sharing it,"
              f" wrk {args.clients} connections, 20 s each; load {os.getloadavg()[0]:.1f}")
        runs = {"/healthz": wrk(base, ["/healthz"], args.clients, 20),
                "tiles": wrk(base, paths, args.clients, 20)}  # fmt: skip
        for name, r in runs.items():
            errors = r["socket_errors"] + r["status_errors"]
            print(f"   {name:9} {r['requests'] / r['seconds']:8.0f} req/s, p50 {r['p50_ms']:.1f}"
                  f" ms, p99 {r['p99_ms']:.1f} ms, errors {errors:.0f}")  # fmt: skip
        rates = [r["requests"] / r["seconds"] for r in runs.values()]
        print(f"   tiles / healthz: {rates[1] / rates[0]:.2f}x")
    finally:
        stop_server(proc)


if __name__ == "__main__":
    main()
