"""Vector tiles: decoded MVTs hold the same features as raw SQL; caps, gzip, ETag, errors."""

from __future__ import annotations

import asyncio
import dataclasses
import gzip

import mapbox_vector_tile
import psycopg
import pytest

from gis.settings import to_libpq_url
from layers.catalog import CATALOG
from layers.tiles import mvt_tile
from tests.fixtures.web import tile_of

#: A point well inside the sample parcels of Phường Hoàn Kiếm.
#: The middle of the shared fixture's 120 parcels (sheets 1–3 of Hoàn Kiếm): other modules add
#: parcels elsewhere in the commune, which would move a centroid of all of them into a gap.
SQL_CENTRE = (
    "SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(ST_Collect(geom)) AS c"
    " FROM land.parcels WHERE commune_code = '00070' AND sheet_number <= 3"
    " AND valid_to IS NULL) s"
)


@pytest.fixture(scope="module")
def centre(database_url: str, web_data: None) -> tuple[float, float]:
    with psycopg.connect(to_libpq_url(database_url)) as conn:
        row = conn.execute(SQL_CENTRE).fetchone()
    assert row is not None
    return float(row[0]), float(row[1])


def raw_features(conn: psycopg.Connection, view: str, z: int, x: int, y: int) -> dict[int, dict]:
    """Features of a view whose clipped geometry is non-empty in the tile (plain SQL)."""
    rows = conn.execute(
        f"SELECT s.fid, to_jsonb(s) - 'geom' - 'fid' FROM layers.{view} s"
        " WHERE ST_AsMVTGeom(ST_Transform(s.geom, 3857), ST_TileEnvelope(%s, %s, %s),"
        " 4096, 64, true) IS NOT NULL",
        (z, x, y),
    ).fetchall()
    return {int(fid): props for fid, props in rows}


def decode(content: bytes) -> dict:
    return mapbox_vector_tile.decode(content)


def test_parcel_tile_matches_raw_sql(client, conn, centre):
    z, x, y = tile_of(*centre, 17)
    r = client.get(f"/tiles/parcels/{z}/{x}/{y}.mvt")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    layer = decode(r.content)["parcels"]
    got = {f["id"]: f["properties"] for f in layer["features"]}
    want = raw_features(conn, "parcels", z, x, y)
    assert got.keys() == want.keys() and len(got) > 5
    for fid, props in want.items():
        assert got[fid]["land_use"] == props["land_use"]
        assert got[fid]["parcel_number"] == props["parcel_number"]
        assert got[fid]["sheet_number"] == props["sheet_number"]
        assert got[fid]["legal_area_m2"] == pytest.approx(props["legal_area_m2"])
        assert got[fid]["purposes"] == props["purposes"]
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in layer["features"])


def test_several_layers_in_one_tile(client, conn, centre):
    z, x, y = tile_of(*centre, 15)
    r = client.get(f"/tiles/communes,parcels,planning/{z}/{x}/{y}.mvt")
    layers = decode(r.content)
    assert set(layers) == {"communes", "parcels", "planning"}
    for name in layers:
        got = {f["id"] for f in layers[name]["features"]}
        assert got == set(raw_features(conn, name, z, x, y)), name
    codes = {f["properties"]["code"] for f in layers["communes"]["features"]}
    assert "00070" in codes


def test_layers_outside_their_zoom_are_left_out(client, centre):
    z, x, y = tile_of(*centre, 12)
    layers = decode(client.get(f"/tiles/parcels,communes/{z}/{x}/{y}.mvt").content)
    assert "parcels" not in layers  # parcels start at zoom 14
    assert layers["communes"]["features"]


def test_cap_cuts_a_tile_and_says_so(database_url, centre):
    capped = dataclasses.replace(CATALOG["parcels"], tile_cap=5)
    z, x, y = tile_of(*centre, 16)

    async def run():
        async with await psycopg.AsyncConnection.connect(to_libpq_url(database_url)) as c:
            return await mvt_tile(c, [capped], z, x, y)

    tile = asyncio.run(run())
    assert tile.cut == ("parcels",)
    assert len(decode(tile.data)["parcels"]["features"]) == 5


def test_cut_header_over_http(client, centre, monkeypatch):
    monkeypatch.setitem(CATALOG, "parcels", dataclasses.replace(CATALOG["parcels"], tile_cap=3))
    z, x, y = tile_of(*centre, 16)
    # The cache key holds layer ids only: drop tiles cached under the uncapped declaration.
    client.app.state.maps.cache.clear()
    r = client.get(f"/tiles/parcels/{z}/{x}/{y}.mvt")
    assert r.headers["x-tile-cut"] == "parcels"
    assert len(decode(r.content)["parcels"]["features"]) == 3
    client.app.state.maps.cache.clear()


def test_gzip_etag_and_304(client, centre):
    z, x, y = tile_of(*centre, 16)
    r = client.get(f"/tiles/parcels/{z}/{x}/{y}.mvt", headers={"Accept-Encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip"
    etag = r.headers["etag"]
    raw = client.get(f"/tiles/parcels/{z}/{x}/{y}.mvt", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in raw.headers
    assert raw.content == r.content  # httpx undid the gzip of the first answer
    again = client.get(f"/tiles/parcels/{z}/{x}/{y}.mvt", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["x-cache"] == "hit"
    assert gzip.decompress(gzip.compress(raw.content)) == raw.content


def test_empty_tile_far_away(client):
    z, x, y = tile_of(0.0, 0.0, 16)
    r = client.get(f"/tiles/parcels/{z}/{x}/{y}.mvt")
    assert r.status_code == 200 and r.content == b""


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/tiles/nope/10/1/1.mvt", 404),
        ("/tiles/parcels,nope/10/1/1.mvt", 404),
        ("/tiles/landcover/10/1/1.mvt", 404),
        ("/tiles/parcels/3/9/1.mvt", 400),
        ("/tiles/parcels/30/1/1.mvt", 400),  # zoom out of its declared range
    ],
)
def test_bad_tile_requests(client, path, status):
    r = client.get(path)
    assert r.status_code == status
    body = r.json()  # domain errors and invalid parameters answer in the same shape
    assert body["code"] and body["description"]


def test_tilejson_is_what_pages_load(client):
    doc = client.get("/tiles/parcels,planning/tilejson.json").json()
    assert doc["tilejson"] == "3.0.0"
    assert doc["tiles"] == ["http://testserver/tiles/parcels,planning/{z}/{x}/{y}.mvt"]
    assert [v["id"] for v in doc["vector_layers"]] == ["parcels", "planning"]
    assert doc["vector_layers"][0]["fields"]["land_use"] == "string"
    assert doc["minzoom"] == 10 and doc["maxzoom"] == 22
    raster = client.get("/tiles/landcover/tilejson.json").json()
    assert raster["tiles"][0].endswith("/raster/landcover/{z}/{x}/{y}.png")
