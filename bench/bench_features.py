"""OGC API Features ``items?limit=1000`` on 1,000,000 parcels: ioc-gis vs pygeoapi vs raw SQL.

pygeoapi (from PyPI, in its own virtualenv under var/, served by uvicorn like ours) is
configured on the same parcels table with the six properties that table has (ours also serves
``land_use`` and ``purposes``, computed from the purposes table). Both servers run one worker.
Measured: the first page, and a deep page (feature 500,000 on: pygeoapi's offset, our keyset
``after``), each repeated; p50 per request. The raw SQL is our feature statement through
psycopg, without HTTP.

    .venv/bin/python bench/bench_features.py [--count 1000000] [--repeat 30]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._layers import (
    BENCH_DB,
    ROOT,
    ensure_bench_db,
    free_port,
    percentile,
    python,
    start_server,
    stop_server,
)
from gis.access.roles import PUBLIC
from gis.settings import to_libpq_url
from layers.catalog import CATALOG

VENV = ROOT / "var" / "bench-venv"
WORK = ROOT / "var" / "bench-pygeoapi"
PROPS = ["commune_code", "sheet_number", "parcel_number", "legal_area_m2", "address", "valid_from"]
CONFIG = """
server:
  bind: {{host: 127.0.0.1, port: {port}}}
  url: http://127.0.0.1:{port}
  mimetype: application/json; charset=UTF-8
  encoding: utf-8
  languages: [en-US]
  limits: {{default_items: 10, max_items: 10000}}
  map: {{url: 'https://tile.invalid/{{z}}/{{x}}/{{y}}.png', attribution: none}}
logging: {{level: ERROR}}
metadata:
  identification: {{title: bench, description: bench, keywords: [bench],
                   terms_of_service: none, url: 'http://127.0.0.1'}}
  license: {{name: none, url: 'http://127.0.0.1'}}
  provider: {{name: none, url: 'http://127.0.0.1'}}
  contact: {{name: none}}
resources:
  parcels:
    type: collection
    title: parcels
    description: parcels
    keywords: [parcels]
    extents:
      spatial: {{bbox: [102, 8, 110, 24], crs: 'http://www.opengis.net/def/crs/OGC/1.3/CRS84'}}
    providers:
      - type: feature
        name: PostgreSQL
        data: {{host: 127.0.0.1, port: 5432, dbname: {db}, user: postgres, password: '',
               search_path: [land, public]}}
        id_field: id
        table: parcels
        geom_field: geom
        properties: [{props}]
"""


def ensure_venv() -> None:
    """pygeoapi and its PostgreSQL driver in a virtualenv of their own (var/ is ignored)."""
    if (VENV / "bin" / "pygeoapi").exists():
        return
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run(
        [str(VENV / "bin" / "pip"), "install", "-q", "pygeoapi", "psycopg2-binary",
         "geoalchemy2", "starlette", "uvicorn", "rasterstats"],
        check=True,
    )  # fmt: skip


def start_pygeoapi(port: int) -> subprocess.Popen[bytes]:
    """pygeoapi's Starlette app under uvicorn, configured on the benchmark table."""
    WORK.mkdir(parents=True, exist_ok=True)
    cfg, api = WORK / "config.yml", WORK / "openapi.yml"
    cfg.write_text(CONFIG.format(port=port, db=BENCH_DB, props=", ".join(PROPS)))
    env = {"PYGEOAPI_CONFIG": str(cfg), "PYGEOAPI_OPENAPI": str(api)}
    subprocess.run(
        [str(VENV / "bin" / "pygeoapi"), "openapi", "generate", str(cfg), "--output-file",
         str(api)],
        check=True, env={**env, "PATH": "/usr/bin:/bin"}, capture_output=True,
    )  # fmt: skip
    args = [str(VENV / "bin" / "uvicorn"), "pygeoapi.starlette_app:APP", "--port", str(port),
            "--log-level", "warning"]  # fmt: skip
    return start_server(args, env, port)


def timed(client: httpx.Client, url: str, repeat: int) -> tuple[float, int]:
    """p50 seconds of GET ``url`` and the feature count of its answer."""
    times, n = [], 0
    for i in range(repeat + 2):
        t = time.perf_counter()
        r = client.get(url)
        doc = r.json()
        if i >= 2:  # two warm-up requests
            times.append(time.perf_counter() - t)
        n = len(doc["features"])
    return percentile(times, 50), n


def raw_sql(url: str, after: int | None, repeat: int) -> float:
    """p50 seconds of our feature statement (every property of the layer) through psycopg."""
    # The public properties: what the benchmark's anonymous HTTP requests receive.
    props = ", ".join(f"'{p.name}', s.{p.name}" for p in CATALOG["parcels"].props_for(PUBLIC))
    query = (
        "SELECT json_build_object('type', 'Feature', 'id', s.fid, 'geometry',"  # noqa: S608
        f" ST_AsGeoJSON(s.geom, 7, 0)::json, 'properties', json_build_object({props}))::text"
        " FROM layers.parcels s WHERE s.fid > %s ORDER BY s.fid LIMIT 1000"
    )
    times = []
    with psycopg.connect(to_libpq_url(url)) as conn:
        for i in range(repeat + 2):
            t = time.perf_counter()
            rows = conn.execute(query, (after or 0,)).fetchall()
            body = "[" + ",".join(r[0] for r in rows) + "]"
            if i >= 2:
                times.append(time.perf_counter() - t)
            assert len(rows) == 1000 and body
    return percentile(times, 50)


def main() -> None:
    """Run both servers, print p50 per request and the ratios."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=30)
    args = ap.parse_args()
    url = ensure_bench_db(args.count)
    ensure_venv()
    with psycopg.connect(to_libpq_url(url)) as conn:
        (deep_after,) = conn.execute(
            "SELECT fid FROM layers.parcels ORDER BY fid OFFSET %s LIMIT 1", (args.count // 2,)
        ).fetchone()
    ours_port, theirs_port = free_port(), free_port()
    ours = start_server(
        [python(), "-m", "uvicorn", "--factory", "maps.app:create_app", "--port",
         str(ours_port), "--log-level", "warning"],
        {"IOC_DATABASE_URL": url, "IOC_TILE_CACHE_MB": "0"}, ours_port,
    )  # fmt: skip
    theirs = start_pygeoapi(theirs_port)
    try:
        with httpx.Client(timeout=600) as c:
            base_o = f"http://127.0.0.1:{ours_port}/collections/parcels/items?limit=1000"
            base_t = f"http://127.0.0.1:{theirs_port}/collections/parcels/items?f=json&limit=1000"
            o1, n1 = timed(c, base_o, args.repeat)
            t1, m1 = timed(c, base_t, args.repeat)
            o2, n2 = timed(c, f"{base_o}&after={deep_after}", args.repeat)
            t2, m2 = timed(c, f"{base_t}&offset={args.count // 2}", max(args.repeat // 3, 3))
        r1, r2 = raw_sql(url, None, args.repeat), raw_sql(url, deep_after, args.repeat)
        assert n1 == m1 == n2 == m2 == 1000, (n1, m1, n2, m2)
    finally:
        stop_server(ours)
        stop_server(theirs)
    print(f"{args.count} parcels, items?limit=1000, p50 per request (ms)")
    print("                 raw SQL   ioc-gis  pygeoapi  ours/raw  pygeoapi/ours")
    for name, r, o, t in (("first page", r1, o1, t1), ("page at 500k", r2, o2, t2)):
        print(f"  {name:<13} {r * 1e3:9.1f} {o * 1e3:9.1f} {t * 1e3:9.1f} {o / r:9.2f}"
              f" {t / o:13.1f}×")  # fmt: skip


if __name__ == "__main__":
    main()
