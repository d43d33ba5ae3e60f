"""The four roles of ioc-gis and the PostgreSQL roles that enforce them in the database.

Each web request runs under the database role of its caller (``SET ROLE iocgis_<role>``), so what
a role may read is decided by the grants of migration 0008_access, not only by the routes.
"""

from __future__ import annotations

import weakref
from typing import Literal
from urllib.parse import quote

import psycopg
from psycopg import sql

from gis.errors import InvalidInput

Role = Literal["public", "environment", "land", "admin"]

#: Anonymous requests and the IOC wall.
PUBLIC: Role = "public"
#: Environment staff (Sở Nông nghiệp và Môi trường, environment side).
ENVIRONMENT: Role = "environment"
#: Land officials (cán bộ địa chính): the only role that sees land users' personal data.
LAND: Role = "land"
#: Administrators: users, audit log, metrics; no personal data (purpose limitation).
ADMIN: Role = "admin"

ROLES: tuple[Role, ...] = (PUBLIC, ENVIRONMENT, LAND, ADMIN)
#: Roles allowed to see land users' personal data.
PERSONAL_DATA_ROLES: frozenset[Role] = frozenset({LAND})
#: The login role of the web app: a member of every role below, with no rights of its own.
WEB_LOGIN_ROLE = "iocgis_web"


def parse_role(text: str) -> Role:
    """``text`` as a role; InvalidInput if it is not one of :data:`ROLES`."""
    if text not in ROLES:
        raise InvalidInput(f"unknown role {text!r}; expected one of {', '.join(ROLES)}")
    return text


def db_role(role: Role) -> str:
    """The PostgreSQL role enforcing ``role`` (``iocgis_public`` …)."""
    return "iocgis_" + parse_role(role)


def sees_personal_data(role: Role) -> bool:
    """Whether ``role`` may see land users' personal data."""
    return role in PERSONAL_DATA_ROLES


def _set_role_sql(role: Role) -> sql.Composed:
    return sql.SQL("SET ROLE {}").format(sql.Identifier(db_role(role)))


def set_role(conn: psycopg.Connection, role: Role) -> None:
    """Run the rest of ``conn``'s session (or transaction) as ``role``'s database role."""
    conn.execute(_set_role_sql(role))


#: The database role each pooled async connection runs as now (absent: its login role). A borrow
#: then sends SET ROLE only when its caller's role differs, and nothing on return: one round trip
#: a request instead of two (a RESET ROLE on every return held the connection, and the event
#: loop, for another).
_RUNNING_AS: weakref.WeakKeyDictionary[psycopg.AsyncConnection, str] = weakref.WeakKeyDictionary()
#: Recorded while a switch is in flight: matches no role, so an interrupted switch (a cancelled
#: request) makes the next borrow send its statement whatever the server did.
_UNKNOWN = "?"


async def arun_as(conn: psycopg.AsyncConnection, role: Role | None) -> None:
    """Run ``conn`` as ``role``'s database role, or as its login role for None.

    Call it when the connection is borrowed, outside any transaction (a rolled-back transaction
    would undo the switch behind the record).
    """
    wanted = "" if role is None else db_role(role)
    if _RUNNING_AS.get(conn, "") == wanted:
        return
    _RUNNING_AS[conn] = _UNKNOWN
    await conn.execute(_set_role_sql(role) if role is not None else sql.SQL("RESET ROLE"))
    _RUNNING_AS[conn] = wanted


def set_web_password(conn: psycopg.Connection, password: str) -> None:
    """Give the web app's login role (``iocgis_web``) a password (at least 16 characters)."""
    if len(password) < 16:
        raise InvalidInput("the web login password needs at least 16 characters")
    # ALTER ROLE takes no bound parameters: the password goes in as a quoted literal.
    conn.execute(
        sql.SQL("ALTER ROLE {} PASSWORD {}").format(
            sql.Identifier(WEB_LOGIN_ROLE), sql.Literal(password)
        )
    )


def web_url(database_url: str, password: str | None = None) -> str:
    """``database_url`` logged in as the web app's role ``iocgis_web`` (same host and database)."""
    scheme, _, rest = database_url.partition("://")
    _, _, hostpart = rest.rpartition("@")
    credentials = WEB_LOGIN_ROLE + (":" + quote(password, safe="") if password else "")
    return f"{scheme}://{credentials}@{hostpart}"
