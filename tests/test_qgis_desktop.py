"""QGIS 3.22 (Debian's PyQGIS, headless) against a live ioc-gis, as a land official uses it.

One QGIS application for the module: tests/qgis/checks.py runs every check in a subprocess of
the system Python and reports what QGIS saw as JSON; each test here judges one point of
issue 13. ``IOC_QGIS_SCREENSHOTS=DIR`` keeps the rendered canvases (docs/img/qgis-*.png).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest

from gis.access.keys import add_user
from gis.settings import to_libpq_url
from layers.styles import LAND_USE_PALETTE_UNOFFICIAL
from tests.fixtures.web import KNOWN_NAME, LiveServer

SYSTEM_PYTHON = "/usr/bin/python3"
SCRIPT = Path(__file__).parent / "qgis" / "checks.py"

pytestmark = pytest.mark.skipif(
    subprocess.run([SYSTEM_PYTHON, "-c", "import qgis.core"], capture_output=True).returncode,
    reason="PyQGIS (Debian python3-qgis) is not installed: scripts/setup.sh installs it",
)


@pytest.fixture(scope="module")
def qgis(live_server: LiveServer, database_url: str, tmp_path_factory: pytest.TempPathFactory
         ) -> dict[str, Any]:  # fmt: skip
    """What QGIS saw (tests/qgis/checks.py's JSON)."""
    user = f"qgis-desk-{uuid.uuid4().hex[:6]}"
    with psycopg.connect(to_libpq_url(database_url), autocommit=True) as conn:
        key = add_user(conn, user, "land")
    work = tmp_path_factory.mktemp("qgis")
    args = {"base": live_server.url, "user": user, "key": key, "out": str(work / "img"),
            "profile": str(work / "profile")}  # fmt: skip
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(work)}
    env.pop("PYTHONPATH", None)
    run = subprocess.run(
        [SYSTEM_PYTHON, str(SCRIPT)], input=json.dumps(args), capture_output=True, text=True,
        env=env, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-4000:]
    (work / "result.json").write_text(run.stdout, encoding="utf-8")  # for a failure's reader
    result: dict[str, Any] = json.loads(run.stdout.strip().splitlines()[-1])
    assert "error" not in result, result["error"]
    keep = os.environ.get("IOC_QGIS_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        for png in (work / "img").glob("*.png"):
            shutil.copy(png, Path(keep) / png.name)
    result["_img"] = str(work / "img")
    return result


def test_qgis_has_the_providers_used(qgis):
    assert qgis["qgis"].startswith("3.")
    assert {"OAPIF", "vectortile"} <= set(qgis["providers"])


def test_anonymous_qgis_sees_parcels_without_land_users(qgis):
    anon = qgis["anonymous"]
    assert anon["valid"] and anon["count"] == 120
    assert "land_users_text" not in anon["fields"] and "land_users" not in anon["fields"]


def test_basic_sign_in_shows_land_users_as_text(qgis):
    land = qgis["land"]
    assert land["valid"] and land["count"] == 120
    assert "land_users_text" in land["fields"]
    assert any(KNOWN_NAME in v for v in land["values"])


def test_qgis_cache_never_serves_one_role_to_another(qgis):
    assert qgis["cache_control_stored"]  # the cache works: it keeps what it may keep
    assert not qgis["items_cached"]  # … and keeps no caller-dependent answer
    assert "land_users_text" in qgis["land"]["fields"]  # not the cached anonymous answer
    again = qgis["anonymous_again"]
    assert again["count"] == 120 and "land_users_text" not in again["fields"]
    assert again["values"] == []


def test_date_filter_loads_the_layer(qgis):
    dated = qgis["datetime"]
    assert dated["valid"] and dated["count"] == 120


def test_qgis_pages_with_the_servers_maximum(qgis):
    anon = qgis["anonymous"]
    # QGIS 3.22 pages by min(server maximum, 1000) once it finds the shared parameter
    # (before: its default of 100 a page, two requests for these 120 parcels).
    assert anon["item_requests"] == 1, anon["item_urls"]
    assert "limit=1000" in anon["item_urls"][0]


def test_zoom_to_layer_is_the_parcels_not_the_country(qgis, client):
    real = client.get("/collections/parcels").json()["extent"]["spatial"]["bbox"][0]
    assert qgis["extent"] == pytest.approx(real, abs=1e-6)
    assert real[2] - real[0] < 0.1  # a commune, not Việt Nam


def _near(rgb: list[int], hex_colour: str, alpha: float = 0.8, tolerance: int = 12) -> bool:
    target = [int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]
    blended = [alpha * c + (1 - alpha) * 255 for c in target]  # over the white background
    return all(abs(a - b) <= tolerance for a, b in zip(rgb, blended, strict=True))


def test_vector_tiles_draw_the_land_use_colours(qgis):
    drawn = qgis["vector_tiles"]["label_arrays"]
    assert drawn["valid"] and len(drawn["samples"]) >= 3
    for s in drawn["samples"]:
        assert _near(s["rgb"], LAND_USE_PALETTE_UNOFFICIAL[s["code"]]), s
    # The control: bare string labels, as before, come out in the fallback grey.
    grey = qgis["vector_tiles"]["bare_labels"]["samples"]
    assert not any(_near(s["rgb"], LAND_USE_PALETTE_UNOFFICIAL[s["code"]]) for s in grey)


def test_qml_style_gives_colours_and_cadastral_labels(qgis):
    qml = qgis["qml"]
    assert qml["status"] == 200 and qml["loaded"], qml["message"]
    assert qml["renderer"] == "categorizedSymbol"
    for s in qml["samples"]:
        assert _near(s["rgb"], LAND_USE_PALETTE_UNOFFICIAL[s["code"]]), s
    assert qml["labels"] and "parcel_number" in qml["label_expression"]


def test_project_file_opens_with_every_layer_valid(qgis, database_url):
    project = qgis["project"]
    assert project["status"] == 200 and project["read"]
    with psycopg.connect(to_libpq_url(database_url)) as conn:
        (zone,) = conn.execute(
            "SELECT tm3_srid FROM admin.communes WHERE province_code = '01'"
            " GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()
    assert zone == 5897  # Hà Nội's map sheets: VN-2000 / TM-3 105°00' (EPSG:5897)
    assert project["crs"] == f"EPSG:{zone}"
    assert project["layers"] and all(project["layers"].values()), project["layers"]
    assert project["providers"] == ["OAPIF"]
    assert "land_users_text" in project["parcels_fields"]  # its layers use the Basic config


def test_layer_definition_adds_the_styled_signed_in_layer(qgis):
    qlr = qgis["qlr"]
    assert qlr["status"] == 200 and len(qlr["layers"]) == 1
    valid, renderer, fields = qlr["layers"][0]
    assert valid and renderer == "categorizedSymbol" and "land_users_text" in fields
