"""SQL injection: classic payloads in EVERY path and query parameter of EVERY operation of /api.

Each answer must be < 500, carry no SQL/driver/trace text, and (anonymous or admin: neither may
see personal data) no land user's name or ID number from the sample data; afterwards the
database must be intact (row counts of land.parcels, land.land_users, auth.users unchanged, and
every view of the layer catalog still there).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import psycopg
import pytest
from fastapi.testclient import TestClient

from gis.settings import to_libpq_url
from layers.catalog import CATALOG

PAYLOADS = (
    "' OR '1'='1",
    "1; DROP TABLE land.parcels--",
    "') UNION SELECT full_name FROM land.land_users--",
    "1 UNION SELECT id_number, full_name FROM land.land_users",
    "%27",
    "\u0000",
    "abc\u0000def",
    "1e309",
    "-1e309",
    "NaN",
    "99999999999999999999999999",
    "A" * 10_000,
    "../../etc/passwd",
    "$$; DROP TABLE auth.users; $$",
    "'; SELECT pg_sleep(10); --",
    "\\'; COPY land.land_users TO PROGRAM 'id'; --",
    "ODT' AND (SELECT count(*) FROM land.land_users) > 0 --",
    '{"op": "=", "args": [{"property": "land_users"}, "x"]}',
    "land_users IS NOT NULL",
    "land_use = 'ODT') OR (1=1",
    "S_INTERSECTS(geometry, POINT(1e309 0))",
    "☃\U0001f600",
)
#: CQL2 payloads for ``filter`` on top of the above (text and JSON).
FILTER_PAYLOADS = (
    "land_use = 'x'' OR ''1''=''1'",
    "land_use LIKE '%' OR land_users IS NOT NULL",
    '{"op": "like", "args": [{"property": "land_users"}, "%"]}',
    '{"op": "=", "args": [{"property": "land_use\\"; DROP TABLE x; --"}, "1"]}',
    '{"op": "s_intersects", "args": [{"property": "geometry"},'
    ' {"type": "Point", "coordinates": [1e309, 0]}]}',
    '{"op": "=", "args": [{"function": {"name": "pg_sleep", "args": [10]}}, 1]}',
    "land_use = 'ODT\u0000'",
    "legal_area_m2 / 0 > 1",
    "legal_area_m2 * 1e308 * 1e308 > 1",
    "sheet_number = 'abc'",
    "land_use LIKE 'abc\\'",
    "land_use > 5",
)
#: A valid value of each parameter, so only the parameter under test is wrong.
VALID: dict[str, str] = {
    "names": "parcels", "cid": "parcels", "name": "parcels", "z": "14", "x": "13013",
    "y": "7207", "fid": "1", "commune": "00070", "sheet": "1", "number": "1", "code": "00070",
    "lon": "105.852", "lat": "21.028", "distance": "500", "limit": "10", "province": "01",
    "lang": "vi", "rotate": "30", "format": "geojson", "history": "true", "interval": "raw",
    "daily": "false", "scheme": "vn",
}  # fmt: skip
#: Per-path overrides of :data:`VALID`.
VALID_BY_PATH: dict[str, dict[str, str]] = {
    "/raster/": {"name": "landcover", "z": "10", "x": "813", "y": "450"},
    "/stats/": {"name": "landcover"},
    "/stations/": {"code": "WEBAIR1", "parameter": "pm25"},
}
SKIP = {"/events"}  # a stream that never ends
SQL_MARKERS = re.compile(
    r"psycopg|Traceback|syntax error at or near|ProgrammingError|DataError|InternalError\(|"
    r"LINE \d+:|pg_catalog|permission denied|relation \"|column \"|SQLSTATE|"
    r"unterminated quoted|invalid input syntax|File \"/",
    re.IGNORECASE,
)
#: The sample land users (tests/fixtures/land.py): ID numbers and names.
PERSONAL = re.compile(rb"SYNW?\d{8,9}\b|Ng\\u01b0\\u1eddi \d+|Ng\xc6\xb0\xe1\xbb\x9di \d+ \(gi")


def _operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, list[dict[str, Any]]]]:
    for path, ops in doc["paths"].items():
        if path in SKIP:
            continue
        for method, op in ops.items():
            # Shared parameters (#/components/parameters/limit) resolved to their definition.
            shared = doc.get("components", {}).get("parameters", {})
            resolved = [shared[p["$ref"].rsplit("/", 1)[-1]] if "$ref" in p else p
                        for p in op.get("parameters", [])]  # fmt: skip
            params = [p for p in resolved if p["in"] in ("path", "query")]
            yield method.upper(), path, params


def _valid(path: str, name: str) -> str:
    for prefix, values in VALID_BY_PATH.items():
        if path.startswith(prefix) and name in values:
            return values[name]
    return VALID.get(name, "1")


def _request(
    client: TestClient,
    method: str,
    path: str,
    params: list[dict[str, Any]],
    target: str,
    payload: str,
    headers: dict[str, str],
) -> Any:
    url, query = path, {}
    for p in params:
        value = payload if p["name"] == target else _valid(path, p["name"])
        if p["in"] == "path":
            url = url.replace("{" + p["name"] + "}", quote(value, safe=""))
        elif p["name"] == target or p.get("required"):
            query[p["name"]] = value
    body = {"type": "FeatureCollection", "features": []} if method == "POST" else None
    return client.request(method, url, params=query, json=body, headers=headers)


def _problem(r: Any, where: str) -> str | None:
    """What is wrong with an answer to a payload (None: nothing)."""
    if r.status_code >= 500:
        return f"{where}: {r.status_code} {r.text[:200]}"
    found = SQL_MARKERS.search(r.content.decode("utf-8", "replace"))
    if found is not None:
        return f"{where}: {found.group(0)!r} in {r.text[:200]}"
    if PERSONAL.search(r.content) is not None:
        return f"{where}: personal data in the answer"
    return None


def _check(r: Any, where: str) -> None:
    problem = _problem(r, where)
    assert problem is None, problem


def _counts(database_url: str) -> dict[str, int]:
    tables = ("land.parcels", "land.land_users", "land.parcel_land_users", "auth.users")
    with psycopg.connect(to_libpq_url(database_url)) as conn:
        out = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
        for layer in CATALOG.values():
            if layer.view:
                (reg,) = conn.execute("SELECT to_regclass(%s)", [f"layers.{layer.view}"]).fetchone()
                out[f"layers.{layer.view}"] = int(reg is not None)
    return out


@pytest.fixture(scope="module")
def before(
    database_url: str, web_data: None, demo_stations: object, role_keys: dict[str, str]
) -> dict[str, int]:
    """Row counts and catalog views before any payload was sent."""
    counts = _counts(database_url)
    assert counts["land.land_users"] > 0 and counts["land.parcels"] > 0
    return counts


@pytest.mark.parametrize("who", ["anonymous", "admin"])
def test_payloads_in_every_parameter(database_url, client, role_keys, before, who):
    headers = {"X-API-Key": role_keys["admin"]} if who == "admin" else {}
    doc = client.get("/api").json()
    sent, problems = 0, []
    for method, path, params in _operations(doc):
        for p in params:
            payloads = PAYLOADS + (FILTER_PAYLOADS if p["name"] == "filter" else ())
            for payload in payloads:
                r = _request(client, method, path, params, p["name"], payload, headers)
                problems.append(_problem(r, f"{method} {path} {p['name']}={payload[:40]!r}"))
                sent += 1
    assert sent > 500  # every parameter of every operation was reached
    assert [p for p in problems if p] == []
    assert _counts(database_url) == before  # nothing dropped, deleted or added


def test_payloads_as_credentials(client, before):
    """An injected API key or bearer token is a 401, never a 500 nor a silent anonymous."""
    for payload in PAYLOADS:
        if "\u0000" in payload or not payload.isascii():
            continue  # not sendable in an HTTP header
        for headers in ({"X-API-Key": payload}, {"Authorization": f"Bearer {payload}"}):
            r = client.get("/collections/parcels/items", headers=headers)
            _check(r, f"credential {payload[:40]!r}")
            assert r.status_code == 401, (payload, r.status_code)


def test_filters_never_reach_hidden_columns(client, role_keys, before):
    """Land users stay out of anonymous answers whatever the filter; land sees them (control)."""
    probe = {"filter": "land_users IS NOT NULL", "limit": 5}
    anonymous = client.get("/collections/parcels/items", params=probe)
    assert anonymous.status_code == 400
    land = client.get(
        "/collections/parcels/items", params=probe, headers={"X-API-Key": role_keys["land"]}
    )
    assert land.status_code == 200
    assert PERSONAL.search(land.content) is not None  # the check itself can see personal data
