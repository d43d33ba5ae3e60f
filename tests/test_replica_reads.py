"""Reads on a real hot standby: tiles come from the replica once it has replayed the newest
change, never older; the primary serves them while it lags; audit rows go to the primary.

The module starts its own primary (``wal_level=replica``) and a standby made by
``pg_basebackup -R``, each on a free port, and tears both down: the machine's main cluster is
not touched.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import mapbox_vector_tile
import psycopg
import pytest
from fastapi.testclient import TestClient

from gis import migrate
from gis.access.keys import add_user
from gis.admin import load_admin_units
from gis.db import close_pools
from gis.parcels.history import edit_parcel
from gis.parcels.importer import import_parcels
from gis.replica import lsn_value
from gis.settings import get_settings
from maps.app import create_app
from maps.config import MapsSettings
from tests.fixtures.land import SAMPLE_COMMUNE, SAMPLE_SRID, commune_native, grid_parcels
from tests.fixtures.web import tile_of, web_url

BIN = Path("/usr/lib/postgresql/15/bin")
pytestmark = pytest.mark.skipif(not (BIN / "initdb").exists(), reason="PostgreSQL 15 binaries")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres(*args: str) -> None:
    """Run a server binary as the ``postgres`` OS user (initdb and postgres refuse root)."""
    cmd = [str(BIN / args[0]), *args[1:]]
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    subprocess.run(cmd, check=True, capture_output=True, timeout=300)


def _configure(data: Path, port: int, sockets: Path) -> None:
    with (data / "postgresql.auto.conf").open("a") as conf:
        conf.write(
            f"port = {port}\nlisten_addresses = '127.0.0.1'\n"
            f"unix_socket_directories = '{sockets}'\n"
            "wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\nfsync = off\n"
            "shared_buffers = '32MB'\nmax_connections = 60\n"
        )


@pytest.fixture(scope="module")
def clusters() -> Iterator[dict[str, Any]]:
    """A primary with the schema, admin units and 120 parcels, and its hot standby."""
    root = Path(tempfile.mkdtemp(prefix="iocgis-replica-"))
    primary, standby = root / "primary", root / "standby"
    shutil.chown(root, "postgres") if os.geteuid() == 0 else None
    p_port, s_port = _free_port(), _free_port()
    started: list[Path] = []
    try:
        _as_postgres("initdb", "-D", str(primary), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        _configure(primary, p_port, root)
        _as_postgres("pg_ctl", "-D", str(primary), "-w", "-l", str(root / "primary.log"), "start")
        started.append(primary)
        url = f"postgresql://postgres@127.0.0.1:{p_port}/iocgis"
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{p_port}/postgres",
                             autocommit=True) as c:  # fmt: skip
            c.execute("CREATE DATABASE iocgis")
        migrate.upgrade(url)
        load_admin_units(url)
        boundary = commune_native(url, SAMPLE_COMMUNE, SAMPLE_SRID)
        frame = grid_parcels(boundary, 40, commune=SAMPLE_COMMUNE, srid=SAMPLE_SRID)
        path = root / "parcels.gpkg"
        frame.to_file(path, driver="GPKG")
        import_parcels(path, f"EPSG:{SAMPLE_SRID}", url=url)
        _as_postgres("pg_basebackup", "-h", "127.0.0.1", "-p", str(p_port), "-U", "postgres",
                     "-D", str(standby), "-R", "-X", "stream", "-c", "fast")  # fmt: skip
        with (standby / "postgresql.auto.conf").open("a") as conf:
            conf.write(f"port = {s_port}\n")
        _as_postgres("pg_ctl", "-D", str(standby), "-w", "-l", str(root / "standby.log"), "start")
        started.append(standby)
        yield {"primary": url, "standby": f"postgresql://postgres@127.0.0.1:{s_port}/iocgis"}
    finally:
        close_pools()
        get_settings.cache_clear()
        for data in reversed(started):
            with contextlib.suppress(subprocess.CalledProcessError):
                _as_postgres("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def client(clusters: dict[str, Any]) -> Iterator[TestClient]:
    """The app on the primary, reading from the standby; tile cache on (it must follow)."""
    settings = MapsSettings(
        database_url=web_url(clusters["primary"]),
        database_replica_urls=[web_url(clusters["standby"])],
        replica_wait_ms=300,
        tile_cache_mb=16,
    )
    with TestClient(create_app(settings)) as c:
        yield c


def standby(clusters: dict[str, Any], statement: str) -> Any:
    with psycopg.connect(clusters["standby"], autocommit=True) as conn:
        row = conn.execute(statement).fetchone()
    return row[0] if row else None


def wait_caught_up(clusters: dict[str, Any]) -> None:
    with psycopg.connect(clusters["primary"], autocommit=True) as conn:
        target = lsn_value(conn.execute("SELECT pg_current_wal_lsn()::text").fetchone()[0])
    deadline = time.monotonic() + 30
    while lsn_value(standby(clusters, "SELECT pg_last_wal_replay_lsn()::text")) < target:
        assert time.monotonic() < deadline, "the standby does not replay"
        time.sleep(0.05)


def land_use_of(content: bytes, number: int) -> str:
    props = [f["properties"] for f in mapbox_vector_tile.decode(content)["parcels"]["features"]]
    hits = [p["land_use"] for p in props if (p["sheet_number"], p["parcel_number"]) == (1, number)]
    assert len(hits) == 1
    return str(hits[0])


def parcel_tile(clusters: dict[str, Any], number: int) -> str:
    with psycopg.connect(clusters["primary"]) as conn:
        lon, lat = conn.execute(
            "SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom))"
            " FROM land.parcels WHERE commune_code = %s AND sheet_number = 1"
            " AND parcel_number = %s AND valid_to IS NULL",
            (SAMPLE_COMMUNE, number),
        ).fetchone()
    return "/tiles/parcels/{}/{}/{}.mvt".format(*tile_of(lon, lat, 17))


def test_tiles_are_read_on_the_standby(client, clusters):
    wait_caught_up(clusters)
    replicas = client.app.state.maps.replicas
    reads = replicas.reads
    r = client.get(parcel_tile(clusters, 3))
    assert r.status_code == 200 and r.headers["x-cache"] == "miss"
    assert replicas.reads == reads + 1 and replicas.fallbacks == 0
    assert standby(clusters, "SELECT pg_is_in_recovery()") is True


def test_a_lagging_standby_never_serves_an_older_tile(client, clusters):
    url = parcel_tile(clusters, 5)
    before = land_use_of(client.get(url).content, 5)
    new = "LUC" if before != "LUC" else "CLN"
    replicas = client.app.state.maps.replicas
    standby(clusters, "SELECT pg_wal_replay_pause()")
    try:
        edit_parcel(SAMPLE_COMMUNE, 1, 5, purposes=new, url=clusters["primary"])
        fallbacks = replicas.fallbacks
        r = client.get(url)  # the standby is paused: after the bounded wait, the primary
        assert r.headers["x-cache"] == "miss" and land_use_of(r.content, 5) == new
        assert replicas.fallbacks == fallbacks + 1
        # Still paused: what the standby holds is the old parcel, which no read returned.
        old_on_standby = standby(
            clusters,
            "SELECT count(*) FROM land.parcels WHERE sheet_number = 1 AND parcel_number = 5"
            " AND valid_to IS NULL AND commune_code = '" + SAMPLE_COMMUNE + "'"
            " AND id = (SELECT min(id) FROM land.parcels WHERE sheet_number = 1"
            " AND parcel_number = 5 AND commune_code = '" + SAMPLE_COMMUNE + "')",
        )
        assert old_on_standby == 1
    finally:
        standby(clusters, "SELECT pg_wal_replay_resume()")


def test_a_read_waits_for_the_standby_to_replay(client, clusters):
    url = parcel_tile(clusters, 7)
    before = land_use_of(client.get(url).content, 7)
    new = "LUC" if before != "LUC" else "CLN"
    replicas = client.app.state.maps.replicas
    replicas.wait_s = 10.0
    standby(clusters, "SELECT pg_wal_replay_pause()")
    try:
        edit_parcel(SAMPLE_COMMUNE, 1, 7, purposes=new, url=clusters["primary"])
        # Resumed while the request waits: the standby serves it, with the change.
        resume = threading.Timer(0.5, standby, (clusters, "SELECT pg_wal_replay_resume()"))
        resume.start()
        reads, fallbacks = replicas.reads, replicas.fallbacks
        r = client.get(url)
        resume.join()
        assert land_use_of(r.content, 7) == new
        assert (replicas.reads, replicas.fallbacks) == (reads + 1, fallbacks)
    finally:
        replicas.wait_s = 0.3
        standby(clusters, "SELECT pg_wal_replay_resume()")


def land_key(clusters: dict[str, Any], subject: str) -> str:
    """An API key of a new land official, replayed on the standby."""
    with psycopg.connect(clusters["primary"]) as conn:
        key = add_user(conn, subject, "land")
        conn.commit()
    wait_caught_up(clusters)
    return key


def audit_mark(clusters: dict[str, Any]) -> int:
    """The newest audit row's id on the primary (0: none yet)."""
    with psycopg.connect(clusters["primary"]) as conn:
        (last,) = conn.execute(
            "SELECT coalesce(max(id), 0) FROM audit.personal_data_views").fetchone()
    return int(last)


def audited_since(clusters: dict[str, Any], mark: int) -> list[tuple[str, str]]:
    """(action, subject) of the primary's audit rows after ``mark``, in order."""
    with psycopg.connect(clusters["primary"]) as conn:
        return conn.execute(
            "SELECT action, subject FROM audit.personal_data_views WHERE id > %s ORDER BY id",
            (mark,)).fetchall()


def test_land_tiles_read_on_the_standby_are_audited_on_the_primary(client, clusters):
    key = land_key(clusters, "replica-land")
    replicas = client.app.state.maps.replicas
    reads = replicas.reads
    mark = audit_mark(clusters)
    url = parcel_tile(clusters, 9)
    r = client.get(url, headers={"X-API-Key": key})
    assert r.status_code == 200 and replicas.reads == reads + 1
    assert audited_since(clusters, mark) == [("tile", "replica-land")]


def test_station_reads_go_to_the_standby(client, clusters):
    wait_caught_up(clusters)
    replicas = client.app.state.maps.replicas
    reads = replicas.reads
    r = client.get("/stations")
    assert r.status_code == 200 and r.json()["type"] == "FeatureCollection"
    assert replicas.reads == reads + 1


def parcel_features(
    client: TestClient, number: int, key: str | None = None
) -> list[dict[str, Any]]:
    """The items page of parcel ``number`` of sheet 1 (as a land official with ``key``)."""
    headers = {"X-API-Key": key} if key else {}
    r = client.get(f"/collections/parcels/items?sheet_number=1&parcel_number={number}"
                   f"&commune_code={SAMPLE_COMMUNE}", headers=headers)  # fmt: skip
    assert r.status_code == 200, r.text
    return list(r.json()["features"])


def parcel_items(client: TestClient, number: int, key: str | None = None) -> list[dict[str, Any]]:
    """The properties of :func:`parcel_features`."""
    return [f["properties"] for f in parcel_features(client, number, key)]


def test_items_are_read_on_the_standby_and_never_older(client, clusters):
    wait_caught_up(clusters)
    replicas = client.app.state.maps.replicas
    reads = replicas.reads
    before = parcel_items(client, 11)[0]["land_use"]
    assert replicas.reads == reads + 1
    new = "LUC" if before != "LUC" else "CLN"
    standby(clusters, "SELECT pg_wal_replay_pause()")
    try:
        edit_parcel(SAMPLE_COMMUNE, 1, 11, purposes=new, url=clusters["primary"])
        fallbacks = replicas.fallbacks
        # The standby is paused: after the bounded wait, the primary answers, with the change.
        assert [p["land_use"] for p in parcel_items(client, 11)] == [new]
        assert replicas.fallbacks == fallbacks + 1
    finally:
        standby(clusters, "SELECT pg_wal_replay_resume()")


def test_land_items_read_on_the_standby_are_audited_on_the_primary(client, clusters):
    key = land_key(clusters, "replica-items")
    replicas = client.app.state.maps.replicas
    reads = replicas.reads
    mark = audit_mark(clusters)
    props = parcel_items(client, 13, key)
    assert len(props) == 1 and props[0].get("land_users")
    fid = parcel_features(client, 13)[0]["id"]
    r = client.get(f"/collections/parcels/items/{fid}", headers={"X-API-Key": key})
    assert r.status_code == 200 and r.json()["properties"].get("land_users")
    assert replicas.reads == reads + 3
    assert audited_since(clusters, mark) == [("features", "replica-items"),
                                             ("feature", "replica-items")]  # fmt: skip
