"""Users and their API keys: create, rotate, revoke, list and verify.

A key reads ``iocgis_<key_id>_<secret>``: ``key_id`` (8 characters) is a public prefix shown in
listings, ``secret`` is ``secrets.token_urlsafe(32)`` (256 random bits). Only the SHA-256 of the
whole key is stored; the key itself is shown once, when it is made. A fast hash is right here:
the keys are long random strings, not passwords a person chose, so there is nothing to guess and
nothing a slow hash (bcrypt, argon2) would protect better — and every request checks one.

The functions take a sync psycopg connection owned by the caller; each one runs in
``conn.transaction()`` (its own transaction, or a savepoint of the caller's). Writes run as the
database owner (the CLI); :func:`list_users` also works as ``iocgis_admin``; key checks go
through ``auth.verify_api_key``, which only the web login role (and the owner) may execute.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import string
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg

from gis.access.roles import Role, parse_role
from gis.db import Read, run
from gis.errors import InvalidInput, NotFound

KEY_PREFIX = "iocgis_"
KEY_ID_LENGTH = 8
SECRET_BYTES = 32
_KEY_ID_ALPHABET = string.ascii_lowercase + string.digits
#: The whole key: prefix, key id, secret (token_urlsafe(32) is 43 URL-safe characters).
KEY_RE = re.compile(r"iocgis_([a-z0-9]{8})_([A-Za-z0-9_-]{43})")
#: User names (same rule as the CHECK of auth.users).
NAME_RE = re.compile(r"[A-Za-z0-9._@-]{1,64}")


@dataclass(frozen=True)
class KeyInfo:
    """One API key of a user, without its hash."""

    key_id: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    def active(self, now: datetime) -> bool:
        """Whether the key would verify at ``now`` (user revocation aside)."""
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


@dataclass(frozen=True)
class UserInfo:
    """A user, its role and its keys (no hashes, no secrets)."""

    name: str
    role: Role
    full_name: str | None
    created_at: datetime
    revoked_at: datetime | None
    keys: list[KeyInfo] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The user as plain JSON-ready data."""
        return {
            "name": self.name, "role": self.role, "full_name": self.full_name,
            "created_at": self.created_at, "revoked_at": self.revoked_at,
            "keys": [vars(k).copy() for k in self.keys],
        }  # fmt: skip


def hash_key(key: str) -> bytes:
    """The SHA-256 of the whole key, as stored in ``auth.api_keys.key_hash``."""
    return hashlib.sha256(key.encode("utf-8")).digest()


def key_id_of(key: str) -> str | None:
    """The public key id of a well-formed key, else None."""
    match = KEY_RE.fullmatch(key)
    return match.group(1) if match else None


def _make_key() -> tuple[str, str]:
    """A new (key_id, key)."""
    key_id = "".join(secrets.choice(_KEY_ID_ALPHABET) for _ in range(KEY_ID_LENGTH))
    return key_id, f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(SECRET_BYTES)}"


def check_name(name: str) -> str:
    """``name`` if it is a valid user name; InvalidInput otherwise."""
    if not NAME_RE.fullmatch(name):
        raise InvalidInput(
            f"invalid user name {name!r}: 1 to 64 characters among letters, digits and . _ @ -"
        )
    return name


def _insert_key(conn: psycopg.Connection, user_id: int, expires_at: datetime | None) -> str:
    """Store a new key of ``user_id`` (its hash only) and return the key in clear."""
    while True:
        key_id, key = _make_key()
        taken = conn.execute("SELECT 1 FROM auth.api_keys WHERE key_id = %s", [key_id]).fetchone()
        if not taken:  # 36^8 ids: a clash is rare, but the UNIQUE constraint would abort
            break
    conn.execute(
        "INSERT INTO auth.api_keys (user_id, key_id, key_hash, expires_at) VALUES (%s, %s, %s, %s)",
        [user_id, key_id, hash_key(key), expires_at],
    )
    return key


def _check_expiry(conn: psycopg.Connection, expires_at: datetime | None) -> None:
    if expires_at is None:
        return
    if expires_at.tzinfo is None:
        raise InvalidInput("the expiry time must carry a time zone")
    row = conn.execute("SELECT %s::timestamptz <= now()", [expires_at]).fetchone()
    if row and row[0]:
        raise InvalidInput("the expiry time is in the past")


def add_user(
    conn: psycopg.Connection, name: str, role: str, full_name: str | None = None,
    *, expires_at: datetime | None = None,
) -> str:  # fmt: skip
    """Create user ``name`` with ``role`` and a first API key; return the key (shown once)."""
    check_name(name)
    parse_role(role)
    with conn.transaction():
        _check_expiry(conn, expires_at)
        if conn.execute("SELECT 1 FROM auth.users WHERE name = %s", [name]).fetchone():
            raise InvalidInput(f"user {name!r} already exists (revoked users keep their name)")
        row = conn.execute(
            "INSERT INTO auth.users (name, role, full_name) VALUES (%s, %s, %s) RETURNING id",
            [name, role, full_name],
        ).fetchone()
        assert row is not None
        return _insert_key(conn, row[0], expires_at)


def _user_id(conn: psycopg.Connection, name: str) -> tuple[int, datetime | None]:
    row = conn.execute("SELECT id, revoked_at FROM auth.users WHERE name = %s", [name]).fetchone()
    if row is None:
        raise NotFound(f"no user {name!r}")
    return row[0], row[1]


def new_key(conn: psycopg.Connection, name: str, expires_at: datetime | None = None) -> str:
    """Give user ``name`` one more API key (rotation: revoke the old one after); return it."""
    check_name(name)
    with conn.transaction():
        _check_expiry(conn, expires_at)
        user_id, revoked_at = _user_id(conn, name)
        if revoked_at is not None:
            raise InvalidInput(f"user {name!r} is revoked")
        return _insert_key(conn, user_id, expires_at)


def revoke_user(conn: psycopg.Connection, name: str) -> int:
    """Revoke user ``name`` and all its keys; return how many keys were still unrevoked."""
    check_name(name)
    with conn.transaction():
        user_id, _ = _user_id(conn, name)
        conn.execute(
            "UPDATE auth.users SET revoked_at = now() WHERE id = %s AND revoked_at IS NULL",
            [user_id],
        )
        cur = conn.execute(
            "UPDATE auth.api_keys SET revoked_at = now() WHERE user_id = %s AND revoked_at IS NULL",
            [user_id],
        )
        return cur.rowcount


def revoke_key(conn: psycopg.Connection, key_id: str) -> None:
    """Revoke one key by its public id (``iocgis_<key_id>_…``); NotFound if there is none."""
    with conn.transaction():
        cur = conn.execute(
            "UPDATE auth.api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE key_id = %s",
            [key_id],
        )
        if cur.rowcount == 0:
            raise NotFound(f"no API key {key_id!r}")


# Only columns iocgis_admin is granted: the listing also serves GET /users.
_USERS_SQL = """
SELECT u.name, u.role, u.full_name, u.created_at, u.revoked_at,
       k.key_id, k.created_at, k.expires_at, k.last_used_at, k.revoked_at
FROM auth.users u LEFT JOIN auth.api_keys k ON k.user_id = u.id
ORDER BY u.name, u.id, k.created_at, k.id
"""


def _users(rows: list[tuple[Any, ...]]) -> list[UserInfo]:
    """One :class:`UserInfo` per user (rows come by user name), with its keys in order."""
    users: list[UserInfo] = []
    for name, role, full_name, created_at, revoked_at, *key in rows:
        if not users or users[-1].name != name:
            users.append(UserInfo(name, parse_role(role), full_name, created_at, revoked_at))
        if key[0] is not None:  # a user without keys has one row with NULL key columns
            users[-1].keys.append(KeyInfo(*key))
    return users


def users_read() -> Read[list[UserInfo]]:
    """Every user with its keys, by name (no hashes): run it as the owner or iocgis_admin."""
    return Read(_USERS_SQL, None, _users)


def list_users(conn: psycopg.Connection) -> list[UserInfo]:
    """:func:`users_read` on a sync connection (the CLI)."""
    return run(conn, users_read())


_VERIFY_SQL = "SELECT name, role FROM auth.verify_api_key(%s)"


def verify_key(conn: psycopg.Connection, key: str) -> tuple[str, Role] | None:
    """(user name, role) of a valid key, else None; a malformed key costs no query.

    Run it as ``iocgis_web`` with no role set (or as the owner). The function records
    ``last_used_at``; commit (or use autocommit) to keep that.
    """
    if not KEY_RE.fullmatch(key):
        return None
    row = conn.execute(_VERIFY_SQL, [hash_key(key)]).fetchone()
    return (row[0], parse_role(row[1])) if row else None


async def averify_key(conn: psycopg.AsyncConnection, key: str) -> tuple[str, Role] | None:
    """:func:`verify_key` on an async connection."""
    if not KEY_RE.fullmatch(key):
        return None
    return await averify_hash(conn, hash_key(key))


async def averify_hash(conn: psycopg.AsyncConnection, key_hash: bytes) -> tuple[str, Role] | None:
    """(user name, role) of the valid key whose SHA-256 is ``key_hash``, else None.

    For page sessions, which hold a key's hash, never the key: every request re-checks it, so
    revoking the key or its user ends the session. A wrong-sized hash costs no query.
    """
    if len(key_hash) != hashlib.sha256().digest_size:
        return None
    cur = await conn.execute(_VERIFY_SQL, [key_hash])
    row = await cur.fetchone()
    return (row[0], parse_role(row[1])) if row else None
