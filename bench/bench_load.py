"""Mixed load on ``iocgis serve`` while sensors stream in, against a /healthz baseline.

The bench starts, each as its own process, our Mosquitto (project config), the ingester, the
station simulator and ``iocgis serve`` (uvicorn, ``--workers`` processes, logged in as
iocgis_web), on a database holding the demo data (admin units, the sample plan, 6,000 synthetic
parcels with land users in four Hà Nội communes, the demo stations and a week of hourly
readings; made once and kept: ``--drop`` rebuilds it). Then:

1. warm-up (5 s of the mix);
2. the mix: ``--clients`` concurrent clients for ``--seconds`` — vector tiles (parcels z14–16,
   parcels+planning, communes z8–12, stations+alerts z6–10), parcels features pages with a bbox,
   station series (raw/hourly observations, AQI) and the three pages — while the simulator
   publishes ``--sim-rate`` messages/s and the ingester writes them; ``--land-share`` of the
   clients are land officials (their answers carry land users, each one audited);
3. the baseline, in the same run: the same clients on ``/healthz`` for ``--baseline-seconds``.

Printed: requests/s, p50/p95/p99 latency and errors of both, their ratios, per kind, the CPU
used by the web app and by the client processes (a Python client on 2 cores may itself be the
bottleneck: ``--procs`` spreads the clients over processes).

    .venv/bin/python bench/bench_load.py [--clients 50] [--seconds 60] [--workers 2] [--procs 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._load_client import (
    Result,
    backend_cpu,
    backend_cpu_used,
    run_load,
    targets,
    tree_cpu_seconds,
)
from bench._load_setup import World, drop_load_db, ensure_load_db, land_key


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0–100) of ``values`` (nan when empty)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def summary(results: list[Result]) -> dict[str, float]:
    """Requests, requests/s, p50/p95/p99 (ms), errors, client CPU share of the busiest process."""
    lat = [v for r in results for vs in r.latencies.values() for v in vs]
    wall = max(r.wall_s for r in results)
    return {
        "requests": len(lat),
        "rps": len(lat) / wall,
        "p50": percentile(lat, 50) * 1e3,
        "p95": percentile(lat, 95) * 1e3,
        "p99": percentile(lat, 99) * 1e3,
        "errors": sum(n for r in results for n in r.errors.values()),
        "client_cpu": max(r.cpu_s / r.wall_s for r in results),
        "wall": wall,
    }


def _latencies(label: str, lat: list[float], wall: float) -> str:
    """Requests/s and p50/p95/p99 of one kind or label."""
    return (f"{label} {len(lat) / wall:8.1f} req/s  p50 {percentile(lat, 50) * 1e3:7.1f}"
            f"  p95 {percentile(lat, 95) * 1e3:7.1f}  p99 {percentile(lat, 99) * 1e3:7.1f} ms")


def per_kind(results: list[Result]) -> None:
    """One line per request kind, then one per finer label (a tile's layer, land or public…)."""
    wall = max(r.wall_s for r in results)
    kinds = sorted({k for r in results for k in r.latencies})
    for kind in kinds:
        lat = [v for r in results for v in r.latencies.get(kind, [])]
        errors = sum(n for r in results for k, n in r.errors.items() if k.startswith(kind + " "))
        print(f"   {_latencies(f'{kind:<9}', lat, wall)}  errors {errors}")
    for label in sorted({k for r in results for k in r.detail}):
        lat = [v for r in results for v in r.detail.get(label, [])]
        print(f"     {_latencies(f'{label:<24}', lat, wall)}")
    errors: dict[str, int] = {}
    for r in results:
        for k, n in r.errors.items():
            errors[k] = errors.get(k, 0) + n
    if errors:
        print(f"   errors by kind: {errors}")


def line(name: str, s: dict[str, float]) -> str:
    """One summary line."""
    return (f"{name:<10} {s['requests']:7.0f} req  {s['rps']:8.1f} req/s  p50 {s['p50']:7.1f}"
            f"  p95 {s['p95']:7.1f}  p99 {s['p99']:7.1f} ms  errors {s['errors']:.0f}")  # fmt: skip


def main() -> None:
    """Set up, run the mix and the baseline, print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60, help="the mix (e.g. 10 for a short run)")
    ap.add_argument("--baseline-seconds", type=float, help="default: --seconds")
    ap.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    ap.add_argument("--procs", type=int, default=2, help="client processes")
    ap.add_argument("--land-share", type=float, default=0.2, help="share of land-official clients")
    ap.add_argument("--sim-rate", type=float, default=50, help="simulator messages per second")
    ap.add_argument("--drop", action="store_true", help="rebuild the benchmark database")
    args = ap.parse_args()
    if args.drop:
        drop_load_db()
    t = time.perf_counter()
    url = ensure_load_db()
    key = land_key(url)
    print(f"database ready in {time.perf_counter() - t:.0f} s")
    with tempfile.TemporaryDirectory(prefix="iocgis-load-") as tmp:
        world = World(url, Path(tmp))
        try:
            world.start_broker()
            world.start_ingester()
            if world.observations() < 1000:
                print("a week of hourly readings through the broker …")
                world.simulate(250, 8, 60, wait=True)
                time.sleep(3)  # the ingester's last batch
            base = world.start_web(args.workers)
            web_pid = next(p.pid for name, p in world.procs if name == "web")
            tg = targets(url)
            print(f"{len(tg.tiles)} tiles, {len(tg.points)} parcels, {len(tg.series)} series;"
                  f" {args.clients} clients in {args.procs} processes, {args.workers} workers,"
                  f" simulator {args.sim_rate:g} msg/s")  # fmt: skip
            world.forget_last_day()
            world.simulate(args.sim_rate, args.seconds + 120, 1, wait=False)
            run_load(base, tg, args.clients, 5, args.procs, key, args.land_share)  # warm-up
            obs0, cpu0, db0 = world.observations(), tree_cpu_seconds(web_pid), backend_cpu(url)
            mix = run_load(base, tg, args.clients, args.seconds, args.procs, key, args.land_share)
            obs1, cpu1, db1 = world.observations(), tree_cpu_seconds(web_pid), backend_cpu(url)
            seconds = args.baseline_seconds or args.seconds
            baseline = run_load(base, None, args.clients, seconds, args.procs)
            cpu2 = tree_cpu_seconds(web_pid)
        finally:
            world.stop()
    m, b = summary(mix), summary(baseline)
    print(f"\nmix, {args.seconds:g} s, {args.clients} clients ({args.land_share:.0%} land):")
    per_kind(mix)
    print(f"\n{line('mix', m)}\n{line('/healthz', b)}")
    ratio = {k: m[k] / b[k] for k in ("rps", "p50", "p95", "p99")}
    print(f"ratio      mix/baseline: req/s {ratio['rps']:.3f}, p50 {ratio['p50']:.1f}×,"
          f" p95 {ratio['p95']:.1f}×, p99 {ratio['p99']:.1f}×")  # fmt: skip
    print(
        f"ingest during the mix: {(obs1 - obs0) / m['wall']:.0f} new readings/s stored"
        f" (simulator: {args.sim_rate:g} messages/s, several readings each)"
    )
    cores = os.cpu_count() or 1
    print(
        f"CPU: web app {(cpu1 - cpu0) / m['wall']:.2f} cores in the mix,"
        f" {(cpu2 - cpu1) / b['wall']:.2f} in the baseline; busiest client process"
        f" {m['client_cpu']:.0%} / {b['client_cpu']:.0%} of a core ({cores} cores in all)"
    )
    print(f"CPU: PostgreSQL backends of this database {backend_cpu_used(db0, db1) / m['wall']:.2f}"
          " cores in the mix (web app, ingester and rollups)")  # fmt: skip
    print(f"load average at the end: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    if max(m["client_cpu"], b["client_cpu"]) > 0.8:
        print("note: a client process used > 80 % of a core: the client limits the figures")


if __name__ == "__main__":
    main()
