"""Domain errors of ioc-gis. They carry no HTTP: the web edge maps them to status codes."""

from __future__ import annotations


class IocGisError(Exception):
    """Base of every domain error; its message is safe to show to a user."""


class NotFound(IocGisError):
    """Nothing is there: no parcel, commune or record matches the request."""


class InvalidInput(IocGisError):
    """The request or the input file is malformed or out of range."""


class UnknownCRS(InvalidInput):
    """The coordinate reference system is not known to PROJ/PostGIS or not usable here."""


class ImportFileError(InvalidInput):
    """An import file cannot be used at all (not a GIS file, empty, no CRS)."""


class DatabaseUnavailable(IocGisError):
    """The database cannot be reached."""


class NotAuthenticated(IocGisError):
    """Credentials were given but are not valid (unknown, revoked or expired key or token)."""


class Forbidden(IocGisError):
    """The caller is known but their role may not do this."""


class ConfigurationError(IocGisError):
    """The configuration is unsafe or inconsistent (e.g. a default secret in production)."""


class Refused(InvalidInput):
    """A land operation the rules do not allow (a split below the minimum area, a gap…)."""
