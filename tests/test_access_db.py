"""The grants of migration 0008_access, proved in the database by logging in as ``iocgis_web``.

Each check runs real statements as the web login role, with and without ``SET ROLE``, on a
database holding real land users (the sample parcels), so a grant that is too wide or too
narrow fails here whatever the routes do.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
import shapely
from psycopg import sql

from gis import migrate
from gis.access import keys
from gis.access.roles import ROLES, arun_as
from gis.db import drop_database
from gis.parcels.importer import import_parcels
from gis.parcels.model import ImportSummary
from gis.settings import to_libpq_url
from tests.conftest import BASE_URL
from tests.fixtures.land import SAMPLE_COMMUNE, SAMPLE_SRID, grid_parcels
from tests.fixtures.web import web_url

OUR_SCHEMAS = ("admin", "sensor", "layers", "land", "auth", "audit")
PERSONAL = ("land.land_users", "land.parcel_land_users", "land.import_rejects")
PUBLIC_PARCEL_COLUMNS = "fid, commune_code, sheet_number, parcel_number, land_use, geom"
NOT_LAND = ("public", "environment", "admin")


@contextmanager
def web(database_url: str, role: str | None = None) -> Iterator[psycopg.Connection]:
    """An autocommit session of ``iocgis_web``, as ``iocgis_<role>`` when a role is given."""
    with psycopg.connect(to_libpq_url(database_url), user="iocgis_web", autocommit=True) as c:
        if role is not None:
            c.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(f"iocgis_{role}")))
        yield c


def denied(conn: psycopg.Connection, statement: str, params: list[object] | None = None) -> str:
    """Assert ``statement`` is refused for lack of privilege; return the message."""
    with pytest.raises(psycopg.errors.InsufficientPrivilege) as info:
        conn.execute(statement, params)
    return str(info.value)


def count(conn: psycopg.Connection, statement: str) -> int:
    """The first column of the first row (a count)."""
    row = conn.execute(statement).fetchone()
    assert row is not None
    return int(row[0])


@pytest.fixture(scope="module")
def rejects(
    database_url: str, parcels_loaded: ImportSummary, sample_boundary: shapely.Geometry,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:  # fmt: skip
    """A real rejected parcel row and a quarantined sensor payload, so both tables hold rows."""
    frame = grid_parcels(sample_boundary, 2, commune=SAMPLE_COMMUNE, srid=SAMPLE_SRID,
                         start=430, first_sheet=430)  # fmt: skip
    frame.loc[1, "land_use"] = "XYZ"  # an unknown land-use code: rejected with its raw row
    path = tmp_path_factory.mktemp("access") / "bad.gpkg"
    frame.to_file(path, driver="GPKG")
    assert import_parcels(path, f"EPSG:{SAMPLE_SRID}", url=database_url).rejected_total == 1
    with psycopg.connect(to_libpq_url(database_url)) as c:
        c.execute(
            "INSERT INTO sensor.rejects (topic, payload, reason) VALUES (%s, %s, %s)",
            [f"stations/access-{uuid.uuid4().hex[:6]}/telemetry", b"{", "test: not JSON"],
        )


def _relations(database_url: str) -> list[str]:
    with psycopg.connect(to_libpq_url(database_url)) as c:
        rows = c.execute(
            "SELECT format('%%I.%%I', n.nspname, c.relname) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = ANY(%s) AND c.relkind IN ('r', 'p', 'v', 'm', 'f') ORDER BY 1",
            [list(OUR_SCHEMAS)],
        ).fetchall()
    return [r[0] for r in rows]


def test_web_login_alone_reads_nothing(database_url: str, parcels_loaded: ImportSummary) -> None:
    relations = _relations(database_url)
    assert "land.land_users" in relations and "auth.api_keys" in relations
    with web(database_url) as c:
        for rel in relations:
            if rel in ("layers.changes", "layers.tile_cache"):
                # the tile caches' change log and the shared tile table: the login role's own
                # (the table never holds a tile with land users: maps/tileservice.py)
                c.execute(f"SELECT * FROM {rel} LIMIT 1")
            else:
                denied(c, f"SELECT 1 FROM {rel} LIMIT 1")
        for target in ("postgres", "pg_read_all_data", "pg_write_all_data"):
            denied(c, f"SET ROLE {target}")
        denied(c, "SET SESSION AUTHORIZATION postgres")


def test_personal_data_only_for_land(database_url: str, parcels_loaded: ImportSummary,
                                     rejects: None) -> None:  # fmt: skip
    for role in NOT_LAND:
        with web(database_url, role) as c:
            for table in PERSONAL:
                assert "permission denied" in denied(c, f"SELECT * FROM {table} LIMIT 1")
            assert "view parcels" in denied(c, "SELECT land_users FROM layers.parcels LIMIT 1")
            assert "view parcels" in denied(
                c, "SELECT land_users_text FROM layers.parcels LIMIT 1")
            assert "view parcels" in denied(c, "SELECT * FROM layers.parcels LIMIT 1")
            denied(c, "SELECT p FROM layers.parcels p LIMIT 1")  # whole-row reference
            assert count(c, f"SELECT count({PUBLIC_PARCEL_COLUMNS.split(',')[0]})"
                            " FROM layers.parcels") >= 120  # fmt: skip
            c.execute(f"SELECT {PUBLIC_PARCEL_COLUMNS}, address FROM layers.parcels LIMIT 5")
            # The land-use right certificate's number identifies its holder: land only.
            assert "table parcels" in denied(c, "SELECT certificate_number FROM land.parcels")
            assert count(c, "SELECT count(id) FROM land.parcels") >= 120
    with web(database_url, "land") as c:
        assert count(c, "SELECT count(certificate_number) FROM land.parcels") >= 120
        assert count(c, "SELECT count(*) FROM land.land_users") >= 160  # 120 parcels, 1/3 couples
        assert count(c, "SELECT count(*) FROM land.parcel_land_users") >= 160
        assert count(c, "SELECT count(*) FROM land.import_rejects") >= 1
        assert count(c, "SELECT count(land_users) FROM layers.parcels") >= 120
        row = c.execute("SELECT land_users, land_users_text FROM layers.parcels"
                        " WHERE land_users LIKE %s LIMIT 1", ["%Vợ%"]).fetchone()  # fmt: skip
        assert row is not None and "id_number" in row[0] and "Vợ" in row[1]


def test_auth_is_out_of_reach_of_web_roles(database_url: str) -> None:
    with psycopg.connect(to_libpq_url(database_url), autocommit=True) as owner:
        key = keys.add_user(owner, f"db-{uuid.uuid4().hex[:8]}", "land")
    for role in ("public", "environment", "land"):
        with web(database_url, role) as c:
            denied(c, "SELECT name FROM auth.users")
            denied(c, "SELECT key_id FROM auth.api_keys")
    for role in ROLES:
        with web(database_url, role) as c:
            denied(c, "SELECT * FROM auth.verify_api_key(%s)", [keys.hash_key(key)])
            assert keys.verify_key(c, "not-a-key") is None  # malformed: no query, no error
    with web(database_url, "admin") as c:
        assert count(c, "SELECT count(*) FROM auth.users") >= 1
        c.execute("SELECT id, user_id, key_id, created_at, expires_at, last_used_at, revoked_at"
                  " FROM auth.api_keys")  # fmt: skip
        denied(c, "SELECT key_hash FROM auth.api_keys")
        denied(c, "UPDATE auth.users SET revoked_at = NULL")
        denied(c, "INSERT INTO auth.users (name, role) VALUES ('x', 'land')")
    with web(database_url) as c:  # the login role, no role set: the one way to check a key
        assert keys.verify_key(c, key) is not None
        c.execute("SET ROLE iocgis_admin")
        c.execute("RESET ROLE")
        assert keys.verify_key(c, key) is not None


def test_sensor_rejects_for_environment_and_admin(database_url: str, rejects: None) -> None:
    for role in ("environment", "admin"):
        with web(database_url, role) as c:
            assert count(c, "SELECT count(*) FROM sensor.rejects") >= 1
    for role in ("public", "land"):
        with web(database_url, role) as c:
            denied(c, "SELECT count(*) FROM sensor.rejects")


def test_every_role_reads_the_shared_layers(database_url: str, parcels_loaded: object) -> None:
    for role in ROLES:
        with web(database_url, role) as c:
            assert count(c, "SELECT count(*) FROM layers.communes") > 3000
            assert count(c, "SELECT count(id) FROM land.parcels") >= 120
            for rel in ("layers.stations", "layers.alerts", "layers.planning", "sensor.hourly",
                        "sensor.observations", "land.land_use_codes", "admin.former_communes"):
                c.execute(f"SELECT * FROM {rel} LIMIT 1")  # fmt: skip


def test_web_roles_write_nothing_but_land_audit(database_url: str) -> None:
    relations = _relations(database_url)
    with psycopg.connect(to_libpq_url(database_url)) as c:
        rows = c.execute(
            "SELECT r, rel FROM unnest(%s::text[]) r, unnest(%s::text[]) rel"
            " WHERE has_table_privilege('iocgis_' || r, rel, 'INSERT, UPDATE, DELETE, TRUNCATE')",
            [list(ROLES), relations],
        ).fetchall()
        # Land officials register splits and merges (migration 0012_parcel_lineage): new
        # parcel versions with their purposes and users, the operation and its lineage.
        assert sorted(rows) == sorted([("land", "audit.personal_data_views")] + [
            ("land", rel) for rel in (
                "land.parcels", "land.parcel_purposes", "land.parcel_land_users",
                "land.land_users", "land.parcel_operations", "land.parcel_lineage")
            if rel in relations])
        public = c.execute(
            "SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid ="
            " c.relnamespace, aclexplode(c.relacl) a WHERE n.nspname = ANY(%s) AND a.grantee = 0",
            [list(OUR_SCHEMAS)],
        ).fetchall()
        assert public == []  # nothing granted to PUBLIC (every login) in our schemas
    for role in ROLES:
        with web(database_url, role) as c:
            denied(c, "DELETE FROM land.parcels WHERE false")
            denied(c, "UPDATE layers.changes SET at = at WHERE false")
            denied(c, "SELECT layers.record_change('x', NULL)")
            denied(c, "SELECT sensor.ensure_observation_partitions(now() + interval '20 years',"
                      " now() + interval '20 years 2 months')")  # fmt: skip


def test_audit_log_append_only(database_url: str) -> None:
    subject = f"audit-{uuid.uuid4().hex[:8]}"
    insert = ("INSERT INTO audit.personal_data_views (subject, role, method, action, parcel_ids)"
              " VALUES (%s, 'land', 'api_key', 'parcel', '{1}')")  # fmt: skip
    with web(database_url, "land") as c:
        c.execute(insert, [subject])
        denied(c, "SELECT * FROM audit.personal_data_views")
        denied(c, "UPDATE audit.personal_data_views SET subject = 'x' WHERE false")
        denied(c, "DELETE FROM audit.personal_data_views WHERE false")
        denied(c, "TRUNCATE audit.personal_data_views")
    for role in ("public", "environment", "admin"):
        with web(database_url, role) as c:
            denied(c, insert, [subject])
    with web(database_url, "admin") as c:
        assert count(c, f"SELECT count(*) FROM audit.personal_data_views WHERE subject = '{subject}'") == 1  # noqa: E501
        denied(c, "DELETE FROM audit.personal_data_views")
    with psycopg.connect(to_libpq_url(database_url), autocommit=True) as owner:
        for statement in ("UPDATE audit.personal_data_views SET subject = 'x'",
                          "DELETE FROM audit.personal_data_views",
                          "TRUNCATE audit.personal_data_views"):  # fmt: skip
            assert "append-only" in denied(owner, statement)
        assert count(owner, "SELECT count(*) FROM audit.personal_data_views") >= 1


MATRIX = """
SELECT r, rel, has_table_privilege('iocgis_' || r, rel, 'SELECT')
FROM unnest(%s::text[]) r, unnest(%s::text[]) rel ORDER BY 1, 2
"""
PROBES = [*PERSONAL, "layers.parcels", "sensor.rejects", "audit.personal_data_views",
          "land.parcels", "layers.communes"]  # fmt: skip


def test_downgrade_to_0007_and_back(database_url: str) -> None:
    url = f"{BASE_URL}/iocgis_acc_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        migrate.upgrade(url)
        with psycopg.connect(url, autocommit=True) as c:
            before = c.execute(MATRIX, [list(ROLES), PROBES]).fetchall()
            keys.add_user(c, "someone", "land")  # the downgrade drops auth with its rows
        migrate.downgrade(url, "0007_layers")
        with psycopg.connect(url) as c:
            schemas = {r[0] for r in c.execute("SELECT nspname FROM pg_namespace").fetchall()}
            assert not {"auth", "audit"} & schemas
            cols = c.execute(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_schema = 'layers' AND table_name = 'parcels'"
            ).fetchall()
            assert ("land_users",) not in cols and ("fid",) in cols
            everyone = [*(f"iocgis_{r}" for r in ROLES), "iocgis_reader", "iocgis_web"]
            tables = [*PERSONAL[:2], "land.parcels", "layers.communes", "sensor.rejects",
                      "layers.changes"]  # fmt: skip
            left = c.execute(
                "SELECT r, rel FROM unnest(%s::text[]) r, unnest(%s::text[]) rel"
                " WHERE has_table_privilege(r, rel, 'SELECT')",
                [everyone, tables],
            ).fetchall()
            assert left == []
        migrate.upgrade(url)
        with psycopg.connect(url) as c:
            assert c.execute(MATRIX, [list(ROLES), PROBES]).fetchall() == before
        assert set(migrate.current_revisions(url)) == set(migrate.head_revisions())
    finally:
        drop_database(url)


def _spy(conn: psycopg.AsyncConnection, sent: list[str], execute: Any = None,
         cancel: bool = False) -> Any:
    """Make ``conn.execute`` record each statement in ``sent`` (and, with ``cancel``, fail as a
    cancelled request would once the server has run it); return the real ``execute``."""
    execute = execute or conn.execute

    async def spy(query, *args, **kwargs):  # type: ignore[no-untyped-def]
        sent.append(str(query))
        result = await execute(query, *args, **kwargs)
        if cancel:  # the server switched; the caller is gone
            raise asyncio.CancelledError
        return result

    conn.execute = spy  # type: ignore[method-assign]
    return execute


async def _current_user(execute: Any) -> str:
    cur = await execute("SELECT current_user")
    row = await cur.fetchone()
    return str(row[0]) if row else ""


def test_a_pooled_connection_runs_as_each_borrower(database_url: str) -> None:
    """arun_as: each borrow runs as its caller's role (the login role for None), and a role
    already in force costs no statement."""

    async def run() -> list[tuple[str | None, str, int]]:
        sent: list[str] = []
        async with await psycopg.AsyncConnection.connect(
            web_url(database_url), autocommit=True
        ) as conn:
            execute = _spy(conn, sent)
            seen = []
            for role in ("land", "land", None, "public", "public", "admin", None, None):
                before = len(sent)
                await arun_as(conn, role)  # type: ignore[arg-type]
                seen.append((role, await _current_user(execute), len(sent) - before))
            return seen

    assert asyncio.run(run()) == [
        ("land", "iocgis_land", 1), ("land", "iocgis_land", 0), (None, "iocgis_web", 1),
        ("public", "iocgis_public", 1), ("public", "iocgis_public", 0),
        ("admin", "iocgis_admin", 1), (None, "iocgis_web", 1), (None, "iocgis_web", 0),
    ]


def test_an_interrupted_role_switch_is_sent_again(database_url: str) -> None:
    """A request cancelled during SET ROLE leaves the record unknown: the next borrow resends."""

    async def run() -> tuple[str, int]:
        sent: list[str] = []
        async with await psycopg.AsyncConnection.connect(
            web_url(database_url), autocommit=True
        ) as conn:
            execute = _spy(conn, [], cancel=True)
            with pytest.raises(asyncio.CancelledError):
                await arun_as(conn, "land")
            _spy(conn, sent, execute)
            await arun_as(conn, None)
            return await _current_user(execute), len(sent)

    assert asyncio.run(run()) == ("iocgis_web", 1)
