"""The personal-data audit log: one row per land-role response carrying land users (cache hits
too), none for other roles, and no response at all when the row cannot be written (503)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from gis.settings import to_libpq_url
from maps.app import create_app
from tests.fixtures.web import (
    CALLERS,
    KNOWN_PARCEL,
    caller_headers,
    carries_land_user,
    maps_settings,
    tile_of,
)

AUDIT = "audit.personal_data_views"


def audit_rows(database_url: str, after: int) -> list[dict[str, Any]]:
    """Audit rows with an id above ``after`` (read as the owner), oldest first."""
    with psycopg.connect(to_libpq_url(database_url)) as conn:
        cur = conn.execute(
            f"SELECT id, subject, role, method, action, target, parcel_ids, client"
            f" FROM {AUDIT} WHERE id > %s ORDER BY id",
            (after,),
        )
        names = [d.name for d in cur.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def last_id(database_url: str) -> int:
    """The newest audit row id (0 when empty)."""
    with psycopg.connect(to_libpq_url(database_url)) as conn:
        row = conn.execute(f"SELECT coalesce(max(id), 0) FROM {AUDIT}").fetchone()
    return int(row[0]) if row else 0


@pytest.fixture(scope="module")
def parcel(known_parcel: dict[str, Any], role_keys: dict[str, str]) -> dict[str, Any]:
    """The known parcel, its z17 tile and a selection holding its land users."""
    z, x, y = tile_of(known_parcel["lon"], known_parcel["lat"], 17)
    return {**known_parcel, "tile": (z, x, y)}


def land_selection(client: TestClient, key: str, fid: int) -> dict[str, Any]:
    """The known parcel's feature as the land role receives it, as a selection to export."""
    feature = client.get(f"/collections/parcels/items/{fid}", headers={"X-API-Key": key}).json()
    return {"type": "FeatureCollection", "features": [feature]}


def routes(client: TestClient, p: dict[str, Any], key: str) -> dict[str, tuple[str, Any]]:
    """Route name → (expected action, a function making the request with headers ``h``)."""
    z, x, y = p["tile"]
    commune, sheet, number = KNOWN_PARCEL
    selection = land_selection(client, key, p["fid"])
    return {
        "items": ("features", lambda h: client.get(
            "/collections/parcels/items", params={"filter": "sheet_number = 1", "limit": 100},
            headers=h)),
        "item": ("feature", lambda h: client.get(f"/collections/parcels/items/{p['fid']}",
                                                 headers=h)),
        "tile": ("tile", lambda h: client.get(f"/tiles/parcels/{z}/{x}/{y}.mvt", headers=h)),
        "parcel at": ("parcel", lambda h: client.get(
            "/parcels/at", params={"lon": p["lon"], "lat": p["lat"]}, headers=h)),
        "parcel card": ("parcel", lambda h: client.get(
            f"/parcels/{commune}/{sheet}/{number}", params={"history": "false"}, headers=h)),
        "export": ("export", lambda h: client.post(
            "/maps/parcels/export?format=geojson", json=selection, headers=h)),
    }  # fmt: skip


@pytest.mark.parametrize(
    "route", ["items", "item", "tile", "parcel at", "parcel card", "export"]
)
def test_each_land_response_writes_one_row(client, database_url, role_keys, parcel, route):
    action, call = routes(client, parcel, role_keys["land"])[route]
    before = last_id(database_url)
    r = call({"X-API-Key": role_keys["land"]})
    assert r.status_code == 200
    rows = audit_rows(database_url, before)
    assert len(rows) == 1, rows
    row = rows[0]
    assert (row["subject"], row["role"], row["method"], row["action"]) == (
        "test-land", "land", "api_key", action
    )
    assert parcel["fid"] in row["parcel_ids"]
    assert row["client"]
    if route == "items":  # every returned parcel with land users, and only those
        with psycopg.connect(to_libpq_url(database_url)) as conn:
            want = [i for (i,) in conn.execute(
                "SELECT p.id FROM land.parcels p WHERE p.valid_to IS NULL"
                " AND p.sheet_number = 1 AND EXISTS (SELECT 1 FROM land.parcel_land_users l"
                " WHERE l.parcel_id = p.id) ORDER BY p.id LIMIT 100")]  # fmt: skip
        assert sorted(row["parcel_ids"]) == want
    if route == "tile":
        assert row["target"] == "parcels/{}/{}/{}".format(*parcel["tile"])


@pytest.mark.parametrize("route", ["items", "item", "tile"])
def test_a_read_and_its_audit_need_one_connection(database_url, web_data, role_keys, parcel,
                                                  route):
    """The audit row is written on the read's own connection (no replicas): with a pool of one,
    a land official is answered (a second borrow while holding the first waited until 503)."""
    settings = maps_settings(database_url, pool_min=1, pool_max=1, pool_wait_s=3,
                             tile_cache_mb=0)
    with TestClient(create_app(settings)) as one:
        action, call = routes(one, parcel, role_keys["land"])[route]
        before = last_id(database_url)
        r = call({"X-API-Key": role_keys["land"]})
        assert r.status_code == 200, r.text
        assert [row["action"] for row in audit_rows(database_url, before)] == [action]


def test_tile_cache_hits_are_audited_too(client, database_url, role_keys, parcel):
    z, x, y = parcel["tile"]
    h = {"X-API-Key": role_keys["land"]}
    first = client.get(f"/tiles/parcels/{z}/{x}/{y}.mvt", headers=h)
    before = last_id(database_url)
    again = client.get(f"/tiles/parcels/{z}/{x}/{y}.mvt", headers=h)
    assert first.status_code == again.status_code == 200
    assert again.headers["X-Cache"] == "hit"
    rows = audit_rows(database_url, before)
    assert len(rows) == 1 and rows[0]["action"] == "tile"
    assert parcel["fid"] in rows[0]["parcel_ids"]
    # A public tile of the same place holds no land users: no row.
    before = last_id(database_url)
    assert client.get(f"/tiles/parcels/{z}/{x}/{y}.mvt").status_code == 200
    assert audit_rows(database_url, before) == []


@pytest.mark.parametrize("caller", [c for c in CALLERS if c != "land"])
def test_no_row_for_other_roles(client, database_url, role_keys, parcel, caller):
    calls = routes(client, parcel, role_keys["land"])  # (fetching the selection is audited)
    before = last_id(database_url)
    for _action, call in calls.values():
        r = call(caller_headers(role_keys, caller))
        assert r.status_code == 200
        assert not carries_land_user(r.content.decode("utf-8", errors="replace"))
    assert audit_rows(database_url, before) == []


@contextlib.contextmanager
def audit_insert_revoked(database_url: str) -> Iterator[None]:
    """The land role loses INSERT on the audit log of this test database for a while."""
    with psycopg.connect(to_libpq_url(database_url), autocommit=True) as conn:
        conn.execute(f"REVOKE INSERT ON {AUDIT} FROM iocgis_land")
        try:
            yield
        finally:
            conn.execute(f"GRANT INSERT ON {AUDIT} TO iocgis_land")


def test_no_audit_no_personal_data(client, database_url, role_keys, parcel):
    land_routes = routes(client, parcel, role_keys["land"])
    h = {"X-API-Key": role_keys["land"]}
    z, x, y = parcel["tile"]
    assert client.get(f"/tiles/parcels/{z}/{x}/{y}.mvt", headers=h).status_code == 200  # cached
    before = last_id(database_url)
    with audit_insert_revoked(database_url):
        for name, (_action, call) in land_routes.items():
            r = call(h)
            assert r.status_code == 503, (name, r.status_code, r.text[:200])
            assert not carries_land_user(r.content.decode("utf-8", errors="replace")), name
            assert "audit" in r.json()["description"]
        # Other roles are not held up: they carry no personal data and write no row.
        assert land_routes["item"][1]({"X-API-Key": role_keys["public"]}).status_code == 200
    assert audit_rows(database_url, before) == []
    assert land_routes["item"][1](h).status_code == 200  # back once the grant is
