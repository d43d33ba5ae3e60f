"""GDAL's OAPIF driver and OWSLib read our collections from a real HTTP server."""

from __future__ import annotations

import csv
import io
import subprocess

import httpx
from owslib.ogcapi.features import Features


def run(*args: str) -> str:
    out = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_ogrinfo_lists_collections(live_server):
    listing = run("ogrinfo", "-ro", "-q", f"OAPIF:{live_server.url}")
    for name in ("provinces", "communes", "parcels", "planning", "stations", "alerts"):
        assert f": {name}" in listing


def test_ogrinfo_reads_fields_and_count(live_server, conn):
    info = run("ogrinfo", "-ro", "-so", "-al", f"OAPIF:{live_server.url}", "parcels")
    (total,) = conn.execute("SELECT count(*) FROM layers.parcels").fetchone()
    assert f"Feature Count: {total}" in info
    for field in ("land_use: String", "sheet_number: Integer", "valid_from: DateTime"):
        assert field in info


def test_ogr2ogr_reads_every_feature_through_paging(live_server, conn):
    # limit=7 forces GDAL through many next links.
    text = run(
        "ogr2ogr", "-f", "CSV", "/vsistdout/", f"OAPIF:{live_server.url}", "parcels",
        "-oo", "PAGE_SIZE=7", "-lco", "GEOMETRY=AS_WKT",
    )  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(text)))
    want = {
        (r[0], r[1], r[2])
        for r in conn.execute(
            "SELECT commune_code, sheet_number::text, parcel_number::text FROM layers.parcels"
        )
    }
    got = {(r["commune_code"], r["sheet_number"], r["parcel_number"]) for r in rows}
    assert got == want and len(rows) == len(want)
    assert all(r["WKT"].startswith("MULTIPOLYGON") for r in rows)


def test_ogr2ogr_spatial_filter_and_attribute_filter(live_server, conn):
    (w, s, e, n) = conn.execute(
        "SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM (SELECT ST_Extent(geom) b"
        " FROM layers.parcels WHERE sheet_number = 2) x"
    ).fetchone()
    text = run(
        "ogr2ogr", "-f", "CSV", "/vsistdout/", f"OAPIF:{live_server.url}", "parcels",
        "-spat", str(w), str(s), str(e), str(n), "-where", "land_use = 'ODT'",
    )  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(text)))
    want = {
        r[0]
        for r in conn.execute(
            "SELECT parcel_number::text FROM layers.parcels WHERE land_use = 'ODT'"
            " AND ST_Intersects(geom, ST_MakeEnvelope(%s, %s, %s, %s, 4326))",
            (w, s, e, n),
        )
    }
    assert {r["parcel_number"] for r in rows} == want and want


def test_owslib_features_client(live_server, conn):
    api = Features(live_server.url)
    ids = {c["id"] for c in api.collections()["collections"]}
    assert {"parcels", "communes", "planning"} <= ids
    assert (
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
        in (api.conformance()["conformsTo"])
    )
    page = api.collection_items("communes", limit=5, province_code="01")
    assert page["numberReturned"] == 5
    assert all(f["properties"]["province_code"] == "01" for f in page["features"])
    item = api.collection_item("communes", "70")
    assert item["properties"]["name"] == "Hoàn Kiếm"
    assert "land_use" in api.collection_queryables("parcels")["properties"]


def test_tilejson_tiles_load_over_http(live_server):
    doc = httpx.get(f"{live_server.url}/tiles/parcels/tilejson.json").json()
    url = doc["tiles"][0].format(z=14, x=13004, y=7201)
    assert url.startswith(live_server.url)
    assert httpx.get(url).status_code == 200
