"""Migrations run down and up again on a database of their own, leaving the same schema."""

from __future__ import annotations

import os
import uuid

import psycopg

from gis import migrate
from gis.db import drop_database
from tests.conftest import BASE_URL

SCHEMA_QUERY = """
SELECT table_schema, table_name, column_name, data_type
FROM information_schema.columns
WHERE table_schema IN ('admin', 'land', 'sensor', 'layers')
ORDER BY 1, 2, 3
"""


def test_downgrade_and_upgrade_round_trip() -> None:
    url = f"{BASE_URL}/iocgis_mig_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        migrate.upgrade(url)
        with psycopg.connect(url) as c:
            before = c.execute(SCHEMA_QUERY).fetchall()
            srs = c.execute("SELECT count(*) FROM spatial_ref_sys WHERE srid BETWEEN 9205 AND 9218")
            assert srs.fetchone() == (14,)
        assert set(migrate.current_revisions(url)) == set(migrate.head_revisions())
        migrate.downgrade(url, "base")
        with psycopg.connect(url) as c:
            assert c.execute(SCHEMA_QUERY).fetchall() == []
            # PostGIS's own rows are restored: 9205–9218 gone again, 4756 back to its original
            assert c.execute(
                "SELECT count(*) FROM spatial_ref_sys WHERE srid BETWEEN 9205 AND 9218"
            ).fetchone() == (0,)
            assert c.execute(
                "SELECT auth_name FROM spatial_ref_sys WHERE srid = 4756"
            ).fetchone() == ("EPSG",)
        migrate.upgrade(url)
        with psycopg.connect(url) as c:
            assert c.execute(SCHEMA_QUERY).fetchall() == before
    finally:
        drop_database(url)
