"""The environment page's notifications and reports panel in headless Chromium: an environment
user signs in, sees their subscription and the stored reports with PDF/XLSX links, adds a
subscription through the form and deletes one."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest

from gis.access.keys import add_user
from gis.settings import to_libpq_url
from tests.fixtures.web import LiveServer, maps_settings
from tests.notify_support import stored_report_station

ROOT = Path(__file__).resolve().parents[1]
STATION = "NTF-PAGE-1"

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None
    or not Path("/usr/bin/chromium").exists()
    or not (ROOT / "node_modules" / "playwright-core").exists(),
    reason="needs node, Debian's chromium and playwright-core (scripts/setup.sh installs them)",
)


@pytest.fixture(scope="module")
def server(database_url):
    with psycopg.connect(to_libpq_url(database_url)) as c:
        key = add_user(c, "page.env", "environment")
        c.execute(
            "INSERT INTO notify.subscriptions (subscriber, channel, address, kind, area)"
            " VALUES ('page.env', 'email', 'mine@example.vn', 'exceedance', %s)",
            [STATION],
        )
        c.commit()
        stored_report_station(c, STATION, "Trạm trang")
    live = LiveServer(maps_settings(database_url)).start()
    yield live, key
    live.stop()


def test_panel_lists_adds_and_deletes(server, tmp_path):
    live, key = server
    shot = tmp_path / "notify-panel.png"
    out = subprocess.run(
        ["node", "tests/browser/notify.mjs", live.url, key, str(shot)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "AREA": STATION},
    )
    line = next(x for x in out.stdout.splitlines() if x.startswith("RESULT "))
    result = json.loads(line[len("RESULT ") :])
    assert result["ok"], (result, out.stderr[-2000:])
    assert result["errors"] == [] and result["external"] == []
    assert any("Vượt quy chuẩn" in x and "mine@example.vn" in x for x in result["before"])
    assert any(STATION in x and "2026-11" in x for x in result["reports"])
    assert any(h.endswith("format=pdf") for h in result["links"])
    assert any(h.endswith("format=xlsx") for h in result["links"])
    assert len(result["after"]) == 1 and "page@example.vn" in result["after"][0]
    assert shot.exists()
