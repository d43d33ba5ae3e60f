"""The wall's land-use figures and its province scoping, on the real test database."""

from __future__ import annotations

import asyncio
import json
import re

import psycopg
from fastapi.testclient import TestClient

from gis.access.roles import PUBLIC, arun_as
from gis.settings import to_libpq_url
from maps.pages.figures import FiguresCache
from tests.fixtures.land import SAMPLE_COMMUNE
from tests.fixtures.web import web_url


def _expected(database_url: str) -> dict[str, int]:
    """Parcels per land-use group in province 01, counted straight from the tables."""
    with psycopg.connect(to_libpq_url(database_url)) as conn:
        rows = conn.execute(
            "SELECT k.land_group, count(DISTINCT p.id) FROM land.parcels p"
            " JOIN admin.communes c ON c.code = p.commune_code"
            " JOIN land.parcel_purposes q ON q.parcel_id = p.id"
            " JOIN land.land_use_codes k ON k.code = q.land_use_code"
            " WHERE c.province_code = '01' AND p.valid_to IS NULL GROUP BY 1"
        ).fetchall()
    return dict(rows)


def test_wall_figures_count_parcels_by_group(client: TestClient, database_url: str) -> None:
    client.app.state.page_figures.forget()
    r = client.get("/wall/figures.json?province=01")
    assert r.status_code == 200
    doc = r.json()
    assert doc["province"]["name"] == "Hà Nội"
    assert doc["communes_with_parcels"] >= 1
    got = {g["group"]: g["count"] for g in doc["parcels_by_group"]}
    expected = _expected(database_url)
    assert expected and all(got[k] == v for k, v in expected.items())
    assert set(got) == {"agricultural", "non_agricultural", "unused"}


def test_wall_figures_reject_bad_province(client: TestClient) -> None:
    assert client.get("/wall/figures.json?province=1x").status_code == 400
    r = client.get("/wall/figures.json?province=99")
    assert r.status_code == 404


def test_wall_figures_cached_a_minute(database_url: str, web_data: None) -> None:
    async def run() -> None:
        # As the web app reads them: logged in as iocgis_web, running as the public role.
        async with await psycopg.AsyncConnection.connect(
            web_url(database_url), autocommit=True
        ) as conn:
            await arun_as(conn, PUBLIC)
            cache = FiguresCache()
            first = await cache.province_land_use(conn, "01", now=1000.0)
            again = await cache.province_land_use(conn, "01", now=999.0 + cache.ttl_s)
            later = await cache.province_land_use(conn, "01", now=1001.0 + cache.ttl_s)
            assert again is first and later is not first and later == first
            # Each app owns its cache: another one computes its own.
            assert await FiguresCache().province_land_use(conn, "01", now=1000.0) is not first

    asyncio.run(run())


def test_wall_page_knows_its_province(client: TestClient) -> None:
    html = client.get("/wall?province=01").text
    config = json.loads(re.search(r"IocPage\.start\(\w+, (\{.*\})\);", html).group(1))
    assert config["province"]["name"] == "Hà Nội"
    assert SAMPLE_COMMUNE in config["province"]["communes"]
    assert len(config["province"]["communes"]) > 100
    assert client.get("/wall?province=abc").status_code == 400
