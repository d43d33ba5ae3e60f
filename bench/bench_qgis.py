"""QGIS 3.22 loading one commune's parcels over OGC API Features: requests and seconds.

QGIS reads what its map view shows: the features in the commune's bounding box (``bbox=``
requests, ``restrictToRequestBBOX`` as in our project files; QGIS 3.22 filters attribute
expressions itself, after downloading).

"Before" is QGIS's own page of 100 features (what it uses when the OpenAPI document declares
no shared ``limit``: forced here with the layer URI's ``pageSize='100'``); "after" is the page
QGIS takes from ``#/components/parameters/limit`` (min(maximum, 1000)). The baseline is the
server alone: the same pages fetched by httpx. One QGIS (system Python, headless) per run.

    .venv/bin/python bench/bench_qgis.py [--count 20000] [--commune CODE] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._layers import ensure_bench_db, free_port, python, start_server, stop_server
from gis.settings import to_libpq_url

SCRIPT = """
import json, sys, time
from qgis.core import QgsApplication, QgsVectorLayer, QgsNetworkAccessManager
from qgis.core import QgsNetworkRequestParameters, QgsFeatureRequest, QgsRectangle
from qgis.PyQt.QtCore import QCoreApplication
args = json.loads(sys.stdin.read())
app = QgsApplication([], False); app.initQgis()
urls = []
nam = QgsNetworkAccessManager.instance()
nam.requestAboutToBeCreated[QgsNetworkRequestParameters].connect(
    lambda p: urls.append(p.request().url().toString()))
out = {}
for label, extra in (("before", " pageSize='100'"), ("after", "")):
    runs = []
    for _ in range(args["repeat"]):
        uri = f"url='{args['base']}' typename='parcels' restrictToRequestBBOX='1'{extra}"
        layer = QgsVectorLayer(uri, "p", "OAPIF")
        QCoreApplication.processEvents(); mark = len(urls)
        t0 = time.perf_counter()
        view = QgsFeatureRequest().setFilterRect(QgsRectangle(*args["bbox"]))
        n = sum(1 for _ in layer.getFeatures(view))
        seconds = time.perf_counter() - t0
        QCoreApplication.processEvents()
        items = [u for u in urls[mark:] if "/items" in u]
        runs.append({"features": n, "requests": len(items), "seconds": seconds,
                     "first": items[:2]})
    out[label] = runs
print(json.dumps(out))
import os; os._exit(0)
"""


def server_alone(base: str, bbox: tuple[float, ...], page: int) -> tuple[int, float]:
    """Requests and seconds to read the parcels in ``bbox`` page by page with httpx."""
    box = ",".join(str(v) for v in bbox)
    url = f"{base}/collections/parcels/items?bbox={box}&limit={page}"
    t0, requests = time.perf_counter(), 0
    with httpx.Client(timeout=600) as client:
        while url:
            body = client.get(url).json()
            requests += 1
            url = next((lnk["href"] for lnk in body["links"] if lnk["rel"] == "next"), "")
    return requests, time.perf_counter() - t0


def main() -> None:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--commune", help="default: the commune with the most parcels")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    url = ensure_bench_db(args.count)
    commune = args.commune
    if commune is None:
        with psycopg.connect(to_libpq_url(url)) as conn:
            (commune,) = conn.execute(
                "SELECT commune_code FROM land.parcels WHERE valid_to IS NULL"
                " GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
            ).fetchone()
    with psycopg.connect(to_libpq_url(url)) as conn:
        bbox = conn.execute(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) e"
            " FROM land.parcels WHERE commune_code = %s AND valid_to IS NULL) x",
            (commune,),
        ).fetchone()
    port = free_port()
    server = start_server(
        [python(), "-m", "uvicorn", "--factory", "maps.app:create_app", "--port", str(port),
         "--log-level", "warning"],
        {"IOC_DATABASE_URL": url}, port,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
        env.pop("PYTHONPATH", None)
        run = subprocess.run(
            ["/usr/bin/python3", "-c", SCRIPT], input=json.dumps(
                {"base": base, "bbox": list(bbox), "repeat": args.repeat}),
            capture_output=True, text=True, env=env, check=True, timeout=1800,
        )  # fmt: skip
        qgis = json.loads(run.stdout.strip().splitlines()[-1])
        alone = {page: server_alone(base, bbox, page) for page in (100, 1000)}
    finally:
        stop_server(server)
    print(f"commune {commune}; QGIS asked e.g. {qgis['after'][0]['first']}")
    for label, page in (("before", 100), ("after", 1000)):
        runs = qgis[label]
        best = min(r["seconds"] for r in runs)
        print(f"QGIS {label:6}: {runs[0]['features']} features, {runs[0]['requests']} requests,"
              f" best {best:.2f} s of {len(runs)} | server alone, pages of {page}:"
              f" {alone[page][0]} requests, {alone[page][1]:.2f} s")  # fmt: skip


if __name__ == "__main__":
    main()
