"""HTTP Basic credentials (RFC 7617): the user name and an API key as password, as QGIS sends."""

from __future__ import annotations

import base64
import binascii

from gis.errors import NotAuthenticated

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
