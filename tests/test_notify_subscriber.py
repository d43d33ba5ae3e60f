"""Who may subscribe: ``check_subscriber`` (run by ``iocgis notify subscribe``) admits an active
user of a subscriber role, names the unknown user and the other roles."""

from __future__ import annotations

import asyncio
import uuid

import psycopg
import pytest

from gis.access.keys import add_user, revoke_user
from gis.db import aconnect
from gis.errors import InvalidInput, NotFound
from gis.settings import to_libpq_url
from sensors.notify.subscriptions import SUBSCRIBER_ROLES, check_subscriber


def _check(url: str, user: str) -> None:
    async def go() -> None:
        async with await aconnect(url, autocommit=True) as conn:
            await check_subscriber(conn, user)

    asyncio.run(go())


@pytest.fixture(scope="module")
def users(database_url):
    """One user per role of interest, and a revoked environment user."""
    tag = uuid.uuid4().hex[:8]
    names = {r: f"sub.{r}.{tag}" for r in ("environment", "admin", "land", "public")}
    names["revoked"] = f"sub.gone.{tag}"
    with psycopg.connect(to_libpq_url(database_url), autocommit=True) as c:
        for role in ("environment", "admin", "land", "public"):
            add_user(c, names[role], role)
        add_user(c, names["revoked"], "environment")
        revoke_user(c, names["revoked"])
    return names


def test_the_subscriber_roles_are_environment_and_admin():
    assert SUBSCRIBER_ROLES == ("environment", "admin")


@pytest.mark.parametrize("role", ["environment", "admin"])
def test_staff_may_subscribe(database_url, users, role):
    _check(database_url, users[role])  # raises nothing


@pytest.mark.parametrize("role", ["land", "public"])
def test_other_roles_are_refused_by_name(database_url, users, role):
    with pytest.raises(InvalidInput, match=f"has the {role} role: environment or admin only"):
        _check(database_url, users[role])


def test_unknown_and_revoked_users_are_not_found(database_url, users):
    with pytest.raises(NotFound, match=r"no user 'sub\.nobody'"):
        _check(database_url, "sub.nobody")
    with pytest.raises(NotFound, match="no user"):
        _check(database_url, users["revoked"])
