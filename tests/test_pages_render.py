"""The pages' HTML and assets: every script, stylesheet and font from the app, never a CDN."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from html.parser import HTMLParser

import pyogrio
import pytest
from fastapi.testclient import TestClient

from gis.access.roles import LAND, PUBLIC
from gis.errors import Forbidden
from layers.catalog import CATALOG
from maps.deps import Principal
from maps.pages import page_route
from maps.pages.assets import NODE_MODULES, STATIC_DIR, missing_vendor_dirs
from maps.pages.i18n import TEXT
from maps.pages.registry import BASE_LAYERS, Page
from maps.pages.registry import PAGES as PAGE_REGISTRY

PAGES = ("/maps/parcels", "/maps/environment", "/wall")


@pytest.fixture(scope="module")
def pages_client(client: TestClient) -> TestClient:
    # The whole app: the wall and the export read the database on the caller's role connection.
    return client


class Links(HTMLParser):
    """Collects every src/href of a document."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [v for k, v in attrs if k in ("src", "href") and v]


def test_npm_packages_installed() -> None:
    # The setup runs `npm install`; without it the pages would have no Leaflet.
    assert missing_vendor_dirs() == [], f"run npm install ({NODE_MODULES})"


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_nothing_from_outside(pages_client: TestClient, path: str) -> None:
    response = pages_client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    # No absolute URL at all: every asset is the app's own.
    assert re.findall(r"https?://", html) == []
    parser = Links()
    parser.feed(html)
    assert parser.urls, "the page links its scripts and styles"
    for url in parser.urls:
        if url.startswith("/maps") or url == "/wall":
            continue  # navigation between pages
        assert url.startswith(("/vendor/", "/static/")), url
        asset = pages_client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 100, url
    assert "/vendor/leaflet/leaflet.js" in parser.urls
    assert "/vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js" in parser.urls


def test_font_files_served_for_vietnamese(pages_client: TestClient) -> None:
    css = pages_client.get("/vendor/fonts/be-vietnam-pro/400.css").text
    files = re.findall(r"url\(\./(files/[^)]+\.woff2)\)", css)
    vietnamese = [f for f in files if "vietnamese" in f]
    assert vietnamese
    font = pages_client.get(f"/vendor/fonts/be-vietnam-pro/{vietnamese[0]}")
    assert font.status_code == 200
    assert font.content[:4] == b"wOF2"


def test_vendor_route_serves_only_the_listed_packages(pages_client: TestClient) -> None:
    assert pages_client.get("/vendor/playwright-core/package.json").status_code == 404
    assert pages_client.get("/vendor/leaflet/../../playwright-core/package.json").status_code == 404
    assert pages_client.get("/vendor/leaflet/%2e%2e/package.json").status_code == 404


def test_vietnamese_by_default_english_on_request(pages_client: TestClient) -> None:
    vi = pages_client.get("/maps/parcels").text
    assert '<html lang="vi">' in vi
    assert "Bản đồ địa chính" in vi and "Tờ bản đồ số" in vi
    en = pages_client.get("/maps/parcels?lang=en").text
    assert '<html lang="en">' in en
    assert "Cadastral map" in en
    # The page carries both languages, so the switch needs no reload.
    config = json.loads(re.search(r"IocPage\.start\(\w+, (\{.*\})\);", en).group(1))
    assert config["i18n"]["vi"]["search"] == "Tìm thửa đất"
    assert config["i18n"]["en"]["search"] == "Find a parcel"


def test_every_string_has_both_languages() -> None:
    for key, (vi, en) in TEXT.items():
        assert vi.strip() and en.strip(), key


def test_environment_page_gets_qcvn_limits(pages_client: TestClient) -> None:
    html = pages_client.get("/maps/environment").text
    config = json.loads(re.search(r"IocPage\.start\(\w+, (\{.*\})\);", html).group(1))
    air = config["limits"]["air"]
    # QCVN 05:2023: NO2 1 h 200 µg/Nm³; PM2.5 24 h 45 from 2026-01-01 (50 before).
    assert air["no2"]["1h"] == 200
    assert air["pm25"]["24h"] in (45, 50)
    assert config["limits"]["water"]["nh4"]["1h"] == 0.3
    assert {"kind": "air", "code": "pm25"}.items() <= config["properties"][0].items()


def test_wall_rotation_is_validated(pages_client: TestClient) -> None:
    html = pages_client.get("/wall?rotate=12").text
    assert '"rotate_seconds": 12' in html
    assert pages_client.get("/wall?rotate=1").status_code == 400
    assert pages_client.get("/wall?rotate=abc").status_code == 400


SELECTION = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "id": 1,
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [
                        [105.85, 21.02],
                        [105.8502, 21.02],
                        [105.8502, 21.0202],
                        [105.85, 21.0202],
                        [105.85, 21.02],
                    ]
                ],
            },
            "properties": {
                "commune_code": "00070",
                "sheet_number": 1,
                "parcel_number": 7,
                "land_use": "ODT",
                "address": "Số 7 phố Hàng Bạc",
                "purposes": [{"code": "ODT", "area_m2": 300.0}],
            },
        }
    ],
}


def test_export_geojson(pages_client: TestClient) -> None:
    r = pages_client.post("/maps/parcels/export?format=geojson", json=SELECTION)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/geo+json")
    assert "attachment" in r.headers["content-disposition"]
    doc = r.json()
    props = doc["features"][0]["properties"]
    assert props["address"] == "Số 7 phố Hàng Bạc"
    assert props["parcel_number"] == 7
    assert json.loads(props["purposes"]) == [{"code": "ODT", "area_m2": 300.0}]


def test_export_geopackage(pages_client: TestClient, tmp_path) -> None:
    r = pages_client.post("/maps/parcels/export?format=gpkg", json=SELECTION)
    assert r.status_code == 200
    path = tmp_path / "out.gpkg"
    path.write_bytes(r.content)
    frame = pyogrio.read_dataframe(path)
    assert len(frame) == 1
    assert frame.crs.to_epsg() == 4326
    assert frame.loc[0, "address"] == "Số 7 phố Hàng Bạc"
    assert frame.geometry[0].bounds == pytest.approx((105.85, 21.02, 105.8502, 21.0202))


def test_export_csv(pages_client: TestClient) -> None:
    r = pages_client.post("/maps/parcels/export?format=csv", json=SELECTION)
    assert r.status_code == 200
    text = r.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["address"] == "Số 7 phố Hàng Bạc"
    assert rows[0]["wkt"].startswith("POLYGON ((105.85 21.02")


@pytest.mark.parametrize(
    "body",
    [
        {"type": "FeatureCollection", "features": []},
        {"type": "Feature"},
        {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": 5}]},
    ],
)
def test_export_rejects_bad_selection(pages_client: TestClient, body: dict) -> None:
    r = pages_client.post("/maps/parcels/export?format=csv", json=body)
    assert r.status_code == 400
    assert "Traceback" not in r.text


def test_export_rejects_unknown_format(pages_client: TestClient) -> None:
    assert pages_client.post("/maps/parcels/export?format=shp", json=SELECTION).status_code == 400


def _config(html: str) -> dict:
    return json.loads(re.search(r"IocPage\.start\(\w+, (\{.*\})\);", html).group(1))


@pytest.mark.parametrize("page", PAGE_REGISTRY, ids=lambda p: p.name)
def test_every_registered_page_is_served_from_its_declaration(
    pages_client: TestClient, page: Page
) -> None:
    r = pages_client.get(page.route)
    assert r.status_code == 200
    html = r.text
    config = _config(html)
    assert config["page"] == page.name
    # The page's layers are the registry's, named by the catalog (its titles, both languages).
    assert [x["id"] for x in config["layers"]] == [x.layer for x in page.layers]
    for entry in config["layers"]:
        assert entry["title"] == CATALOG[entry["id"]].title
    assert [x["id"] for x in config["base_layers"]] == [x.layer for x in BASE_LAYERS]
    assert [v["name"] for v in config["views"]] == [v.name for v in page.views]
    # One base template: the title, the navigation to the other pages, the page's own script.
    assert f"<title>{TEXT[page.title][0]}</title>" in html
    parser = Links()
    parser.feed(html)
    for other in PAGE_REGISTRY:
        if other.nav and other is not page and page.name != "wall":
            assert other.route in parser.urls
    assert f"/static/{page.name}.js" in parser.urls
    # The inline script that starts the page carries this response's CSP nonce.
    nonce = re.search(r"'nonce-([^']+)'", r.headers["content-security-policy"]).group(1)
    assert f'<script nonce="{nonce}">' in html and "<script>" not in html


def test_view_layers_are_the_pages_own() -> None:
    for page in PAGE_REGISTRY:
        ids = {x.layer for x in page.layers}
        for view in page.views:
            assert set(view.layers) <= ids and set(view.legends) <= ids, view.name
        for entry in (*page.layers, *BASE_LAYERS):
            assert entry.layer in CATALOG, entry.layer
            for key in (entry.label, entry.legend_title):
                assert not key or key in TEXT, key


def test_page_scripts_name_no_layer(pages_client: TestClient) -> None:
    """The scripts find their layers in the page config, never by a catalog id of their own."""
    ids = "|".join(re.escape(i) for i in CATALOG)
    literal = re.compile(rf"""["'](?:{ids})["']""")
    # Interface-text keys and CSS classes may share a word with a layer id.
    allowed = re.compile(r"""Ioc\.t\(["']\w+["']\)|"class": ["'][\w -]+["']""")
    for path in sorted(STATIC_DIR.glob("*.js")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            assert not literal.search(allowed.sub("", line)), f"{path.name}:{n}: {line.strip()}"


def test_a_page_refuses_the_roles_it_is_not_open_to() -> None:
    page = Page("parcels", "/land-only", "parcels_title", "A page for land officials only",
                layers=(), roles=frozenset({LAND}))  # fmt: skip
    handler = page_route(page)
    with pytest.raises(Forbidden):
        asyncio.run(handler(Principal("visitor", PUBLIC), {}, None))
    answer = asyncio.run(handler(Principal("official", LAND), {}, None))
    assert answer.status_code == 200 and b"<title>" in answer.body


def test_sign_in_page_navigation_comes_from_the_registry(pages_client: TestClient) -> None:
    parser = Links()
    parser.feed(pages_client.get("/login").text)
    desk = [p.route for p in PAGE_REGISTRY if p.nav and not p.anonymous]
    assert desk and [u for u in parser.urls if u.startswith(("/maps", "/wall"))] == desk
