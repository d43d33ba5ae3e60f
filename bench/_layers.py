"""Shared pieces of the layer benchmarks: a database of N synthetic parcels, a server process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psycopg

from gis import migrate
from gis.admin import load_admin_units
from gis.settings import to_libpq_url

SERVER = os.environ.get("IOC_BENCH_SERVER_URL", "postgresql://postgres@127.0.0.1:5432")
ROOT = Path(__file__).resolve().parent.parent
#: Kept between runs (the parcels take a minute to make); ``--drop`` removes it.
BENCH_DB = "iocgis_bench_layers"
#: Parcel side (m) of the synthetic grid, and the gap left between parcels.
CELL_M, GAP_M = 25.0, 1.0
#: Centre of the grid: Hồ Hoàn Kiếm, in VN-2000 TM-3 105° (EPSG:5897) metres.
CENTRE_5897 = (586_450.0, 2_325_800.0)
USES = ["ODT", "ODT", "ONT", "LUC", "LUC", "HNK", "CLN", "NTS", "DGT", "DGD", "TMD", "SKC"]


def bench_url() -> str:
    """URL of the benchmark database."""
    return f"{SERVER}/{BENCH_DB}"


def make_parcels(url: str, count: int) -> None:
    """``count`` synthetic 24 m square parcels on a grid around Hoàn Kiếm, inside communes.

    Made in SQL (faster than a file import, which bench_parcel_import measures); every row
    satisfies land.parcels' constraints (sheet CRS, versions, purposes adding up).
    """
    side = int((count * 1.6) ** 0.5)  # room for the cells falling outside communes
    x0, y0 = CENTRE_5897[0] - side * CELL_M / 2, CENTRE_5897[1] - side * CELL_M / 2
    with psycopg.connect(to_libpq_url(url)) as conn:
        conn.execute("SET work_mem = '256MB'")
        conn.execute(
            "CREATE TEMP TABLE cells AS"
            " SELECT i, b AS native, c.code AS commune_code FROM ("
            "  SELECT i, ST_MakeEnvelope(%(x0)s + (i %% %(side)s::int) * %(cell)s,"
            "   %(y0)s + (i / %(side)s::int) * %(cell)s, %(x0)s + (i %% %(side)s::int) * %(cell)s"
            "   + %(inner)s, %(y0)s + (i / %(side)s::int) * %(cell)s + %(inner)s, 5897) AS b"
            "  FROM generate_series(0, %(side)s::int * %(side)s::int - 1) i) g"
            " JOIN admin.communes c ON ST_Intersects(c.geom, ST_Transform(ST_Centroid(g.b), 4326))"
            " ORDER BY i LIMIT %(count)s::int",
            {"x0": x0, "y0": y0, "side": side, "cell": CELL_M, "inner": CELL_M - GAP_M,
             "count": count},
        )  # fmt: skip
        conn.execute(
            "CREATE TEMP TABLE numbered AS SELECT *, (rn - 1) / 400 + 1 AS sheet,"
            " (rn - 1) % 400 + 1 AS num FROM (SELECT cells.*, row_number() OVER"
            " (PARTITION BY commune_code ORDER BY i) AS rn FROM cells) s"
        )
        conn.execute(
            "INSERT INTO land.map_sheets (commune_code, sheet_number, srid)"
            " SELECT DISTINCT commune_code, sheet, 5897 FROM numbered"
        )
        conn.execute(
            "INSERT INTO land.parcels (commune_code, sheet_id, sheet_number, parcel_number,"
            " address, legal_area_m2, srid, geom_native, geom, content_hash)"
            " SELECT n.commune_code, s.id, n.sheet, n.num, 'Thửa tổng hợp ' || n.i,"
            " round(ST_Area(n.native)::numeric, 1), 5897, ST_Multi(n.native),"
            " ST_Multi(ST_Transform(n.native, 4326)), md5(n.i::text)"
            " FROM numbered n JOIN land.map_sheets s ON s.commune_code = n.commune_code"
            " AND s.sheet_number = n.sheet"
        )
        conn.execute(
            "INSERT INTO land.parcel_purposes (parcel_id, land_use_code, area_m2)"
            " SELECT id, (%s::text[])[1 + id %% %s], legal_area_m2 FROM land.parcels",
            (USES, len(USES)),
        )
        conn.commit()
    with psycopg.connect(to_libpq_url(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE land.parcels")
        conn.execute("VACUUM ANALYZE land.parcel_purposes")


def ensure_bench_db(count: int) -> str:
    """The benchmark database with exactly ``count`` parcels (made once, then reused)."""
    url = bench_url()
    migrate.upgrade(url)
    with psycopg.connect(to_libpq_url(url)) as conn:
        has_admin = conn.execute("SELECT count(*) FROM admin.communes").fetchone()[0]
        have = conn.execute("SELECT count(*) FROM land.parcels").fetchone()[0]
    if not has_admin:
        load_admin_units(url)
    if have != count:
        if have:
            raise SystemExit(f"{BENCH_DB} holds {have} parcels, not {count}: run with --drop")
        t = time.perf_counter()
        make_parcels(url, count)
        print(f"made {count} parcels in {time.perf_counter() - t:.0f} s")
    return url


def free_port() -> int:
    """A free TCP port on the loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(args: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    """Start a server process and wait until ``/`` answers on ``port``."""
    # 50 clients on multi-megabyte z12 tiles queue for connections far longer than a desk user
    # would: let the benchmark's requests wait instead of counting a 503.
    env = {"IOC_POOL_WAIT_S": "120", **env}
    proc = subprocess.Popen(args, env={**os.environ, **env}, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            return proc
        except httpx.HTTPError:
            if proc.poll() is not None:
                raise SystemExit(f"server exited: {' '.join(args)}") from None
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("server did not start")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """Terminate a server process we started."""
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0–100) of ``values``."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


def python() -> str:
    """This environment's Python."""
    return sys.executable
