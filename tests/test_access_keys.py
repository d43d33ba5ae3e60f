"""Users and API keys (gis.access.keys) and the audit log (gis.access.audit), on the real DB."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from gis.access import audit, keys
from gis.db import arun
from gis.errors import InvalidInput, NotFound
from gis.settings import to_libpq_url


def _name(prefix: str = "u") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture()
def owner(database_url: str) -> Iterator[psycopg.Connection]:
    """An autocommit connection as the database owner (what the CLI uses)."""
    with psycopg.connect(to_libpq_url(database_url), autocommit=True) as c:
        yield c


@pytest.fixture()
def web(database_url: str) -> Iterator[psycopg.Connection]:
    """An autocommit connection as the web login role, no role set."""
    with psycopg.connect(to_libpq_url(database_url), user="iocgis_web", autocommit=True) as c:
        yield c


def test_key_format_and_hash() -> None:
    key_id, key = keys._make_key()
    assert key.startswith(f"iocgis_{key_id}_") and len(key_id) == 8
    assert keys.KEY_RE.fullmatch(key) and keys.key_id_of(key) == key_id
    assert len(key) == len("iocgis_") + 8 + 1 + 43
    assert keys.hash_key(key) == keys.hash_key(key) and len(keys.hash_key(key)) == 32
    assert keys._make_key()[1] != key
    for bad in ("", "iocgis_", key[:-1], key + "x", key.replace("iocgis_", "iocgiz_"), key.upper()):
        assert keys.key_id_of(bad) is None


def test_add_verify_and_list(owner: psycopg.Connection, web: psycopg.Connection) -> None:
    name = _name("land")
    key = keys.add_user(owner, name, "land", full_name="Nguyễn Văn A")
    assert keys.verify_key(web, key) == (name, "land")
    assert asyncio.run(_averify(web.info.dsn, key)) == (name, "land")
    users = {u.name: u for u in keys.list_users(owner)}
    user = users[name]
    assert user.role == "land" and user.full_name == "Nguyễn Văn A" and user.revoked_at is None
    assert [k.key_id for k in user.keys] == [keys.key_id_of(key)]
    assert user.keys[0].last_used_at is not None  # verify_api_key recorded the use
    assert "hash" not in str(user.to_dict())


async def _averify(dsn: str, key: str) -> tuple[str, str] | None:
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as aconn:
        return await keys.averify_key(aconn, key)


def test_only_the_hash_is_stored(owner: psycopg.Connection) -> None:
    name = _name()
    key = keys.add_user(owner, name, "environment")
    secret = key[len("iocgis_") + 9 :]
    dump = "\n".join(
        str(row) for table in ("auth.api_keys", "auth.users")
        for row in owner.execute(f"SELECT t::text FROM {table} t").fetchall()
    )  # fmt: skip
    assert key not in dump and secret not in dump
    stored = owner.execute(
        "SELECT key_hash FROM auth.api_keys WHERE key_id = %s", [keys.key_id_of(key)]
    ).fetchone()
    assert stored is not None and bytes(stored[0]) == keys.hash_key(key)


def test_rotation_and_revocation(owner: psycopg.Connection, web: psycopg.Connection) -> None:
    name = _name("env")
    first = keys.add_user(owner, name, "environment")
    second = keys.new_key(owner, name)
    assert keys.verify_key(web, first) == keys.verify_key(web, second) == (name, "environment")
    first_id = keys.key_id_of(first)
    assert first_id is not None
    keys.revoke_key(owner, first_id)
    assert keys.verify_key(web, first) is None
    assert keys.verify_key(web, second) == (name, "environment")
    keys.revoke_key(owner, first_id)  # idempotent
    assert keys.revoke_user(owner, name) == 1  # the second key was still active
    assert keys.verify_key(web, second) is None
    assert keys.revoke_user(owner, name) == 0
    with pytest.raises(InvalidInput, match="revoked"):
        keys.new_key(owner, name)
    user = next(u for u in keys.list_users(owner) if u.name == name)
    assert user.revoked_at is not None and all(k.revoked_at for k in user.keys)


def test_expired_key(owner: psycopg.Connection, web: psycopg.Connection) -> None:
    name = _name()
    soon = datetime.now(UTC) + timedelta(seconds=1)
    key = keys.add_user(owner, name, "admin", expires_at=soon)
    assert keys.verify_key(web, key) == (name, "admin")
    owner.execute(
        "UPDATE auth.api_keys SET expires_at = now() - interval '1 second' WHERE key_id = %s",
        [keys.key_id_of(key)],
    )
    assert keys.verify_key(web, key) is None
    later = keys.new_key(owner, name, expires_at=datetime.now(UTC) + timedelta(days=90))
    assert keys.verify_key(web, later) == (name, "admin")
    with pytest.raises(InvalidInput, match="past"):
        keys.new_key(owner, name, expires_at=datetime.now(UTC) - timedelta(days=1))
    with pytest.raises(InvalidInput, match="time zone"):
        keys.new_key(owner, name, expires_at=datetime(2030, 1, 1))


def test_unknown_and_malformed_keys(web: psycopg.Connection, database_url: str) -> None:
    _, unknown = keys._make_key()
    assert keys.verify_key(web, unknown) is None
    malformed = ("", "Bearer x", "iocgis_short_key", "' OR 1=1 --", "x" * 10_000, unknown + "\n")
    for bad in malformed:
        assert keys.verify_key(web, bad) is None
    closed = psycopg.connect(to_libpq_url(database_url))
    closed.close()  # a malformed key is refused without touching the database
    for bad in malformed:
        assert keys.verify_key(closed, bad) is None
    with pytest.raises(psycopg.OperationalError):
        keys.verify_key(closed, unknown)


def test_bad_input_refused_clearly(owner: psycopg.Connection) -> None:
    name = _name()
    keys.add_user(owner, name, "public")
    with pytest.raises(InvalidInput, match="already exists"):
        keys.add_user(owner, name, "land")
    for bad in ("", "has space", "người", "a" * 65, "x;drop", "a/b", "alice\n", "\nalice"):
        with pytest.raises(InvalidInput, match="invalid user name"):
            keys.add_user(owner, bad, "land")
    with pytest.raises(InvalidInput, match="unknown role"):
        keys.add_user(owner, _name(), "root")
    with pytest.raises(NotFound):
        keys.new_key(owner, _name("nobody"))
    with pytest.raises(NotFound):
        keys.revoke_user(owner, _name("nobody"))
    with pytest.raises(NotFound):
        keys.revoke_key(owner, "zzzzzzzz")
    assert sum(u.name == name for u in keys.list_users(owner)) == 1


def test_add_user_inside_a_caller_transaction(database_url: str) -> None:
    """A refused duplicate rolls back only its savepoint, not the caller's transaction."""
    name = _name()
    with psycopg.connect(to_libpq_url(database_url)) as c:
        c.execute("SELECT 1")  # the caller's transaction is open: add_user makes a savepoint
        keys.add_user(c, name, "public")
        with pytest.raises(InvalidInput):
            keys.add_user(c, name, "public")
        c.rollback()
    with psycopg.connect(to_libpq_url(database_url)) as c:
        assert not any(u.name == name for u in keys.list_users(c))


def test_admin_role_lists_users(owner: psycopg.Connection, database_url: str) -> None:
    """GET /users runs list_users as iocgis_admin: it must need only admin's column grants."""
    name = _name()
    keys.add_user(owner, name, "land")
    with psycopg.connect(to_libpq_url(database_url), user="iocgis_web") as c:
        c.execute("SET ROLE iocgis_admin")
        assert any(u.name == name for u in keys.list_users(c))
        c.rollback()
        c.execute("SET ROLE iocgis_land")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            keys.list_users(c)


def test_audit_record_and_read(database_url: str) -> None:
    subject = _name("official")
    with psycopg.connect(to_libpq_url(database_url), user="iocgis_web", autocommit=True) as c:
        c.execute("SET ROLE iocgis_land")
        audit.record_view_sync(
            c, subject=subject, role="land", method="api_key", action="parcel",
            target="/parcels/1", parcel_ids=[1, 2], client="127.0.0.1",
        )  # fmt: skip
        asyncio.run(_arecord(c.info.dsn, subject))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            audit.recent_views(c)
        c.execute("SET ROLE iocgis_admin")
        rows = audit.recent_views(c, subject=subject)
        assert [r["action"] for r in rows] == ["tile", "parcel"]  # newest first
        assert rows[1]["parcel_ids"] == [1, 2] and rows[1]["client"] == "127.0.0.1"
        assert rows[0]["parcel_ids"] == [] and rows[0]["target"] is None
        assert len(audit.recent_views(c, limit=1, subject=subject)) == 1
        future = datetime.now(UTC) + timedelta(hours=1)
        assert audit.recent_views(c, subject=subject, since=future) == []
        assert asyncio.run(_arecent(c.info.dsn, subject)) == rows
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            audit.record_view_sync(
                c, subject=subject, role="admin", method="api_key", action="x", target=None,
                parcel_ids=[], client=None,
            )  # fmt: skip
    for bad in ({"limit": 0}, {"limit": audit.MAX_LIMIT + 1}, {"since": datetime(2026, 1, 1)}):
        with pytest.raises(InvalidInput):
            audit._params(**{"limit": 10, "subject": None, "since": None, **bad})  # type: ignore[arg-type]


async def _arecord(dsn: str, subject: str) -> None:
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as aconn:
        await aconn.execute("SET ROLE iocgis_land")
        await audit.record_view(
            aconn, subject=subject, role="land", method="cookie", action="tile",
            target=None, parcel_ids=(), client=None,
        )  # fmt: skip


async def _arecent(dsn: str, subject: str) -> list[dict[str, object]]:
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as aconn:
        await aconn.execute("SET ROLE iocgis_admin")
        return await arun(aconn, audit.recent_views_read(subject=subject))
