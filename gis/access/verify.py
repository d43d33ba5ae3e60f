"""Key checks by hash, for sessions that hold a key's SHA-256 instead of the key itself.

A page session cookie must not carry the API key it was opened with, so it carries the key's
hash; every request re-checks that hash with ``auth.verify_api_key`` (the same function
:func:`gis.access.keys.averify_key` calls), so revoking the key or its user ends the session.
"""

from __future__ import annotations

import psycopg

from gis.access.roles import Role, parse_role

#: Length of a SHA-256 digest (``auth.api_keys.key_hash``).
HASH_BYTES = 32


async def averify_hash(conn: psycopg.AsyncConnection, key_hash: bytes) -> tuple[str, Role] | None:
    """(user name, role) of the valid key whose SHA-256 is ``key_hash``, else None.

    Run it as ``iocgis_web`` with no role set (or as the owner); a wrong-sized hash costs no query.
    """
    if len(key_hash) != HASH_BYTES:
        return None
    cur = await conn.execute("SELECT name, role FROM auth.verify_api_key(%s)", [key_hash])
    row = await cur.fetchone()
    return (row[0], parse_role(row[1])) if row else None
