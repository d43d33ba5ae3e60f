"""The tile cache shared by app instances (``layers.tile_cache``): one fill serves every
instance, a data change invalidates it for all of them, roles stay apart, no land users stored."""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
from collections.abc import Iterator
from typing import Any

import mapbox_vector_tile
import psycopg
import pytest
from fastapi.testclient import TestClient

from gis.parcels.history import edit_parcel
from gis.settings import to_libpq_url
from layers.catalog import CATALOG, layers_for_source
from layers.sharedcache import SharedTileCache, tile_ranges
from layers.tilecache import CachedTile, TileCache, intersects, mercator_bbox, tile_bounds
from maps.app import create_app
from maps.deps import pooled
from tests.fixtures.web import maps_settings, tile_of
from tests.test_access_audit import audit_rows, last_id

#: The parcel this module edits (sheets and numbers other test modules leave alone).
EDITED = ("00070", 2, 23)


@pytest.fixture(scope="module")
def instances(database_url: str, web_data: None) -> Iterator[tuple[TestClient, TestClient]]:
    """Two app instances on the same database: one with the shared cache only, one with the
    in-process cache in front of it."""
    a = create_app(maps_settings(database_url, tile_cache_mb=0, tile_cache_shared=True))
    b = create_app(maps_settings(database_url, tile_cache_mb=16, tile_cache_shared=True))
    with TestClient(a) as ca, TestClient(b) as cb:
        yield ca, cb


def stored(database_url: str, z: int, x: int, y: int) -> list[tuple[str, str]]:
    """(layer set, role) of the shared rows of one tile."""
    with psycopg.connect(to_libpq_url(database_url)) as conn:
        rows = conn.execute(
            "SELECT layer_set, role FROM layers.tile_cache WHERE z = %s AND x = %s AND y = %s"
            " ORDER BY role",
            (z, x, y),
        ).fetchall()
    return [(str(r[0]), str(r[1])) for r in rows]


def land_use(content: bytes, sheet: int, number: int) -> str:
    feats = mapbox_vector_tile.decode(content)["parcels"]["features"]
    props = [f["properties"] for f in feats]
    hits = [
        p["land_use"] for p in props if (p["sheet_number"], p["parcel_number"]) == (sheet, number)
    ]
    assert len(hits) == 1
    return str(hits[0])


def test_one_fill_serves_both_and_a_change_drops_it_for_both(instances, database_url):
    a, b = instances
    commune, sheet, number = EDITED
    with psycopg.connect(to_libpq_url(database_url)) as conn:
        lon, lat = conn.execute(
            "SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM land.parcels"
            " WHERE commune_code = %s AND sheet_number = %s AND parcel_number = %s"
            " AND valid_to IS NULL",
            EDITED,
        ).fetchone()
    z, x, y = tile_of(lon, lat, 16)
    url = f"/tiles/parcels/{z}/{x}/{y}.mvt"
    first = a.get(url)
    assert first.status_code == 200 and first.headers["x-cache"] == "miss"
    assert stored(database_url, z, x, y) == [("parcels", "public")]
    # The other instance never computed it: served from the shared table, same bytes and tag.
    other = b.get(url)
    assert other.headers["x-cache"] == "hit" and other.headers["etag"] == first.headers["etag"]
    assert other.content == first.content
    assert a.get(url).headers["x-cache"] == "hit"
    old = land_use(first.content, sheet, number)
    new = "LUC" if old != "LUC" else "CLN"

    edit_parcel(commune, sheet, number, purposes=new, url=database_url)

    for client in (b, a):  # b's in-process copy and the shared row both go
        r = client.get(url)
        assert land_use(r.content, sheet, number) == new
        assert r.headers["etag"] != first.headers["etag"]
    assert stored(database_url, z, x, y) == [("parcels", "public")]


def test_roles_stay_apart_and_land_users_never_reach_the_table(
    instances, database_url, role_keys, known_parcel
):
    a, b = instances
    z, x, y = tile_of(known_parcel["lon"], known_parcel["lat"], 17)
    url = f"/tiles/parcels/{z}/{x}/{y}.mvt"
    land = {"X-API-Key": role_keys["land"]}
    public = a.get(url)
    assert public.status_code == 200
    before = last_id(database_url)
    filled = a.get(url, headers=land)
    assert filled.headers["x-cache"] == "miss"  # the public tile is not the land role's
    assert filled.content != public.content
    # The table is the login role's, which may read no personal data: the land tile (with land
    # users) is not stored there; the other instance makes its own, audited like the first.
    assert [r for r in stored(database_url, z, x, y) if r[1] == "land"] == []
    other = b.get(url, headers=land)
    assert other.headers["x-cache"] == "miss" and other.content == filled.content
    rows = audit_rows(database_url, before)
    assert [r["action"] for r in rows] == ["tile", "tile"]
    assert rows[0]["parcel_ids"] and rows[1]["parcel_ids"] == rows[0]["parcel_ids"]
    # The public caller still gets the public tile from the table (no land users), no audit.
    before = last_id(database_url)
    again = b.get(url)
    assert again.headers["x-cache"] == "hit" and again.content == public.content
    assert audit_rows(database_url, before) == []


def test_no_request_role_reads_the_table(database_url):
    with psycopg.connect(to_libpq_url(database_url)) as conn:
        for role in ("iocgis_public", "iocgis_land", "iocgis_admin"):
            allowed = conn.execute(
                "SELECT has_table_privilege(%s, 'layers.tile_cache', 'SELECT')", (role,)
            ).fetchone()
            assert allowed == (False,), role


def test_a_fill_older_than_a_logged_change_is_not_stored(instances, database_url):
    a, _ = instances
    state: Any = a.app.state.maps
    z, x, y = tile_of(105.852, 21.028, 15)
    with psycopg.connect(to_libpq_url(database_url), autocommit=True) as conn:
        conn.execute("SELECT layers.record_change('parcels', NULL)")
        newest = conn.execute("SELECT max(id) FROM layers.changes").fetchone()[0]

    # As if the tile's query had run before that change: its fill is refused.
    async def put(seen: int) -> bool:
        async with pooled(state) as conn:  # the login role, whoever borrowed it last
            tile = CachedTile(b"\x1f\x8b", '"t"', (), 10)
            return bool(await state.shared.put(conn, (("parcels",), z, x, y, "public"), tile,
                                                [CATALOG["parcels"]], seen))  # fmt: skip

    assert a.portal.call(put, newest - 1) is False
    assert a.portal.call(put, newest) is True


def test_a_shared_hit_does_not_wait_for_the_request_pool(instances):
    """The shared cache is read through the small pool: with every request-pool connection
    held by slow queries, a tile the table holds is still served at once."""
    a, _ = instances
    state: Any = a.app.state.maps
    url = "/tiles/parcels/{}/{}/{}.mvt".format(*tile_of(105.8445, 21.0300, 16))
    assert a.get(url).status_code == 200  # filled (or already there)
    held, release = threading.Event(), threading.Event()

    async def hold() -> None:
        async with contextlib.AsyncExitStack() as stack:
            for _ in range(state.settings.pool_max):
                await stack.enter_async_context(state.pool.connection())
            held.set()
            while not release.is_set():
                await asyncio.sleep(0.01)

    holder = a.portal.start_task_soon(hold)
    try:
        assert held.wait(10)
        r = a.get(url)
        assert r.status_code == 200 and r.headers["x-cache"] == "hit"
    finally:
        release.set()
        holder.result(10)


def test_tile_ranges_match_the_in_process_rule():
    rng = random.Random(7)
    for _ in range(40):
        lon, lat = rng.uniform(102, 110), rng.uniform(8, 23)
        d = rng.choice([1e-6, 1e-3, 0.05, 0.5])
        box = mercator_bbox((lon, lat, lon + d, lat + d))
        for z, x0, x1, y0, y1 in tile_ranges(box)[:13]:
            cx, cy = tile_of(lon, lat, z)[1:]
            near = [
                (i, j) for i in range(max(cx - 4, 0), cx + 6) for j in range(max(cy - 6, 0), cy + 4)
            ]
            want = {t for t in near if intersects(tile_bounds(z, *t), box)}
            got = {t for t in near if x0 <= t[0] <= x1 and y0 <= t[1] <= y1}
            assert got == want, (z, lon, lat, d)


def test_the_table_is_trimmed_to_its_budget(instances, database_url):
    a, _ = instances
    state: Any = a.app.state.maps
    shared = state.shared
    tile = CachedTile(b"g" * 1000, '"t"', (), 1000)

    async def fill_and_trim() -> int:
        async with pooled(state) as conn:
            await shared.clear(conn)
            cur = await conn.execute("SELECT coalesce(max(id), 0) FROM layers.changes")
            seen = (await cur.fetchone())[0]
            for i in range(10):
                key = (("parcels",), 20, i, 0, "public")
                assert await shared.put(conn, key, tile, [CATALOG["parcels"]], seen)
            budget, shared.max_bytes = shared.max_bytes, 3500
            try:
                return int(await shared.trim(conn))
            finally:
                shared.max_bytes = budget

    assert a.portal.call(fill_and_trim) == 7
    with psycopg.connect(to_libpq_url(database_url)) as conn:
        kept = [r[0] for r in conn.execute("SELECT x FROM layers.tile_cache ORDER BY x")]
    assert kept == [7, 8, 9]  # the newest fills stay


def test_changes_applied_together_drop_what_each_drops_alone(database_url):
    """A run of the change look-up applies all its changes at once (one DELETE, one pass over
    the in-process cache); both caches drop exactly the tiles the changes one by one would."""
    rng = random.Random(11)
    role = "test-apply-together"
    sets = [("parcels",), ("stations", "alerts"), ("communes",), ("provinces",), ("planning",)]
    keys = set()
    for _ in range(300):  # near (0.5°E, 0.5°N): no fixture data there
        z = rng.randint(6, 16)
        _, x, y = tile_of(rng.uniform(0, 1), rng.uniform(0, 1), z)
        keys.add((rng.choice(sets), z, x, y, role))
    box = lambda: (lambda lon, lat, d: (lon, lat, lon + d, lat + d))(  # noqa: E731
        rng.uniform(0, 1), rng.uniform(0, 1), rng.choice([1e-4, 1e-2, 0.1]))
    changes = [(0, "stations", b) for b in [box()] * 3 + [box()]]  # a station again and again
    changes += [(0, "parcels", box()), (0, "alerts", box()), (0, "provinces", None)]

    def dropped_alone(key: tuple[Any, ...]) -> bool:
        return any(
            {layer.id for layer in layers_for_source(src)} & set(key[0])
            and (bbox is None or intersects(tile_bounds(*key[1:4]), mercator_bbox(bbox)))
            for _id, src, bbox in changes
        )

    want = {k for k in keys if not dropped_alone(k)}
    assert 0 < len(want) < len(keys)
    local = TileCache()
    for k in keys:
        local.put(k, CachedTile(b"x", '"e"', (), 201))
    assert local.apply(changes) == len(keys) - len(want)
    assert {k for k in keys if local.get(k) is not None} == want

    async def shared_apply() -> int:
        async with await psycopg.AsyncConnection.connect(to_libpq_url(database_url)) as conn:
            await conn.execute("DELETE FROM layers.tile_cache WHERE role = %s", (role,))
            for names, z, x, y, _r in keys:
                await conn.execute(
                    "INSERT INTO layers.tile_cache (layer_set, role, z, x, y, layer_ids, gzipped,"
                    " etag, cut, personal_ids) VALUES (%s, %s, %s, %s, %s, %s, '', '', '{}',"
                    " '{}')", (",".join(names), role, z, x, y, list(names)))
            return await SharedTileCache().apply(conn, changes)

    # only this test's rows are in range of its boxes; the provinces change drops all of
    # that layer's tiles, which no other test of this module reads
    assert asyncio.run(shared_apply()) >= len(keys) - len(want)
    with psycopg.connect(to_libpq_url(database_url)) as conn:
        left = conn.execute("SELECT layer_set, z, x, y FROM layers.tile_cache WHERE role = %s",
                            (role,)).fetchall()
        conn.execute("DELETE FROM layers.tile_cache WHERE role = %s", (role,))
    assert {(tuple(str(n).split(",")), z, x, y, role) for n, z, x, y in left} == want
