"""What QGIS, GDAL and OWSLib need of the API, checked over HTTP (PyQGIS itself: test_qgis_desktop).

Basic sign-in, cache headers of caller-dependent answers, the datetime forms clients send, the
shared ``limit`` parameter, real extents, the GeoJSON ``crs`` member (read back by ``ogrinfo``).
"""

from __future__ import annotations

import base64
import re
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from gis.access.keys import add_user, revoke_user
from gis.settings import to_libpq_url
from maps.app import create_app
from maps.config import MapsSettings
from tests.fixtures.web import KNOWN_NAME, carries_land_user, maps_settings, web_url

ITEMS = "/collections/parcels/items?limit=200"


def basic(user: str, password: str) -> dict[str, str]:
    """An ``Authorization: Basic`` header."""
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.fixture(scope="module")
def app_client(database_url: str, web_data: None) -> Iterator[TestClient]:
    """The app with no key cache (TTL 0: a revoked key fails on its next request)."""
    with TestClient(create_app(maps_settings(database_url, auth_cache_ttl_s=0))) as c:
        yield c


@pytest.fixture(scope="module")
def land_user(database_url: str) -> tuple[str, str]:
    """A land official of this module: (name, API key)."""
    name = f"qgis-land-{uuid.uuid4().hex[:6]}"
    with psycopg.connect(to_libpq_url(database_url), autocommit=True) as conn:
        return name, add_user(conn, name, "land")


# --- 1. HTTP Basic --------------------------------------------------------------------------------


def test_basic_with_the_api_key_as_password_sees_land_users(app_client, land_user, database_url):
    name, key = land_user
    r = app_client.get("/auth/me", headers=basic(name, key))
    assert r.json() == {"subject": name, "role": "land", "method": "basic"}
    r = app_client.get(ITEMS, headers=basic(name, key))
    assert r.status_code == 200 and carries_land_user(r.text)
    with psycopg.connect(to_libpq_url(database_url)) as conn:
        (method,) = conn.execute(
            "SELECT method FROM audit.personal_data_views WHERE subject = %s"
            " ORDER BY id DESC LIMIT 1",
            (name,),
        ).fetchone()
    assert method == "basic"  # audited like a key, and says how the caller signed in


@pytest.mark.parametrize(
    "who",
    ["wrong-key", "other-user", "malformed", "no-password", "public-key-as-land"],
)
def test_bad_basic_credentials_are_401_with_a_basic_challenge(
    app_client, land_user, role_keys, who
):
    name, key = land_user
    headers = {
        "wrong-key": basic(name, key[:-4] + "AAAA"),
        "other-user": basic("test-land", key),  # a valid key under another user's name
        "malformed": {"Authorization": "Basic !!!"},
        "no-password": basic(name, ""),
        "public-key-as-land": basic(name, role_keys["public"]),
    }[who]
    r = app_client.get(ITEMS, headers=headers)
    assert r.status_code == 401, r.text
    assert not carries_land_user(r.text)
    challenges = r.headers.get_list("www-authenticate")
    assert any(c.startswith("Basic ") for c in challenges)
    assert any(c.startswith("Bearer ") for c in challenges)


def test_browser_fetches_get_no_basic_challenge(app_client):
    # A page's own fetch must not make the browser pop its login dialog.
    r = app_client.get(ITEMS, headers={**basic("x", "y"), "Sec-Fetch-Mode": "cors"})
    assert r.status_code == 401
    assert not any(c.startswith("Basic") for c in r.headers.get_list("www-authenticate"))


def test_revoked_user_fails_basic(app_client, database_url):
    name = f"qgis-rev-{uuid.uuid4().hex[:6]}"
    with psycopg.connect(to_libpq_url(database_url), autocommit=True) as conn:
        key = add_user(conn, name, "land")
        assert app_client.get("/auth/me", headers=basic(name, key)).status_code == 200
        revoke_user(conn, name)
    assert app_client.get("/auth/me", headers=basic(name, key)).status_code == 401


def _production(database_url: str, scheme: str = "http", **overrides: object) -> TestClient:
    # Trust authentication here: the password is only there to satisfy the production checks.
    url = web_url(database_url).replace("iocgis_web@", "iocgis_web:not-a-default-9f3a@")
    settings = MapsSettings(
        database_url=url, environment="production", secret_key="s" * 16 + uuid.uuid4().hex,
        listen=False, **overrides,
    )  # fmt: skip
    return TestClient(create_app(settings), base_url=f"{scheme}://testserver")


def test_basic_over_plain_http_in_production_is_refused_unless_configured(database_url, land_user):
    name, key = land_user
    with _production(database_url) as c:
        r = c.get("/auth/me", headers=basic(name, key))
        assert r.status_code == 401 and "https" in r.json()["description"]
        assert c.get("/auth/me", headers={"X-API-Key": key}).json()["role"] == "land"
    with _production(database_url, basic_over_http=True) as c:
        assert c.get("/auth/me", headers=basic(name, key)).json()["role"] == "land"
    with _production(database_url, "https") as c:
        assert c.get("/auth/me", headers=basic(name, key)).json()["method"] == "basic"


# --- 2. caches ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/collections",
        "/collections/parcels",
        "/collections/parcels/queryables",
        ITEMS,
        "/tiles/parcels/tilejson.json",
        "/tiles/parcels/16/52077/28856.mvt",
        "/layers",
    ],
)
def test_caller_dependent_answers_are_never_stored_even_anonymous(app_client, path):
    r = app_client.get(path)
    assert r.status_code == 200, r.text
    assert "no-store" in r.headers["cache-control"]


def test_answers_the_same_for_everyone_stay_cacheable(app_client):
    r = app_client.get("/tiles/communes/12/3257/1802.mvt")
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-cache" and r.headers["etag"]


# --- 3. datetime ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "0000-01-01T00:00:00Z/2030-01-01T00:00:00",  # QGIS 3.22: "valid_from" <= '2030-01-01'
        "../2030-01-01T00:00:00Z",
        "/2030-01-01",
        "2000-01-01T00:00:00Z/..",
        "2000-01-01T00:00:00/",
        "2000-01-01/2030-01-01",
        "0000-01-01T00:00:00Z/2030-01-01",  # what QGIS 3.22 really sends for that filter
        "../2030-01-01T",  # GDAL 3.6 (ogrinfo -where "valid_from <= '2030-01-01'")
    ],
)
def test_open_interval_forms_clients_send(app_client, value):
    r = app_client.get("/collections/parcels/items", params={"datetime": value, "limit": 500})
    assert r.status_code == 200, r.text
    assert r.json()["numberReturned"] == 120


@pytest.mark.parametrize("value", ["0000-01-01T00:00:00Z", "2000-01-01/0000-01-01", "yesterday"])
def test_datetime_nonsense_is_still_400(app_client, value):
    r = app_client.get("/collections/parcels/items", params={"datetime": value})
    assert r.status_code == 400


# --- 4. paging ------------------------------------------------------------------------------------


def test_limit_is_one_shared_parameter_with_its_maximum(app_client):
    doc = app_client.get("/api").json()
    shared = doc["components"]["parameters"]["limit"]
    assert shared["schema"]["maximum"] == 10_000 and shared["schema"]["default"] == 10
    assert shared["in"] == "query" and shared["style"] == "form" and shared["explode"] is False
    params = doc["paths"]["/collections/{cid}/items"]["get"]["parameters"]
    assert {"$ref": "#/components/parameters/limit"} in params
    assert not any(p.get("name") == "limit" for p in params)


# --- 5. extents -----------------------------------------------------------------------------------


def test_collections_report_their_real_extent(app_client, database_url):
    with psycopg.connect(to_libpq_url(database_url)) as conn:
        real = conn.execute(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), t0, t1 FROM"
            " (SELECT ST_Extent(geom) e, min(valid_from) t0, max(valid_from) t1"
            " FROM layers.parcels) x"
        ).fetchone()
    extent = app_client.get("/collections/parcels").json()["extent"]
    assert extent["spatial"]["bbox"][0] == pytest.approx(list(real[:4]))
    start, end = extent["temporal"]["interval"][0]
    assert start is not None and end is not None
    assert start.startswith(real[4].date().isoformat())


def test_extent_follows_a_data_change(app_client, database_url):
    before = app_client.get("/collections/planning").json()["extent"]["spatial"]["bbox"][0]
    owner = psycopg.connect(to_libpq_url(database_url), autocommit=True)
    try:
        owner.execute(
            "INSERT INTO land.planning_zones (plan_code, plan_name, zone_code, planned_use,"
            " synthetic, geom) VALUES ('QGIS-EXT', 'extent test', 'Z1', 'ODT', true,"
            " ST_Multi(ST_MakeEnvelope(106.9, 21.9, 107.0, 22.0, 4326)))"
        )
        grown = app_client.get("/collections/planning").json()["extent"]["spatial"]["bbox"][0]
        assert grown[2] == pytest.approx(107.0) and grown[3] == pytest.approx(22.0)
    finally:
        owner.execute("DELETE FROM land.planning_zones WHERE plan_code = 'QGIS-EXT'")
        owner.close()
    after = app_client.get("/collections/planning").json()["extent"]["spatial"]["bbox"][0]
    assert after == pytest.approx(before)


# --- 8. crs member --------------------------------------------------------------------------------


def test_items_name_their_crs_in_the_body(app_client, tmp_path: Path):
    crs = "http://www.opengis.net/def/crs/EPSG/0/9210"
    r = app_client.get(ITEMS, params={"crs": crs})
    body = r.json()
    assert body["crs"] == {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::9210"}}
    assert "crs" not in app_client.get(ITEMS).json()  # CRS84 is GeoJSON's own: no member
    saved = tmp_path / "parcels_9210.geojson"
    saved.write_text(r.text, encoding="utf-8")
    out = subprocess.run(
        ["ogrinfo", "-ro", "-so", "-al", str(saved)], capture_output=True, text=True, check=True
    ).stdout
    assert 'ID["EPSG",9210]' in out, out  # GDAL (3.6: no -json) took the CRS from the body
    extent = re.search(r"Extent: \(([\d.]+), ([\d.]+)\) - \(([\d.]+), ([\d.]+)\)", out)
    assert extent is not None, out
    x0, y0, x1, y1 = (float(v) for v in extent.groups())
    assert 500_000 < x0 < x1 < 600_000 and 2_300_000 < y0 < y1 < 2_400_000  # metres, Hà Nội


def test_one_feature_names_its_crs_too(app_client):
    fid = app_client.get(ITEMS).json()["features"][0]["id"]
    crs = "http://www.opengis.net/def/crs/EPSG/0/9210"
    r = app_client.get(f"/collections/parcels/items/{fid}", params={"crs": crs})
    assert r.json()["crs"]["properties"]["name"] == "urn:ogc:def:crs:EPSG::9210"


def test_known_name_is_a_land_user():
    assert carries_land_user(KNOWN_NAME)


# --- QGIS files ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/qgis/project.qgs?province=01&authcfg=iocgis1", 200),
        ("/qgis/project.qgs?province=99", 404),
        ("/qgis/project.qgs?province=01&authcfg=bad'id", 400),
        ("/qgis/parcels.qlr", 200),
        ("/qgis/landcover.qlr", 404),  # a raster: no OAPIF layer
        ("/qgis/parcels.qml", 200),
        ("/qgis/nope.qml", 404),
    ],
)
def test_qgis_files(app_client, path, status):
    r = app_client.get(path)
    assert r.status_code == status, r.text
    if status == 200:
        assert r.text.startswith("<!DOCTYPE qgis") and "attachment" in r.headers[
            "content-disposition"]  # fmt: skip


def test_project_holds_no_secret_and_names_the_config(app_client, land_user):
    _, key = land_user
    text = app_client.get("/qgis/project.qgs?province=01&authcfg=iocgis1").text
    assert "authcfg='iocgis1'" in text and key not in text
    assert "EPSG:5897" in text and "+proj=helmert" in text  # Hà Nội's zone, EPSG:6960 shift
