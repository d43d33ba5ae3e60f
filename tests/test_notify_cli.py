"""``iocgis notify subscribe|list|test|unsubscribe`` against a real SMTP server, and
``iocgis report`` writing both files."""

from __future__ import annotations

import json
import os

import psycopg
import pytest
from openpyxl import load_workbook

from cli.common import run_app
from cli.main import app
from gis.access.keys import add_user
from gis.settings import get_settings, to_libpq_url
from sensors.notify.config import get_notify_settings
from sensors.stations import StationRecord, register
from tests.notify_support import Mailbox

STATION = "NTF-CLI-1"


@pytest.fixture(scope="module")
def users(database_url):
    with psycopg.connect(to_libpq_url(database_url)) as c:
        add_user(c, "cli.env", "environment")
        add_user(c, "cli.land", "land")
        register(c, [StationRecord(STATION, "Trạm CLI", "air", 105.8, 21.0, ["pm25"])])
        c.commit()


@pytest.fixture()
def smtp(monkeypatch):
    with Mailbox() as box:
        monkeypatch.setenv("IOC_SMTP_URL", box.url)
        monkeypatch.setenv("IOC_SMTP_FROM", "ioc@example.vn")
        get_settings.cache_clear()
        get_notify_settings.cache_clear()
        yield box
    get_settings.cache_clear()


def test_subscribe_list_test_unsubscribe(users, smtp, capsys):
    args = [
        "notify",
        "subscribe",
        "cli.env",
        "--email",
        "staff@example.vn",
        "--kind",
        "exceedance",
        "--area",
        STATION,
        "--language",
        "en",
        "--json",
    ]
    assert run_app(app, args) == 0
    sub = json.loads(capsys.readouterr().out)
    assert sub["address"] == "staff@example.vn" and sub["language"] == "en"
    assert run_app(app, ["notify", "list", "--user", "cli.env", "--json"]) == 0
    assert [s["id"] for s in json.loads(capsys.readouterr().out)] == [sub["id"]]
    assert run_app(app, ["notify", "test", "cli.env"]) == 0
    assert "sent" in capsys.readouterr().out
    (msg,) = smtp.messages
    assert msg["To"] == "staff@example.vn" and "Notification channel test" in msg["Subject"]
    assert msg["Message-ID"].startswith("<iocgis-delivery-")
    assert run_app(app, ["notify", "unsubscribe", str(sub["id"])]) == 0
    assert run_app(app, ["notify", "test", "cli.env"]) == 1  # nothing left to test


def test_refusals(users, smtp, capsys):
    base = ["notify", "subscribe", "--kind", "exceedance", "--area", STATION]
    assert run_app(app, [*base[:2], "cli.land", *base[2:], "--email", "a@example.vn"]) == 2
    assert "environment or admin" in capsys.readouterr().err
    assert run_app(app, [*base[:2], "nobody", *base[2:], "--email", "a@example.vn"]) == 1
    assert run_app(app, [*base[:2], "cli.env", *base[2:], "--webhook", "https://x.vn/h"]) == 2
    assert "secret" in capsys.readouterr().err
    assert (
        run_app(
            app,
            [
                *base[:2],
                "cli.env",
                "--kind",
                "exceedance",
                "--area",
                "ZZ-NONE",
                "--email",
                "a@example.vn",
            ],
        )
        == 1
    )


def test_test_reports_a_refusing_server(users, monkeypatch, capsys):
    monkeypatch.setenv("IOC_SMTP_URL", "smtp://127.0.0.1:9")  # nothing listens: refused
    get_settings.cache_clear()
    with psycopg.connect(to_libpq_url(os.environ["IOC_DATABASE_URL"])) as c:
        sub = c.execute(
            "INSERT INTO notify.subscriptions (subscriber, channel, address, kind, area)"
            " VALUES ('cli.env', 'email', 'x@example.vn', 'offline', %s) RETURNING id",
            [STATION],
        ).fetchone()[0]
        c.commit()
    assert run_app(app, ["notify", "test", "--subscription", str(sub)]) == 1
    assert "SMTP" in capsys.readouterr().out
    get_settings.cache_clear()


def test_report_command_writes_pdf_and_xlsx(users, tmp_path, capsys):
    pdf, xlsx = tmp_path / "r.pdf", tmp_path / "r.xlsx"
    for out in (pdf, xlsx):
        assert (
            run_app(
                app, ["report", "air", "--area", STATION, "--period", "2026-Q4", "--out", str(out)]
            )
            == 0
        )
    assert pdf.read_bytes().startswith(b"%PDF")
    assert load_workbook(xlsx)["Report"]["B3"].value == "2026-Q4"
    assert (
        run_app(app, ["report", "air", "--area", STATION, "--period", "2026-13", "--out", str(pdf)])
        == 2
    )
    assert (
        run_app(
            app,
            [
                "report",
                "air",
                "--area",
                STATION,
                "--period",
                "2026",
                "--out",
                str(tmp_path / "r.docx"),
            ],
        )
        == 2
    )
