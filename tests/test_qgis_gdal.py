"""GDAL's OAPIF driver (ogrinfo/ogr2ogr) and OWSLib on the points where they differ from QGIS.

Basic sign-in (GDAL_HTTP_AUTH=BASIC), the datetime GDAL builds from a -where on the time
property, the page size GDAL reads from the shared ``limit``, the extent it reports, and
OWSLib's own datetime and sortby forms.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import uuid
from pathlib import Path

import psycopg
import pytest
from owslib.ogcapi.features import Features
from owslib.util import Authentication

from gis.access.keys import add_user
from gis.settings import to_libpq_url
from tests.fixtures.web import KNOWN_NAME, LiveServer


@pytest.fixture(scope="module")
def land_login(database_url: str) -> tuple[str, str]:
    """A land official: (name, API key)."""
    name = f"gdal-land-{uuid.uuid4().hex[:6]}"
    with psycopg.connect(to_libpq_url(database_url), autocommit=True) as conn:
        return name, add_user(conn, name, "land")


def gdal(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run a GDAL command with its HTTP debug log on stderr."""
    full = {**os.environ, "CPL_DEBUG": "ON", "GDAL_HTTP_TIMEOUT": "60", **env}
    return subprocess.run(list(args), capture_output=True, text=True, env=full, timeout=300,
                          check=True)  # fmt: skip


def fetched(run: subprocess.CompletedProcess[str]) -> list[str]:
    """The items URLs GDAL fetched (from its debug log)."""
    return re.findall(r"(http://\S+/items\S*)", run.stderr)


def test_gdal_basic_sign_in_sees_land_users_as_text(live_server: LiveServer, land_login):
    name, key = land_login
    source = f"OAPIF:{live_server.url}/collections/parcels"
    anon = gdal("ogrinfo", "-ro", "-al", "-q", source).stdout
    assert "land_users_text" not in anon and KNOWN_NAME not in anon
    signed = gdal("ogrinfo", "-ro", "-al", "-q", source,
                  GDAL_HTTP_AUTH="BASIC", GDAL_HTTP_USERPWD=f"{name}:{key}").stdout  # fmt: skip
    assert "land_users_text (String)" in signed and KNOWN_NAME in signed


def test_gdal_bad_basic_key_is_an_error_not_public(live_server: LiveServer, land_login):
    name, _ = land_login
    run = subprocess.run(
        ["ogrinfo", "-ro", "-so", f"OAPIF:{live_server.url}/collections/parcels"],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "GDAL_HTTP_AUTH": "BASIC", "GDAL_HTTP_USERPWD": f"{name}:wrong"},
    )  # fmt: skip
    assert run.returncode != 0 and "401" in run.stdout + run.stderr


def test_gdal_date_filter(live_server: LiveServer):
    source = f"OAPIF:{live_server.url}/collections/parcels"
    run = gdal("ogrinfo", "-ro", "-al", "-so", "-where", "valid_from <= '2030-01-01'", source)
    assert "Feature Count: 120" in run.stdout, run.stderr[-2000:]
    assert any("datetime=..%2F2030-01-01T" in u for u in fetched(run))  # GDAL 3.6's form


def test_gdal_pages_by_its_open_option_up_to_the_maximum(live_server: LiveServer):
    # GDAL 3.6 does not read the shared limit (it pages by 10 unless told): PAGE_SIZE up to
    # the advertised maximum is a single page for these parcels; beyond it, a clear error.
    source = f"OAPIF:{live_server.url}/collections/parcels"
    run = gdal("ogrinfo", "-ro", "-al", "-q", "-oo", "PAGE_SIZE=10000", source)
    urls = fetched(run)
    # (GDAL reads the first page twice: once for the layer's fields, then for the features)
    assert urls and all("limit=10000" in u and "after=" not in u for u in urls), urls
    bad = subprocess.run(["ogrinfo", "-ro", "-al", "-q", "-oo", "PAGE_SIZE=10001", source],
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert "limit" in bad.stdout + bad.stderr and "10000" in bad.stdout + bad.stderr


def test_gdal_reports_the_collections_extent(live_server: LiveServer, client):
    real = client.get("/collections/parcels").json()["extent"]["spatial"]["bbox"][0]
    out = gdal("ogrinfo", "-ro", "-so", f"OAPIF:{live_server.url}/collections/parcels",
               "parcels").stdout  # fmt: skip
    match = re.search(r"Extent: \(([-\d.]+), ([-\d.]+)\) - \(([-\d.]+), ([-\d.]+)\)", out)
    assert match, out
    assert [float(v) for v in match.groups()] == pytest.approx(real, abs=1e-6)


def test_ogr2ogr_copies_a_vn2000_answer_with_its_crs(live_server: LiveServer, tmp_path: Path):
    saved = tmp_path / "page.geojson"
    crs = "http://www.opengis.net/def/crs/EPSG/0/5897"
    r = Features(live_server.url).collection_items("parcels", crs=crs, limit=500)
    saved.write_text(json.dumps(r), encoding="utf-8")
    gpkg = tmp_path / "copy.gpkg"
    gdal("ogr2ogr", "-f", "GPKG", str(gpkg), str(saved))
    info = gdal("ogrinfo", "-ro", "-so", "-al", str(gpkg)).stdout
    assert 'ID["EPSG",5897]' in info and "Feature Count: 120" in info


@pytest.mark.parametrize(
    "value",
    ["../2030-01-01T00:00:00Z", "2000-01-01T00:00:00Z/..", "0000-01-01T00:00:00Z/2030-01-01"],
)
def test_owslib_datetime_forms(live_server: LiveServer, value):
    found = Features(live_server.url).collection_items("parcels", datetime_=value, limit=500)
    assert found["numberReturned"] == 120


def test_owslib_basic_sign_in(live_server: LiveServer, land_login):
    name, key = land_login
    signed = Features(live_server.url, auth=Authentication(name, key))
    page = signed.collection_items("parcels", limit=500)
    texts = [f["properties"].get("land_users_text") or "" for f in page["features"]]
    assert any(KNOWN_NAME in t for t in texts)
    anon = Features(live_server.url).collection_items("parcels", limit=5)
    assert all("land_users_text" not in f["properties"] for f in anon["features"])
    with pytest.raises(RuntimeError, match="NotAuthenticated"):
        Features(live_server.url, auth=Authentication(name, "wrong")).collection_items("parcels")
