"""HTTP Basic credentials (RFC 7617): the user name and an API key as password, as QGIS sends."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Awaitable, Callable

from gis.access.roles import Role
from gis.errors import NotAuthenticated
from maps.deps import Principal

#: The Basic challenge a 401 adds for GIS clients (RFC 7617 §2.1: UTF-8 user names).
BASIC_CHALLENGE = 'Basic realm="ioc-gis", charset="UTF-8"'


def parse_basic(value: str) -> tuple[str, str]:
    """(user name, password) of a Basic credentials token; NotAuthenticated if malformed."""
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise NotAuthenticated("malformed Basic credentials") from None
    user, sep, password = decoded.partition(":")
    if not sep or not user or not password:
        raise NotAuthenticated("Basic credentials: the user name, then the API key as password")
    return user, password


async def basic_principal(
    value: str, check_key: Callable[[str], Awaitable[tuple[str, Role] | None]]
) -> Principal:
    """The caller of Basic credentials ``value``: the key must be valid *and* the named user's
    (a valid key under another name is refused, not mapped); NotAuthenticated otherwise."""
    user, key = parse_basic(value)
    found = await check_key(key)
    if found is None or not hmac.compare_digest(found[0].encode(), user.encode()):
        raise NotAuthenticated("invalid user name or API key (unknown, revoked or expired)")
    return Principal(found[0], found[1], "basic")
