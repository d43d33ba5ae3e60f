"""Benchmark: a year of hourly data for 500 stations, every hourly and daily VN_AQI.

Compares the vectorised computation (sensors.indices) with a straightforward per-row Python
loop (scalar NowCast, scalar interpolation, one hour and one day at a time). The loop is run on
a sample of stations in the same run and scaled to the full set (it is linear in stations);
both are checked to give the same AQI on the sample.

    .venv/bin/python bench/bench_aqi.py [--stations 500] [--days 365] [--sample 10] [--chunk 50]
    .venv/bin/python bench/bench_aqi.py --db [--stations 500]   # the rollup job on PostGIS

``--db`` measures ``sensors.rollups.process_pending`` on a throw-away database: a 24 h
backfill for every station, then one new hour for every station (one ingest cycle).
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from sensors.indices import daily_aqi, hourly_aqi
from sensors.indices.breakpoints import O3_8H_CUTOFF, O3_8H_MIN_HOURS, VN_AQI
from sensors.indices.nowcast import nowcast

PARAMS = ("pm25", "pm10", "o3", "no2", "so2", "co")
SCALE = {"pm25": 35, "pm10": 60, "o3": 70, "no2": 40, "so2": 20, "co": 1500}


def synth(stations: int, hours: int, seed: int = 1) -> dict[str, np.ndarray]:
    """Diurnal, noisy hourly means with 5 % missing hours."""
    rng = np.random.default_rng(seed)
    t = np.arange(hours)
    diurnal = 1 + 0.4 * np.sin(2 * np.pi * (t % 24) / 24)
    out = {}
    for p in PARAMS:
        base = rng.gamma(2.0, SCALE[p] / 2, size=(stations, 1))
        values = base * diurnal * rng.lognormal(0, 0.35, size=(stations, hours))
        values[rng.random(values.shape) < 0.05] = np.nan
        out[p] = np.round(values, 1)
    return out


def si_loop(column: str, c: float) -> float:
    """Sub-index by walking the breakpoints (the textbook formula)."""
    bp = VN_AQI[column]
    for i in range(len(bp.conc) - 1):
        if c <= bp.conc[i + 1] or i == len(bp.conc) - 2:
            lo, hi = bp.conc[i], bp.conc[i + 1]
            return (bp.index[i + 1] - bp.index[i]) / (hi - lo) * (c - lo) + bp.index[i]
    raise AssertionError


def round_up(x: float) -> int:
    """Half-up rounding (as the vectorised code)."""
    return math.floor(round(x, 9) + 0.5)


def loop_station(data: dict[str, list[float]], hours: int) -> tuple[list, list]:
    """Hourly and daily AQI of one station, one row at a time."""
    hourly = []
    for h in range(hours):
        subs = {}
        for p in PARAMS:
            if p in ("pm25", "pm10"):
                window = [data[p][k] for k in range(h, max(h - 12, -1), -1)]
                nc = nowcast([None if v != v else v for v in window])
                if nc is not None:
                    subs[p] = si_loop(p, nc)
            elif data[p][h] == data[p][h]:
                subs[p] = si_loop("o3_1h" if p == "o3" else p, data[p][h])
        ok = "pm25" in subs or "pm10" in subs
        hourly.append(round_up(max(subs.values())) if ok else None)
    daily = []
    for d in range(hours // 24):
        subs = {}
        for p in PARAMS:
            day = [v for v in data[p][d * 24 : d * 24 + 24] if v == v]
            if not day:
                continue
            if p in ("pm25", "pm10"):
                subs[p] = si_loop(p, sum(day) / len(day))
            elif p == "o3":
                si = si_loop("o3_1h", max(day))
                best8 = None
                for e in range(d * 24, d * 24 + 24):
                    w = [v for v in data[p][max(0, e - 7) : e + 1] if v == v]
                    if len(w) >= O3_8H_MIN_HOURS:
                        m = sum(w) / len(w)
                        best8 = m if best8 is None else max(best8, m)
                if best8 is not None and best8 <= O3_8H_CUTOFF:
                    si = max(si, si_loop("o3_8h", best8))
                subs[p] = si
            else:
                subs[p] = si_loop(p, max(day))
        ok = "pm25" in subs or "pm10" in subs
        daily.append(round_up(max(subs.values())) if ok else None)
    return hourly, daily


def bench_db(stations: int) -> None:
    """Time the rollup job (statistics, AQI, alerts, states) on a database of its own."""
    import os
    import uuid
    from datetime import UTC, datetime, timedelta

    import psycopg

    from gis import migrate
    from gis.db import close_pools, drop_database
    from gis.settings import get_settings, to_libpq_url
    from sensors import rollups

    server = os.environ.get("IOC_TEST_SERVER_URL", "postgresql://postgres@127.0.0.1:5432")
    url = f"{server}/iocgis_bench_{uuid.uuid4().hex[:6]}"
    os.environ["IOC_DATABASE_URL"] = url
    get_settings.cache_clear()
    migrate.upgrade(url)
    try:
        with psycopg.connect(to_libpq_url(url)) as c:
            for i in range(stations):
                sid = c.execute(
                    "INSERT INTO sensor.stations (code, name, kind, geom) VALUES (%s, %s, 'air',"
                    " ST_SetSRID(ST_MakePoint(105.8, 21.0), 4326)) RETURNING id",
                    [f"B{i}", f"Bench {i}"],
                ).fetchone()[0]  # type: ignore[index]
                for p in PARAMS:
                    c.execute(
                        "INSERT INTO sensor.datastreams (station_id, property_code, unit)"
                        " VALUES (%s, %s, 'ug/m3')",
                        [sid, p],
                    )
            c.commit()
            now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)

            def load(hours: list[datetime]) -> None:
                c.execute(
                    "INSERT INTO sensor.observations (datastream_id, phenomenon_time, result)"
                    " SELECT d.id, h + interval '10 minutes', 20 + random() * 60"
                    " FROM sensor.datastreams d, unnest(%s::timestamptz[]) h",
                    [hours],
                )
                c.execute(
                    "INSERT INTO sensor.latest_observations (datastream_id, phenomenon_time,"
                    " result, received_at) SELECT d.id, %s, 1, now() FROM sensor.datastreams d"
                    " ON CONFLICT (datastream_id) DO UPDATE SET"
                    " phenomenon_time = EXCLUDED.phenomenon_time",
                    [hours[-1]],
                )
                c.execute(
                    "INSERT INTO sensor.pending_rollups SELECT d.id, h FROM sensor.datastreams d,"
                    " unnest(%s::timestamptz[]) h ON CONFLICT DO NOTHING",
                    [hours],
                )
                c.commit()

            for label, hours in (
                ("24 h backfill", [now - timedelta(hours=k) for k in range(24, 0, -1)]),
                ("one ingest cycle (1 new hour)", [now]),
            ):
                load(hours)
                t0 = time.perf_counter()
                pairs = rollups.process_pending(c)
                c.commit()
                took = time.perf_counter() - t0
                print(
                    f"rollups, {label}: {pairs:,} (datastream, hour) pairs of {stations}"
                    f" stations in {took:.2f} s"
                )
    finally:
        close_pools()
        drop_database(url)


def main() -> None:
    """Run both and print times and the ratio."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--stations", type=int, default=500)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--sample", type=int, default=10)
    ap.add_argument("--chunk", type=int, default=50)
    ap.add_argument("--db", action="store_true", help="time the rollup job on PostGIS instead")
    args = ap.parse_args()
    if args.db:
        bench_db(args.stations)
        return
    hours = args.days * 24
    data = synth(args.stations, hours)
    print(f"{args.stations} stations × {hours} hours × {len(PARAMS)} parameters")

    t0, c0 = time.perf_counter(), time.process_time()
    hourly, daily = [], []
    for lo in range(0, args.stations, args.chunk):
        part = {p: a[lo : lo + args.chunk] for p, a in data.items()}
        hourly.append(hourly_aqi(part).aqi)
        daily.append(daily_aqi(part).aqi)
    h_aqi, d_aqi = np.concatenate(hourly), np.concatenate(daily)
    vec, vec_cpu = time.perf_counter() - t0, time.process_time() - c0
    print(
        f"vectorised: {vec:.2f} s wall, {vec_cpu:.2f} s CPU for {h_aqi.size:,} hourly and"
        f" {d_aqi.size:,} daily AQI (chunks of {args.chunk} stations)"
    )

    t0, c0 = time.perf_counter(), time.process_time()
    for s in range(args.sample):
        rows = {p: data[p][s].tolist() for p in PARAMS}
        hl, dl = loop_station(rows, hours)
        got_h = [None if np.isnan(v) else int(v) for v in h_aqi[s]]
        got_d = [None if np.isnan(v) else int(v) for v in d_aqi[s]]
        if hl != got_h or dl != got_d:
            raise SystemExit(f"mismatch between loop and vectorised results at station {s}")
    scale = args.stations / args.sample
    loop = (time.perf_counter() - t0) * scale
    loop_cpu = (time.process_time() - c0) * scale
    print(
        f"per-row Python loop: {loop:.1f} s wall, {loop_cpu:.1f} s CPU (measured on"
        f" {args.sample} stations, scaled to {args.stations})"
    )
    print(
        f"ratio: vectorised is {loop / vec:.0f}× faster (wall), {loop_cpu / vec_cpu:.0f}×"
        " (CPU); results identical on the sample"
    )


if __name__ == "__main__":
    main()
