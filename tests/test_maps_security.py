"""Security headers, the pages' CSP nonce, CORS, safe 500/400 answers, unsafe settings refused."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient

from gis.errors import ConfigurationError
from maps.app import create_app
from maps.auth import KeyCache
from maps.config import get_maps_settings
from tests.fixtures.web import maps_settings

TILE = "/tiles/communes/10/812/450.mvt"
NONCE_RE = re.compile(r"'nonce-([A-Za-z0-9_-]+)'")


@pytest.fixture(scope="module")
def web(database_url: str, web_data: None) -> Iterator[TestClient]:
    settings = maps_settings(
        database_url, listen=False, cors_origins=["https://wall.ioc.example"],
        frame_ancestors="'self' https://wall.ioc.example",
    )  # fmt: skip
    app = create_app(settings)

    @app.get("/_test/boom", include_in_schema=False)
    def boom() -> None:
        raise RuntimeError("SELECT secret FROM land.land_users -- internal detail")

    @app.get("/_test/data-error", include_in_schema=False)
    def data_error() -> None:
        raise psycopg.errors.DivisionByZero("division by zero in SELECT 1/0")

    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def _check_common(headers) -> None:
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert "camera=()" in headers["permissions-policy"]
    csp = headers["content-security-policy"]
    for directive in ("default-src 'self'", "connect-src 'self'", "img-src 'self'",
                      "font-src 'self'", "object-src 'none'"):  # fmt: skip
        assert directive in csp
    assert "unsafe-inline" not in csp.split("script-src", 1)[1].split(";", 1)[0]
    assert "frame-ancestors 'self' https://wall.ioc.example" in csp
    assert "strict-transport-security" not in headers  # development
    assert "Authorization" in headers["vary"] and "Cookie" in headers["vary"]


@pytest.mark.parametrize(
    "path", ["/healthz", "/collections", TILE, "/maps/parcels", "/login", "/nowhere", "/audit"]
)
def test_headers_on_every_kind_of_answer(web, path):
    r = web.get(path)
    assert r.status_code in (200, 204, 401, 404), r.text
    _check_common(r.headers)


def test_page_inline_scripts_carry_the_response_nonce(web):
    seen = set()
    for path in ("/maps/parcels", "/maps/environment", "/wall", "/login", "/api.html"):
        r = web.get(path)
        assert r.status_code == 200
        nonce = NONCE_RE.search(r.headers["content-security-policy"]).group(1)
        seen.add(nonce)
        inline = re.findall(r"<(script|style)(\s[^>]*)?>(?!</script>)", r.text)
        bare = [tag for tag, attrs in inline if "src=" not in (attrs or "")]
        assert bare, path
        # Every inline element carries the nonce; script elements loading a file need none.
        assert all(f'nonce="{nonce}"' in (attrs or "") for tag, attrs in inline
                   if "src=" not in (attrs or "")), path  # fmt: skip
        assert "<script>" not in r.text and "<style>" not in r.text
    assert len(seen) == 5  # a fresh nonce per response


def test_credentialed_answers_are_never_shared(web, role_keys):
    anonymous = web.get(TILE)
    assert "no-store" not in anonymous.headers.get("cache-control", "")
    for role in ("land", "public"):
        keyed = web.get(TILE, headers={"X-API-Key": role_keys[role]})
        assert keyed.status_code in (200, 204)
        assert keyed.headers["cache-control"] == "private, no-store"
    items = web.get("/collections/parcels/items?limit=1", headers={"X-API-Key": role_keys["land"]})
    assert items.headers["cache-control"] == "private, no-store"
    # A refused credential too (a 401 must not be cached for everyone either).
    bad = web.get("/collections", headers={"X-API-Key": "iocgis_x"})
    assert bad.status_code == 401 and bad.headers["cache-control"] == "private, no-store"


def test_cors_allowed_and_denied_origins(web):
    ok = web.get("/collections", headers={"Origin": "https://wall.ioc.example"})
    assert ok.headers["access-control-allow-origin"] == "https://wall.ioc.example"
    assert "access-control-allow-credentials" not in ok.headers
    denied = web.get("/collections", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in denied.headers
    preflight = web.options(
        "/collections",
        headers={"Origin": "https://wall.ioc.example", "Access-Control-Request-Method": "GET",
                 "Access-Control-Request-Headers": "X-API-Key"},
    )  # fmt: skip
    assert preflight.status_code == 200
    assert "x-api-key" in preflight.headers["access-control-allow-headers"].lower()
    bad = web.options(
        "/collections",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert bad.status_code == 400 and "access-control-allow-origin" not in bad.headers


def test_no_cors_by_default(client):
    r = client.get("/collections", headers={"Origin": "https://wall.ioc.example"})
    assert "access-control-allow-origin" not in r.headers
    assert "frame-ancestors 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "SAMEORIGIN"


def test_internal_error_is_a_bare_500_logged_in_full(web, caplog):
    with caplog.at_level(logging.ERROR, logger="iocgis.maps"):
        r = web.get("/_test/boom")
    assert r.status_code == 500
    body = r.json()
    assert body["code"] == "InternalError" and body["description"] == "internal error"
    assert re.fullmatch(r"[0-9a-f]{16}", body["request_id"])
    for leak in ("SELECT", "land_users", "Traceback", "RuntimeError", "boom"):
        assert leak not in r.text
    _check_common(r.headers)
    logged = "\n".join(rec.getMessage() + str(rec.exc_info) for rec in caplog.records)
    assert body["request_id"] in logged and "RuntimeError" in logged


def test_data_errors_of_request_values_are_400_without_sql(web):
    r = web.get("/_test/data-error")
    assert r.status_code == 400 and r.json()["code"] == "InvalidInput"
    assert "SELECT" not in r.text and "division" not in r.text


def test_validation_errors_echo_little(web):
    huge = "9" * 5000 + "x"
    r = web.get("/collections/parcels/items", params={"limit": huge})
    assert r.status_code == 400
    assert len(r.text) < 1000 and huge not in r.text
    (error,) = r.json()["detail"]
    assert error["loc"] == ["query", "limit"] and error["input"].endswith("…")
    assert "url" not in error


def test_key_cache_single_flight_and_ttl():
    calls = []

    async def scenario() -> None:
        cache = KeyCache(ttl=60)

        async def fetch():
            calls.append(1)
            await asyncio.sleep(0.05)
            return ("someone", "land")

        results = await asyncio.gather(*(cache.get(b"h" * 32, fetch) for _ in range(20)))
        assert set(results) == {("someone", "land")}
        assert await cache.get(b"h" * 32, fetch) == ("someone", "land")
        assert len(calls) == 1  # a burst of 20 and a later hit: one query
        nocache = KeyCache(ttl=0)
        await nocache.get(b"k" * 32, fetch)
        await nocache.get(b"k" * 32, fetch)
        assert len(calls) == 3

    asyncio.run(scenario())


def test_unsafe_settings_refused(monkeypatch, database_url):
    with pytest.raises(ValueError, match="CORS"):
        maps_settings(database_url, cors_origins=["*"])
    monkeypatch.setenv("IOC_ENVIRONMENT", "production")
    monkeypatch.delenv("IOC_SECRET_KEY", raising=False)
    get_maps_settings.cache_clear()
    try:
        with pytest.raises(ConfigurationError, match="IOC_SECRET_KEY") as info:
            create_app()
        assert "pydantic" not in str(info.value)
    finally:
        get_maps_settings.cache_clear()


def test_hsts_only_in_production(database_url, web_data):
    from tests.fixtures.web import web_url

    url = web_url(database_url).replace("iocgis_web@", "iocgis_web:not-a-default-9f3a@")
    settings = maps_settings(database_url).model_copy(
        update={"environment": "production", "database_url": url, "secret_key": "k" * 40}
    )
    with TestClient(create_app(settings), base_url="https://testserver") as c:
        r = c.get("/healthz")
        assert r.headers["strict-transport-security"] == "max-age=31536000"
