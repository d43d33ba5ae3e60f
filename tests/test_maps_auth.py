"""Web authentication: API keys, page sessions, role gates (real app and DB; JWT: test_maps_sso)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient

from gis.access.audit import record_view_sync
from gis.access.keys import add_user, key_id_of, revoke_user
from gis.settings import to_libpq_url
from maps.app import create_app
from maps.auth import safe_next
from maps.config import MapsSettings
from tests.fixtures.web import maps_settings, web_url


@pytest.fixture(scope="module")
def app_client(database_url: str, role_keys: dict[str, str]) -> Iterator[TestClient]:
    """The app with no key cache (TTL 0: every request asks the database)."""
    settings = maps_settings(database_url, auth_cache_ttl_s=0, listen=False)
    with TestClient(create_app(settings)) as c:
        yield c


def _owner(database_url: str) -> psycopg.Connection:
    return psycopg.connect(to_libpq_url(database_url), autocommit=True)


def _user(database_url: str, role: str) -> tuple[str, str]:
    name = f"u-{role}-{uuid.uuid4().hex[:8]}"
    with _owner(database_url) as conn:
        return name, add_user(conn, name, role)


def me(client: TestClient, **headers: str) -> dict[str, str]:
    r = client.get("/auth/me", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


# --- API keys ---------------------------------------------------------------------------------


def test_anonymous_is_public(app_client):
    assert me(app_client) == {"subject": "anonymous", "role": "public", "method": "anonymous"}


@pytest.mark.parametrize("role", ["public", "environment", "land", "admin"])
def test_api_key_in_either_header(app_client, role_keys, role):
    key = role_keys[role]
    expected = {"subject": f"test-{role}", "role": role, "method": "api_key"}
    assert me(app_client, **{"X-API-Key": key}) == expected
    assert me(app_client, Authorization=f"Bearer {key}") == expected


@pytest.mark.parametrize(
    "headers",
    [
        {"X-API-Key": "iocgis_nope"},  # malformed
        {"X-API-Key": "iocgis_abcdefgh_" + "A" * 43},  # well-formed, unknown
        {"X-API-Key": ""},
        {"Authorization": "Bearer iocgis_abcdefgh_" + "B" * 43},
        {"Authorization": "Basic dXNlcjpwYXNz"},  # another scheme: refused, not ignored
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer not-a-jwt"},  # no SSO configured
    ],
)
def test_bad_credentials_are_401_never_public(app_client, headers):
    r = app_client.get("/auth/me", headers=headers)
    assert r.status_code == 401, r.text
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert r.json()["code"] == "NotAuthenticated"
    # Also on an endpoint anonymous callers may use: a bad key is not a silent downgrade.
    assert app_client.get("/collections", headers=headers).status_code == 401


def test_revoked_key_is_refused_with_ttl_zero(app_client, database_url):
    name, key = _user(database_url, "land")
    assert me(app_client, **{"X-API-Key": key})["subject"] == name
    with _owner(database_url) as conn:
        revoke_user(conn, name)
    assert app_client.get("/auth/me", headers={"X-API-Key": key}).status_code == 401


def test_expired_key_is_refused(app_client, database_url):
    _, key = _user(database_url, "environment")
    assert me(app_client, **{"X-API-Key": key})["role"] == "environment"
    with _owner(database_url) as conn:
        conn.execute(
            "UPDATE auth.api_keys SET expires_at = now() - interval '1 second' WHERE key_id = %s",
            [key_id_of(key)],
        )
    assert app_client.get("/auth/me", headers={"X-API-Key": key}).status_code == 401


def test_cache_keeps_answers_for_its_ttl(database_url, web_data):
    """With a TTL, a revoked key keeps working until the TTL ends (documented), then stops."""
    name, key = _user(database_url, "admin")
    settings = maps_settings(database_url, auth_cache_ttl_s=1.5, listen=False)
    with TestClient(create_app(settings)) as c:
        assert me(c, **{"X-API-Key": key})["role"] == "admin"
        with _owner(database_url) as conn:
            revoke_user(conn, name)
        assert me(c, **{"X-API-Key": key})["role"] == "admin"  # cached
        time.sleep(1.6)
        assert c.get("/auth/me", headers={"X-API-Key": key}).status_code == 401


# --- role gates -------------------------------------------------------------------------------

GATES = {
    "/audit": {"admin"},
    "/users": {"admin"},
    "/metrics": {"admin"},
    "/sensors/rejects": {"environment", "admin"},
}


@pytest.mark.parametrize("path", sorted(GATES))
def test_gated_endpoints_401_anonymous_403_other_roles(app_client, role_keys, path):
    assert app_client.get(path).status_code == 401
    for role, key in role_keys.items():
        r = app_client.get(path, headers={"X-API-Key": key})
        assert r.status_code == (200 if role in GATES[path] else 403), (role, r.text)
        if r.status_code == 403:
            assert r.json()["code"] == "Forbidden"


def test_users_list_has_key_ids_no_secrets(app_client, role_keys, database_url):
    r = app_client.get("/users", headers={"X-API-Key": role_keys["admin"]})
    users = {u["name"]: u for u in r.json()["users"]}
    land = users["test-land"]
    assert land["role"] == "land"
    assert [k["key_id"] for k in land["keys"]] == [key_id_of(role_keys["land"])]
    assert "last_used_at" in land["keys"][0]
    for key in role_keys.values():
        assert key not in r.text and key.split("_", 2)[2] not in r.text  # the secret part
    assert "hash" not in r.text


def test_audit_log_filters(app_client, role_keys, database_url):
    subject = f"auditee-{uuid.uuid4().hex[:6]}"
    with _owner(database_url) as conn:
        for fid in (11, 12):
            record_view_sync(conn, subject=subject, role="land", method="api_key",
                             action="feature", target=f"collections/parcels/items/{fid}",
                             parcel_ids=[fid], client="127.0.0.1")  # fmt: skip
    admin = {"X-API-Key": role_keys["admin"]}
    r = app_client.get("/audit", params={"subject": subject}, headers=admin)
    views = r.json()["views"]
    assert [v["parcel_ids"] for v in views] == [[12], [11]]  # newest first
    assert app_client.get("/audit", params={"limit": 1001}, headers=admin).status_code == 400
    assert app_client.get("/audit", params={"subject": "a\x00b"}, headers=admin).status_code == 400
    later = app_client.get(
        "/audit", params={"subject": subject, "since": "2999-01-01T00:00:00"}, headers=admin
    )
    assert later.json()["views"] == []


def test_sensor_rejects_newest_first_payload_as_text(app_client, role_keys, database_url):
    topic = f"ioc/test/{uuid.uuid4().hex[:6]}"
    with _owner(database_url) as conn:
        conn.execute(
            "INSERT INTO sensor.rejects (topic, payload, reason) VALUES (%s, %s, 'not JSON'),"
            " (%s, %s, 'too big')",
            [topic, b"\xff\xfe{bad", topic, b"x" * 9000],
        )
    r = app_client.get("/sensors/rejects", headers={"X-API-Key": role_keys["environment"]})
    mine = [row for row in r.json()["rejects"] if row["topic"] == topic]
    assert [row["reason"] for row in mine] == ["too big", "not JSON"]
    assert mine[0]["payload_bytes"] == 9000 and len(mine[0]["payload"]) == 2000
    assert mine[0]["truncated"] is True
    assert mine[1]["payload"].endswith("{bad") and mine[1]["truncated"] is False


# --- page sessions ----------------------------------------------------------------------------

ORIGIN = {"Origin": "http://testserver"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _login(client: TestClient, key: str, next_path: str = "/maps/parcels", **headers: str):
    return client.post(
        "/login", content=f"api_key={key}&next={next_path}", headers={**FORM, **headers},
        follow_redirects=False,
    )  # fmt: skip


@pytest.fixture()
def browser(database_url: str, web_data: None) -> Iterator[TestClient]:
    settings = maps_settings(database_url, auth_cache_ttl_s=0, listen=False)
    with TestClient(create_app(settings)) as c:
        yield c


def test_login_page_renders_in_both_languages(browser):
    vi = browser.get("/login")
    assert vi.status_code == 200 and 'name="api_key"' in vi.text and "Đăng nhập" in vi.text
    en = browser.get("/login", params={"lang": "en", "next": "/wall"})
    assert "Sign in" in en.text and 'value="/wall"' in en.text
    assert "cdn" not in vi.text.lower()


def test_login_me_logout(browser, database_url):
    name, key = _user(database_url, "land")
    r = _login(browser, key, **ORIGIN)
    assert r.status_code == 303 and r.headers["location"] == "/maps/parcels"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("iocgis_session=")
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert {"httponly", "samesite=strict", "path=/"} <= flags
    assert "secure" not in flags  # development: plain http
    assert key not in cookie and key.split("_", 2)[2] not in cookie
    assert me(browser) == {"subject": name, "role": "land", "method": "session"}
    out = browser.post("/logout", headers=ORIGIN, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"].startswith("/login")
    assert me(browser)["method"] == "anonymous"


def test_login_with_a_bad_key(browser):
    r = _login(browser, "iocgis_abcdefgh_" + "C" * 43, **ORIGIN)
    assert r.status_code == 401 and "set-cookie" not in r.headers
    assert 'class="message"' in r.text and "thu hồi" in r.text


@pytest.mark.parametrize(
    "target",
    ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)",
     "http:/evil.example", "/%0d%0aSet-Cookie:x=1", "evil.example"],
)  # fmt: skip
def test_login_never_redirects_off_site(browser, role_keys, target):
    r = _login(browser, role_keys["land"], next_path=target, **ORIGIN)
    assert r.status_code == 303 and r.headers["location"] == "/maps"


def test_safe_next():
    assert safe_next("/maps/environment?lang=en") == "/maps/environment?lang=en"
    for bad in ("//x.y", "https://x.y", "/\\x.y", "x.y", "", None, "/\nx", "/" + "a" * 3000):
        assert safe_next(bad) == "/maps"


def test_csrf_origin_checked_on_cookie_posts(browser, role_keys):
    assert _login(browser, role_keys["land"]).status_code == 403  # no Origin nor Referer
    assert _login(browser, role_keys["land"], Origin="https://evil.example").status_code == 403
    ok = _login(browser, role_keys["land"], Referer="http://testserver/login")
    assert ok.status_code == 303
    collection = {"type": "FeatureCollection", "features": []}
    # A POST acting on the session cookie from another site (or none) is refused.
    for headers in ({}, {"Origin": "https://evil.example"}, {"Origin": "null"}):
        r = browser.post("/maps/parcels/export", json=collection, headers=headers)
        assert r.status_code == 403, r.text
    assert browser.post("/maps/parcels/export", json=collection, headers=ORIGIN).status_code != 403
    assert browser.post("/logout", headers={"Origin": "https://evil.example"}).status_code == 403


def test_session_ends_when_the_key_is_revoked(browser, database_url):
    name, key = _user(database_url, "land")
    assert _login(browser, key, **ORIGIN).status_code == 303
    assert me(browser)["subject"] == name
    with _owner(database_url) as conn:
        revoke_user(conn, name)
    r = browser.get("/auth/me")
    assert r.status_code == 401 and "iocgis_session=" in r.headers.get("set-cookie", "")
    page = browser.get("/maps/parcels", headers={"Accept": "text/html"}, follow_redirects=False)
    assert page.status_code in (200, 303)  # the 401 above already cleared the cookie
    # A revoked session on a page request: back to the sign-in page (with next), cookie cleared.
    _, key2 = _user(database_url, "land")
    assert _login(browser, key2, **ORIGIN).status_code == 303
    tampered = browser.cookies["iocgis_session"][:-2] + "xx"
    browser.cookies.clear()
    browser.cookies.set("iocgis_session", tampered)
    page = browser.get("/maps/parcels", headers={"Accept": "text/html"}, follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=%2Fmaps%2Fparcels"
    assert browser.get("/login").status_code == 200  # no redirect loop on a stale cookie


def test_session_cookie_in_production(database_url, web_data, role_keys):
    # Trust authentication here: the password is only there to satisfy the production checks.
    url = web_url(database_url).replace("iocgis_web@", "iocgis_web:not-a-default-9f3a@")
    settings = MapsSettings(
        database_url=url, environment="production", secret_key="s" * 16 + uuid.uuid4().hex,
        listen=False,
    )  # fmt: skip
    with TestClient(create_app(settings), base_url="https://testserver") as c:
        r = _login(c, role_keys["land"], Origin="https://testserver")
        cookie = r.headers["set-cookie"]
        assert cookie.startswith("__Host-iocgis_session=") and "secure" in cookie.lower()
        assert r.headers["strict-transport-security"].startswith("max-age=")


def test_key_check_without_a_database_is_503_not_public(role_keys):
    dead = maps_settings(
        "postgresql://postgres@127.0.0.1:9/none", listen=False, pool_wait_s=1, auth_cache_ttl_s=0
    )
    with TestClient(create_app(dead)) as c:
        r = c.get("/auth/me", headers={"X-API-Key": role_keys["land"]})
        assert r.status_code == 503 and r.json()["code"] == "DatabaseUnavailable"
        assert "127.0.0.1" not in r.text
        assert me(c)["role"] == "public"  # no credentials: no database needed to say so
