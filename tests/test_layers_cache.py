"""The tile cache follows the data: an edited parcel shows on the very next tile request."""

from __future__ import annotations

import mapbox_vector_tile
import psycopg
import pytest
import shapely

from gis.parcels.history import edit_parcel
from gis.settings import to_libpq_url
from layers.tilecache import CachedTile, TileCache, intersects, mercator_bbox, tile_bounds
from tests.fixtures.web import tile_of


def parcel_centre(conn: psycopg.Connection, sheet: int, number: int) -> tuple[float, float]:
    row = conn.execute(
        "SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM land.parcels"
        " WHERE commune_code = '00070' AND sheet_number = %s AND parcel_number = %s"
        " AND valid_to IS NULL",
        (sheet, number),
    ).fetchone()
    assert row is not None
    return float(row[0]), float(row[1])


def land_use_in_tile(content: bytes, sheet: int, number: int) -> str:
    feats = mapbox_vector_tile.decode(content)["parcels"]["features"]
    match = [
        f["properties"]["land_use"]
        for f in feats
        if f["properties"]["sheet_number"] == sheet and f["properties"]["parcel_number"] == number
    ]
    assert len(match) == 1
    return match[0]


def test_edited_parcel_shows_on_next_request(client, database_url):
    with psycopg.connect(to_libpq_url(database_url)) as conn:
        lon, lat = parcel_centre(conn, 2, 7)
    tiles = [tile_of(lon, lat, z) for z in (14, 16, 18)]
    far = tile_of(105.60, 21.30, 16)  # elsewhere in Hà Nội: not touched by the edit
    before = {t: client.get("/tiles/parcels/{}/{}/{}.mvt".format(*t)) for t in tiles}
    client.get("/tiles/communes/{}/{}/{}.mvt".format(*tiles[0]))
    client.get("/tiles/parcels/{}/{}/{}.mvt".format(*far))
    for t in tiles:  # cached now
        assert client.get("/tiles/parcels/{}/{}/{}.mvt".format(*t)).headers["x-cache"] == "hit"
    old = land_use_in_tile(before[tiles[1]].content, 2, 7)
    new = "LUC" if old != "LUC" else "CLN"

    edit_parcel("00070", 2, 7, purposes=new, url=database_url)

    for t in tiles:  # at every zoom, the very next request
        r = client.get("/tiles/parcels/{}/{}/{}.mvt".format(*t))
        assert r.headers["x-cache"] == "miss", t
        assert land_use_in_tile(r.content, 2, 7) == new
        assert r.headers["etag"] != before[t].headers["etag"]
    # Tiles of other layers and other places stay cached.
    assert client.get("/tiles/parcels/{}/{}/{}.mvt".format(*far)).headers["x-cache"] == "hit"
    r = client.get("/tiles/communes/{}/{}/{}.mvt".format(*tiles[0]))
    assert r.headers["x-cache"] == "hit"


def test_moved_geometry_drops_old_and_new_places(client, database_url):
    with psycopg.connect(to_libpq_url(database_url)) as conn:
        lon, lat = parcel_centre(conn, 3, 1)
        row = conn.execute(
            "SELECT ST_AsBinary(geom_native) FROM land.parcels WHERE commune_code = '00070'"
            " AND sheet_number = 3 AND parcel_number = 1 AND valid_to IS NULL"
        ).fetchone()
    z, x, y = tile_of(lon, lat, 18)
    client.get(f"/tiles/parcels/{z}/{x}/{y}.mvt")
    moved = shapely.affinity.translate(shapely.from_wkb(bytes(row[0])), xoff=-2.0, yoff=1.0)
    edit_parcel("00070", 3, 1, geometry=moved, url=database_url)
    r = client.get(f"/tiles/parcels/{z}/{x}/{y}.mvt")
    assert r.headers["x-cache"] == "miss"


def test_invalidate_by_extent_at_every_zoom():
    cache = TileCache(10_000)
    tile = CachedTile(b"x" * 10, '"e"', (), 10)
    lon, lat = 105.85, 21.03
    inside = [(("parcels",), *tile_of(lon, lat, z), "public") for z in range(10, 19)]
    outside = [(("parcels",), *tile_of(106.5, 20.5, z), "public") for z in range(10, 19)]
    other = (("communes",), *tile_of(lon, lat, 14), "public")
    for key in [*inside, *outside, other]:
        cache.put(key, tile)
    dropped = cache.invalidate("parcels", (lon - 1e-5, lat - 1e-5, lon + 1e-5, lat + 1e-5))
    assert dropped == len(inside)
    assert all(cache.get(k) is None for k in inside)
    assert all(cache.get(k) is not None for k in [*outside, other])
    assert cache.invalidate("communes", None) == 1
    assert cache.invalidate("nothing-declared", None) == 0


def test_lru_budget_in_bytes():
    cache = TileCache(100)
    for i in range(20):
        cache.put((("parcels",), 18, i, 0, "public"), CachedTile(b"", '"e"', (), 30))
    assert len(cache) == 3 and cache.size_bytes == 90
    assert cache.get((("parcels",), 18, 19, 0, "public")) is not None
    assert cache.get((("parcels",), 18, 0, 0, "public")) is None


def test_tile_bounds_and_margin():
    half = 20037508.342789244  # half the Web Mercator world's width
    w, s, e, n = tile_bounds(1, 0, 0, margin=0)
    assert (w, s, e, n) == pytest.approx((-half, 0.0, 0.0, half))
    grown = tile_bounds(1, 0, 0)
    assert grown[0] == pytest.approx(w - half * 64 / 4096) and grown[2] > e
    # the same tile's WGS 84 corners land on its Mercator corners; beyond ±85.05° is clamped
    assert mercator_bbox((-180.0, 0.0, 0.0, 85.0511287798066)) == pytest.approx((w, s, e, n))
    assert mercator_bbox((-200.0, -89.0, 0.0, 0.0))[:2] == pytest.approx((-half, -half))
    assert intersects((0, 0, 1, 1), (1, 1, 2, 2)) and not intersects((0, 0, 1, 1), (2, 2, 3, 3))
