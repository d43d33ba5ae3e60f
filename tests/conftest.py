"""Test fixtures: a real PostGIS database of the test run's own, created and dropped by it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from gis import migrate
from gis.db import close_pools, drop_database
from gis.settings import get_settings, to_libpq_url

# Each area's shared fixtures live in tests/fixtures/<area>.py; add a module here to share more.
pytest_plugins = [
    f"tests.fixtures.{name}"
    for name in ("admin", "land", "broker", "sensors", "indices", "web", "ftp")
    if (__import__("pathlib").Path(__file__).parent / "fixtures" / f"{name}.py").exists()
]

BASE_URL = os.environ.get("IOC_TEST_SERVER_URL", "postgresql://postgres@127.0.0.1:5432")


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A freshly migrated database for this test run; dropped at the end."""
    name = f"iocgis_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    url = f"{BASE_URL}/{name}"
    previous = os.environ.get("IOC_DATABASE_URL")
    os.environ["IOC_DATABASE_URL"] = url
    get_settings.cache_clear()
    try:
        migrate.upgrade(url)
        yield url
    finally:
        close_pools()
        drop_database(url)
        if previous is None:
            os.environ.pop("IOC_DATABASE_URL", None)
        else:
            os.environ["IOC_DATABASE_URL"] = previous
        get_settings.cache_clear()


@pytest.fixture()
def conn(database_url: str) -> Iterator[psycopg.Connection]:
    """A raw connection to the test database (autocommit off; rolled back after the test)."""
    with psycopg.connect(to_libpq_url(database_url)) as c:
        yield c
        c.rollback()


#: Modules that read the whole parcels collection as a client does (its count, its extent, a
#: rendering of all of it): they run first, while the session database holds only the shared
#: web fixtures' 120 parcels — later modules add parcels across the country (and QGIS would
#: then fetch thousands of vector tiles to draw the collection's extent).
FIRST_MODULES = ("test_qgis_",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the FIRST_MODULES before the others (every group keeps its order)."""
    items.sort(key=lambda item: not item.path.name.startswith(FIRST_MODULES))
