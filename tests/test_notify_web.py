"""The web side of notifications and reports: environment staff manage their own
subscriptions (secrets never read back), admins read the delivery log, stored reports are
listed and downloaded; every route checked under the database roles (iocgis_web login)."""

from __future__ import annotations

import io

import psycopg
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from gis.access.keys import add_user
from gis.settings import to_libpq_url
from maps.app import create_app
from tests.fixtures.web import maps_settings
from tests.notify_support import stored_report_station

STATION = "NTF-WEB-1"


@pytest.fixture(scope="module")
def keys(database_url):
    with psycopg.connect(to_libpq_url(database_url)) as c:
        out = {
            name: add_user(c, name, role)
            for name, role in (
                ("web.env1", "environment"),
                ("web.env2", "environment"),
                ("web.admin", "admin"),
                ("web.public", "public"),
            )
        }
        stored_report_station(c, STATION, "Trạm web")
    return out


@pytest.fixture(scope="module")
def client(database_url):
    with TestClient(create_app(maps_settings(database_url))) as c:
        yield c


def _h(keys, name):
    return {"X-API-Key": keys[name]}


def test_roles_and_own_subscriptions(client, keys):
    assert client.get("/notify/subscriptions").status_code == 401
    assert client.get("/notify/subscriptions", headers=_h(keys, "web.public")).status_code == 403
    body = {
        "kind": "exceedance",
        "area": STATION,
        "webhook": "https://gw.example.vn/sms",
        "secret": "0123456789abcdef0123",
    }
    made = client.post("/notify/subscriptions", json=body, headers=_h(keys, "web.env1"))
    assert made.status_code == 201, made.text
    sub = made.json()
    assert sub["subscriber"] == "web.env1" and "secret" not in sub
    mail = client.post(
        "/notify/subscriptions",
        headers=_h(keys, "web.env2"),
        json={
            "kind": "aqi",
            "area": STATION,
            "email": "b@example.vn",
            "min_category": "bad",
            "quiet_start": "22:00",
            "quiet_end": "06:00",
        },
    )
    assert mail.status_code == 201, mail.text
    assert mail.json()["min_category"] == "bad" and mail.json()["quiet_start"] == "22:00"
    mine = client.get("/notify/subscriptions", headers=_h(keys, "web.env1")).json()
    assert [s["id"] for s in mine["subscriptions"]] == [sub["id"]]
    assert (
        "0123456789abcdef"
        not in client.get("/notify/subscriptions", headers=_h(keys, "web.admin")).text
    )
    # Someone else's subscription is not yours to delete.
    other = client.delete(f"/notify/subscriptions/{sub['id']}", headers=_h(keys, "web.env2"))
    assert other.status_code == 404
    assert (
        client.delete(
            f"/notify/subscriptions/{sub['id']}", headers=_h(keys, "web.env1")
        ).status_code
        == 204
    )


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"kind": "aqi", "area": "NOPE-1", "email": "a@example.vn"}, "no province"),
        ({"kind": "aqi", "area": STATION, "email": "not-an-address"}, "e-mail"),
        ({"kind": "aqi", "area": STATION}, "exactly one channel"),
        ({"kind": "aqi", "area": STATION, "webhook": "ftp://x", "secret": "x" * 16}, "http"),
        (
            {"kind": "aqi", "area": STATION, "email": "a@example.vn", "min_category": "awful"},
            "unknown category",
        ),
    ],
)
def test_bad_subscriptions_are_refused_clearly(client, keys, body, words):
    answer = client.post("/notify/subscriptions", json=body, headers=_h(keys, "web.env1"))
    assert answer.status_code in (400, 404)
    assert words in answer.json()["description"]


def test_delivery_log_is_for_admins(client, keys):
    assert client.get("/notify/deliveries", headers=_h(keys, "web.env1")).status_code == 403
    log = client.get("/notify/deliveries", headers=_h(keys, "web.admin"))
    assert log.status_code == 200 and "deliveries" in log.json()


def test_reports_listed_and_downloaded(client, keys):
    assert client.get("/reports", headers=_h(keys, "web.public")).status_code == 403
    listed = client.get("/reports", params={"area": STATION}, headers=_h(keys, "web.env1"))
    assert listed.status_code == 200
    (rep,) = listed.json()["reports"]
    assert rep["period"] == "2026-11" and rep["revision"] == 1 and rep["revised"] is False
    pdf = client.get(f"/reports/{rep['id']}", headers=_h(keys, "web.env1"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert "attachment" in pdf.headers["content-disposition"]
    xlsx = client.get(
        f"/reports/{rep['id']}", params={"format": "xlsx"}, headers=_h(keys, "web.admin")
    )
    wb = load_workbook(io.BytesIO(xlsx.content))
    assert wb["Report"]["B3"].value == "2026-11"
    assert client.get("/reports/999999", headers=_h(keys, "web.env1")).status_code == 404
