"""Who sees land users: every caller × every route that could carry them.

A known land user of the sample data (name and ID number) must appear in a response iff the
caller has the land role, in features, tiles, TileJSON, parcel cards and exports; routes that
never carry land users (near-exceeding, the page HTML, errors) carry them for nobody.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mapbox_vector_tile
import psycopg
import pytest
from fastapi.testclient import TestClient
from httpx import Response
from psycopg import sql

from gis.access.roles import set_role
from gis.db import close_pools
from gis.settings import get_settings
from layers.catalog import CATALOG
from tests.fixtures.web import (
    CALLERS,
    KNOWN_ID,
    KNOWN_NAME,
    KNOWN_PARCEL,
    caller_headers,
    carries_land_user,
    tile_of,
    web_url,
)

Call = Callable[[TestClient, dict[str, str], dict[str, Any]], Response]


def _tile_path(kp: dict[str, Any], names: str) -> str:
    z, x, y = tile_of(kp["lon"], kp["lat"], 17)
    return f"/tiles/{names}/{z}/{x}/{y}.mvt"


def _as_text(r: Response) -> str:
    """The response as text to search: decoded MVT, re-dumped JSON (no escapes) or raw text."""
    kind = r.headers.get("content-type", "")
    if "vector-tile" in kind:
        return json.dumps(mapbox_vector_tile.decode(r.content), ensure_ascii=False, default=str)
    if "json" in kind:
        return json.dumps(r.json(), ensure_ascii=False)
    return r.content.decode("utf-8-sig", errors="replace")


def _land_items(c: TestClient, land_key: str, kp: dict[str, Any]) -> dict[str, Any]:
    r = c.get(f"/collections/parcels/items/{kp['fid']}", headers={"X-API-Key": land_key})
    assert r.status_code == 200
    feature = r.json()
    assert feature["properties"]["land_users"], "the known parcel has land users"
    return {"type": "FeatureCollection", "features": [feature]}


#: Routes whose response carries the known land user for the land role (and only for it).
CARRYING: dict[str, Call] = {
    "items": lambda c, h, kp: c.get("/collections/parcels/items", params={"limit": 1000},
                                    headers=h),
    "item": lambda c, h, kp: c.get(f"/collections/parcels/items/{kp['fid']}", headers=h),
    "tile": lambda c, h, kp: c.get(_tile_path(kp, "parcels"), headers=h),
    "multi-layer tile": lambda c, h, kp: c.get(_tile_path(kp, "communes,parcels"), headers=h),
    "parcel at": lambda c, h, kp: c.get("/parcels/at", params={"lon": kp["lon"],
                                                               "lat": kp["lat"]}, headers=h),
    "parcel card": lambda c, h, kp: c.get("/parcels/{}/{}/{}".format(*KNOWN_PARCEL), headers=h),
    "export geojson": lambda c, h, kp: c.post("/maps/parcels/export?format=geojson",
                                              json=kp["posted"], headers=h),
    "export csv": lambda c, h, kp: c.post("/maps/parcels/export?format=csv",
                                          json=kp["posted"], headers=h),
}  # fmt: skip

#: Routes that carry land users for nobody.
NEVER: dict[str, Call] = {
    "near exceeding": lambda c, h, kp: c.get("/parcels/near-exceeding",
                                             params={"distance": 5000}, headers=h),
    "parcels page": lambda c, h, kp: c.get("/maps/parcels", headers=h),
    "missing parcel": lambda c, h, kp: c.get("/parcels/00070/99/1", headers=h),
    "missing feature": lambda c, h, kp: c.get("/collections/parcels/items/999999999",
                                              headers=h),
    "parcels collection": lambda c, h, kp: c.get("/collections/parcels", headers=h),
}  # fmt: skip


@pytest.fixture(scope="module")
def kp(
    client: TestClient, role_keys: dict[str, str], known_parcel: dict[str, Any],
    demo_stations: dict[str, int],
) -> dict[str, Any]:  # fmt: skip
    """The known parcel, and a selection holding its land users as the land role received it
    (what a stale or tampered page of another role might post to the export)."""
    return {**known_parcel, "posted": _land_items(client, role_keys["land"], known_parcel)}


@pytest.mark.parametrize("route", list(CARRYING))
@pytest.mark.parametrize("caller", CALLERS)
def test_land_users_only_for_land(client, role_keys, kp, caller, route):
    r = CARRYING[route](client, caller_headers(role_keys, caller), kp)
    assert r.status_code == 200, r.text[:300]
    text = _as_text(r)
    if caller == "land":
        assert KNOWN_NAME in text and KNOWN_ID in text
    else:
        assert not carries_land_user(text)
        assert "land_users" not in text


@pytest.mark.parametrize("route", list(NEVER))
@pytest.mark.parametrize("caller", CALLERS)
def test_land_users_never_here(client, role_keys, kp, caller, route):
    r = NEVER[route](client, caller_headers(role_keys, caller), kp)
    assert r.status_code in (200, 404), r.text[:300]
    assert not carries_land_user(_as_text(r))


@pytest.mark.parametrize("caller", CALLERS)
def test_schemas_list_land_users_only_for_land(client, role_keys, kp, caller):
    h = caller_headers(role_keys, caller)
    land = caller == "land"
    queryables = client.get("/collections/parcels/queryables", headers=h).json()
    assert ("land_users" in queryables["properties"]) is land
    tj = client.get("/tiles/communes,parcels/tilejson.json", headers=h).json()
    fields = {v["id"]: v["fields"] for v in tj["vector_layers"]}
    assert ("land_users" in fields["parcels"]) is land
    assert "land_use" in fields["parcels"]
    catalog = client.get("/layers", headers=h).json()["layers"]
    parcels = next(x for x in catalog if x["id"] == "parcels")
    assert ("land_users" in parcels["properties"]) is land


@pytest.mark.parametrize("caller", CALLERS)
def test_filters_on_land_users_refused_like_unknown_properties(client, role_keys, kp, caller):
    h = caller_headers(role_keys, caller)
    url = "/collections/parcels/items"
    by_filter = client.get(url, params={"filter": f"land_users LIKE '%{KNOWN_ID}%'"}, headers=h)
    by_param = client.get(url, params={"land_users": KNOWN_NAME}, headers=h)
    if caller == "land":
        assert by_filter.status_code == 200
        features = by_filter.json()["features"]
        # Other tests import parcels of their own whose first user has the same synthetic ID.
        assert kp["fid"] in [f["id"] for f in features]
        assert all(KNOWN_ID in json.dumps(f["properties"]["land_users"]) for f in features)
        assert by_param.status_code == 200
        return
    # Exactly the answer an unknown property gets: nothing tells the property exists.
    unknown_filter = client.get(url, params={"filter": f"nosuch LIKE '%{KNOWN_ID}%'"}, headers=h)
    unknown_param = client.get(url, params={"nosuch": KNOWN_NAME}, headers=h)
    for hidden, unknown in ((by_filter, unknown_filter), (by_param, unknown_param)):
        assert hidden.status_code == unknown.status_code == 400
        assert hidden.json()["description"] == unknown.json()["description"].replace(
            "nosuch", "land_users"
        )
        assert not carries_land_user(hidden.text)


@pytest.mark.parametrize("caller", CALLERS)
def test_certificate_number_only_for_land(client, role_keys, caller):
    """The land-use right certificate's number identifies its holder: personal data too."""
    url = "/parcels/{}/{}/{}".format(*KNOWN_PARCEL)
    card = client.get(url, headers=caller_headers(role_keys, caller)).json()["parcel"]
    assert (card["certificate_number"] is not None) == (caller == "land")


def test_land_users_are_json_in_geojson_and_text_in_tiles(client, role_keys, kp):
    h = {"X-API-Key": role_keys["land"]}
    feature = client.get(f"/collections/parcels/items/{kp['fid']}", headers=h).json()
    users = feature["properties"]["land_users"]
    assert isinstance(users, list) and len(users) == 2
    assert any(u["full_name"] == KNOWN_NAME and u["id_number"] == KNOWN_ID for u in users)
    tile = mapbox_vector_tile.decode(client.get(_tile_path(kp, "parcels"), headers=h).content)
    props = next(f["properties"] for f in tile["parcels"]["features"] if f["id"] == kp["fid"])
    assert isinstance(props["land_users"], str) and json.loads(props["land_users"]) == users
    card = client.get("/parcels/{}/{}/{}".format(*KNOWN_PARCEL), headers=h).json()
    assert {u["full_name"] for u in card["parcel"]["users"]} == {u["full_name"] for u in users}


def test_bad_key_is_401_not_public(client, kp):
    r = client.get(f"/collections/parcels/items/{kp['fid']}", headers={"X-API-Key": "iocgis_x"})
    assert r.status_code == 401
    assert not carries_land_user(r.text)


def test_web_app_reads_only_through_its_own_login(client, role_keys, kp, monkeypatch):
    """With the process-wide database setting pointing nowhere, every route still answers: the
    app reads only through its pool (iocgis_web + SET ROLE), never the owner's URL."""
    monkeypatch.setenv("IOC_DATABASE_URL", "postgresql://nobody@127.0.0.1:9/nowhere")
    get_settings.cache_clear()
    close_pools()
    try:
        h = {"X-API-Key": role_keys["land"]}
        for route in (*CARRYING.values(), *NEVER.values()):
            assert route(client, h, kp).status_code in (200, 404)
        for path in ("/wall?province=01", "/wall/figures.json?province=01", "/maps/environment"):
            assert client.get(path, headers=h).status_code == 200, path
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
        close_pools()


#: Signs in as a land official in Chromium, opens the known parcel's card, then the wall in the
#: same browser; prints what the card and the top bar say and how many wall API requests carried
#: the session cookie.
BROWSER_SCRIPT = r"""
import {createRequire} from "node:module";
const require = createRequire(process.env.IOC_ROOT + "/package.json");
const {chromium} = require("playwright-core");
const [base, key] = process.argv.slice(2);
const browser = await chromium.launch({executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]});
const page = await (await browser.newContext({locale: "vi-VN"})).newPage();
const next = "/maps/parcels?commune=00070&sheet=1&number=1";
await page.goto(`${base}/login?next=${encodeURIComponent(next)}`);
await page.fill("input[name=api_key]", key);
await Promise.all([page.waitForNavigation(), page.click("form[action='/login'] [type=submit]")]);
await page.waitForSelector("#parcel-card:not([hidden])", {timeout: 30000});
await page.waitForSelector("#auth-box .who", {timeout: 10000});
const card = await page.textContent("#card-body");
const who = await page.textContent("#auth-box");
const api = [];
const apiPath = /\/(tiles|collections|wall\/figures)/;
page.on("request", (r) => { if (apiPath.test(r.url())) api.push(r); });
await page.goto(`${base}/wall?province=01`);
await page.waitForTimeout(4000);
let withCookie = 0;
for (const r of api) { if ((await r.allHeaders()).cookie) withCookie++; }
console.log("RESULT " + JSON.stringify({card, who, wall: api.length, withCookie}));
await browser.close();
"""


@pytest.mark.slow
def test_browser_land_card_and_a_wall_without_credentials(live_server, role_keys, kp, tmp_path):
    root = Path(__file__).resolve().parents[1]
    assert shutil.which("node") and Path("/usr/bin/chromium").exists(), "node and chromium"
    script = tmp_path / "land_card.mjs"
    script.write_text(BROWSER_SCRIPT, encoding="utf-8")
    out = subprocess.run(
        ["node", str(script), live_server.url, role_keys["land"]], capture_output=True,
        text=True, timeout=180, env={**os.environ, "IOC_ROOT": str(root)},
    )  # fmt: skip
    line = next((x for x in out.stdout.splitlines() if x.startswith("RESULT ")), None)
    assert line, out.stdout + out.stderr
    result = json.loads(line[len("RESULT "):])
    assert KNOWN_NAME in result["card"] and KNOWN_ID in result["card"]
    assert "test-land" in result["who"]
    # The wall in the same signed-in browser asks the API without the session cookie.
    assert result["wall"] > 5 and result["withCookie"] == 0


@pytest.mark.parametrize("role", ["public", "environment", "land", "admin"])
def test_catalog_roles_agree_with_the_database_grants(database_url, web_data, role):
    """Each role's database role reads exactly the properties the catalog gives it: the ones it
    sees are readable, the ones hidden from it are refused by PostgreSQL itself."""
    with psycopg.connect(web_url(database_url), autocommit=True) as conn:
        set_role(conn, role)
        for layer in (x for x in CATALOG.values() if x.kind == "vector" and x.visible_to(role)):
            view = sql.Identifier(layer.view)
            cols = sql.SQL(", ").join(sql.Identifier(p.name) for p in layer.props_for(role))
            conn.execute(sql.SQL("SELECT fid, geom, {} FROM layers.{} LIMIT 1").format(cols, view))
            for hidden in set(layer.properties) - set(layer.props_for(role)):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(sql.SQL("SELECT {} FROM layers.{} LIMIT 1").format(
                        sql.Identifier(hidden.name), view))
