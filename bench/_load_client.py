"""The load benchmark's clients: asyncio + httpx coroutines, spread over client processes."""

from __future__ import annotations

import asyncio
import os
import random
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
import psycopg

from gis.settings import to_libpq_url
from layers.tiles import tile_at

#: Request kinds and their weights in the mix.
WEIGHTS = {"tile": 45, "features": 20, "series": 20, "page": 15}
PAGES = ("/maps/parcels", "/maps/environment", "/wall?province=01")


@dataclass
class Targets:
    """What the clients ask for: tiles, parcel points for bboxes, station series."""

    tiles: list[str]
    points: list[tuple[float, float]]
    series: list[tuple[str, str]]


def _tile(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    return tile_at(lon, lat, z)


def targets(url: str, seed: int = 1) -> Targets:
    """Tiles over the parcels (z14–16, parcels and parcels+planning), communes (z8–12) and
    stations (z6–10); parcel centroids; every (station, parameter) with readings."""
    rng = random.Random(seed)
    with psycopg.connect(to_libpq_url(url)) as conn:
        points = conn.execute(
            "SELECT ST_X(ST_Centroid(geom)), ST_Y(ST_Centroid(geom)) FROM land.parcels"
            " WHERE valid_to IS NULL ORDER BY id"
        ).fetchall()
        stations = conn.execute("SELECT ST_X(geom), ST_Y(geom) FROM sensor.stations").fetchall()
        series = conn.execute(
            "SELECT s.code, d.property_code FROM sensor.datastreams d"
            " JOIN sensor.stations s ON s.id = d.station_id ORDER BY 1, 2"
        ).fetchall()
    sample = rng.sample(points, min(len(points), 400))
    tiles: set[str] = set()
    for lon, lat in sample:
        for z in (14, 15, 16):
            names = "parcels,planning" if rng.random() < 0.3 else "parcels"
            tiles.add("/tiles/{}/{}/{}/{}.mvt".format(names, *_tile(lon, lat, z)))
        for z in (8, 10, 12):
            tiles.add("/tiles/communes/{}/{}/{}.mvt".format(*_tile(lon, lat, z)))
    for lon, lat in stations:
        for z in (6, 8, 10):
            tiles.add("/tiles/stations,alerts/{}/{}/{}.mvt".format(*_tile(lon, lat, z)))
    return Targets(sorted(tiles), [(float(a), float(b)) for a, b in points], series)


@dataclass
class Result:
    """What one client process saw."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    #: The same latencies by a finer label: "tile parcels land", "features public", …
    detail: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    cpu_s: float = 0.0
    wall_s: float = 0.0


def _url(kind: str, t: Targets, rng: random.Random) -> str:
    if kind == "tile":
        return rng.choice(t.tiles)
    if kind == "features":
        lon, lat = rng.choice(t.points)
        d = rng.choice((0.001, 0.003, 0.01))
        return (f"/collections/parcels/items?limit=100"
                f"&bbox={lon - d:.6f},{lat - d:.6f},{lon + d:.6f},{lat + d:.6f}")  # fmt: skip
    if kind == "series":
        code, prop = rng.choice(t.series)
        since = (datetime.now(UTC) - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
        if rng.random() < 0.25:
            return f"/stations/{code}/aqi?from={since}"
        interval = rng.choice(("raw", "hour", "hour"))
        return f"/stations/{code}/observations?parameter={prop}&interval={interval}&from={since}"
    return rng.choice(PAGES)


def _detail(kind: str, url: str, land: bool) -> str:
    """A finer label of a request: its kind, a tile's first layer or a page, and the role."""
    if kind == "tile":
        part = url.split("/")[2].split(",")[0]
    elif kind == "series":
        part = "aqi" if "/aqi?" in url else url.split("interval=")[-1].split("&")[0]
    else:
        part = url.split("?")[0] if kind == "page" else ""
    return " ".join(x for x in (kind, part, "land" if land else "public") if x)


async def _run(
    base: str, t: Targets | None, clients: int, seconds: float, land_key: str, land: int, seed: int
) -> Result:
    res = Result()
    stop = time.monotonic() + seconds
    kinds, weights = list(WEIGHTS), list(WEIGHTS.values())

    async def one(i: int) -> None:
        rng = random.Random(seed * 1000 + i)
        headers = {"Accept-Encoding": "gzip"}
        if i < land:  # this client is a land official: land users in its answers, audited
            headers["X-API-Key"] = land_key
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=120) as c:
            while time.monotonic() < stop:
                kind = "healthz" if t is None else rng.choices(kinds, weights)[0]
                url = "/healthz" if t is None else _url(kind, t, rng)
                started = time.perf_counter()
                try:
                    async with c.stream("GET", url) as r:
                        async for _ in r.aiter_raw():
                            pass
                    failed = None if r.status_code == 200 else f"{kind} {r.status_code}"
                except httpx.HTTPError as exc:
                    failed = f"{kind} {type(exc).__name__}"
                took = time.perf_counter() - started
                res.latencies.setdefault(kind, []).append(took)
                res.detail.setdefault(_detail(kind, url, i < land), []).append(took)
                if failed:
                    res.errors[failed] = res.errors.get(failed, 0) + 1

    cpu0, wall0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(clients)))
    res.cpu_s, res.wall_s = time.process_time() - cpu0, time.perf_counter() - wall0
    return res


def _process(args: tuple) -> Result:  # type: ignore[type-arg]
    return asyncio.run(_run(*args))


def run_load(
    base: str,
    t: Targets | None,
    clients: int,
    seconds: float,
    procs: int,
    land_key: str = "",
    land_share: float = 0.0,
) -> list[Result]:
    """``clients`` coroutines over ``procs`` processes for ``seconds`` (``t`` None: /healthz)."""
    per = [clients // procs + (i < clients % procs) for i in range(procs)]
    land = [round(n * land_share) for n in per]
    jobs = [
        (base, t, n, seconds, land_key, k, i + 1)
        for i, (n, k) in enumerate(zip(per, land, strict=True))
    ]
    if procs == 1:
        return [_process(jobs[0])]
    with ProcessPoolExecutor(procs) as pool:
        return list(pool.map(_process, jobs))


def _proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) of one process, 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def backend_cpu(url: str) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend connected to ``url``'s database, by pid."""
    with psycopg.connect(to_libpq_url(url)) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()"
        ).fetchall()
    return {int(pid): _proc_cpu(int(pid)) for (pid,) in rows}


def backend_cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds the backends used between two :func:`backend_cpu` snapshots."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) of process ``pid`` and its descendants, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        times[int(entry)] = (int(fields[11]) + int(fields[12])) / tick
    tree, frontier = {pid}, [pid]
    while frontier:
        p = frontier.pop()
        kids = [c for c, pp in parents.items() if pp == p and c not in tree]
        tree.update(kids)
        frontier += kids
    return sum(times.get(p, 0.0) for p in tree)
