"""``iocgis admin …`` against the loaded test database: output, JSON and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cli.common import run_app
from cli.main import app

pytestmark = pytest.mark.usefixtures("admin_loaded")


def iocgis(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    """Run the CLI in-process; (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["iocgis", *args])
    code = run_app(app)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_at_prints_commune_and_province(monkeypatch, capsys):
    code, out, _ = iocgis(
        monkeypatch, capsys, "admin", "at", "--lon", "105.8523", "--lat", "21.0287"
    )
    assert code == 0
    assert out.strip() == "00070 Phường Hoàn Kiếm (phường), province 01 Hà Nội"


def test_at_json_and_vn2000_point(monkeypatch, capsys):
    code, out, _ = iocgis(monkeypatch, capsys, "admin", "at", "--x", "588394.32", "--y",
                          "2326366.40", "--crs", "EPSG:5897", "--json")  # fmt: skip
    assert code == 0
    data = json.loads(out)
    assert data["province_code"] == "01" and data["commune_kind"] == "phuong"
    assert data["commune_name"] == "Hoàn Kiếm"


def test_at_sea_is_one_line_and_exit_1(monkeypatch, capsys):
    code, out, err = iocgis(monkeypatch, capsys, "admin", "at", "--lon", "108", "--lat", "17.5")
    assert code == 1
    assert out == ""
    assert err.strip().startswith("nothing here")
    assert len(err.strip().splitlines()) == 1


def test_at_needs_a_whole_point(monkeypatch, capsys):
    code, _, err = iocgis(monkeypatch, capsys, "admin", "at", "--lon", "105.8")
    assert code == 2
    assert "--lat" in err


def test_successors_text_and_json(monkeypatch, capsys):
    code, out, _ = iocgis(monkeypatch, capsys, "admin", "successors", "02")
    assert (code, out.strip()) == (0, "02 Hà Giang → 08 Tuyên Quang")
    code, out, _ = iocgis(monkeypatch, capsys, "admin", "successors", "00007", "--json")
    rows = json.loads(out)
    assert [r["commune_code"] for r in rows] == ["00008", "00025"]
    assert all(r["divided"] for r in rows)
    code, out, _ = iocgis(monkeypatch, capsys, "admin", "successors", "00007")
    assert out.count("[divided]") == 2


def test_communes_of_a_province(monkeypatch, capsys):
    code, out, _ = iocgis(monkeypatch, capsys, "admin", "communes", "01")
    lines = out.strip().splitlines()
    assert code == 0 and len(lines) == 126
    assert lines[0] == "00004\tphường\tBa Đình\tEPSG:5897"
    code, out, _ = iocgis(monkeypatch, capsys, "admin", "communes", "79", "--json")
    assert len(json.loads(out)) == 168
    code, _, err = iocgis(monkeypatch, capsys, "admin", "communes", "03")
    assert code == 1 and "no province with code 03" in err


def test_load_reports_counts_and_data_problems(monkeypatch, capsys, database_url):
    code, out, err = iocgis(monkeypatch, capsys, "admin", "load")
    assert code == 0
    assert "communes          inserted      0  updated      0  unchanged   3321" in out
    assert "matched by name to 06978" in err


def test_installed_command_exit_code_at_sea(database_url):
    exe = Path(sys.executable).with_name("iocgis")
    env = {**os.environ, "IOC_DATABASE_URL": database_url}
    sea = subprocess.run([str(exe), "admin", "at", "--lon", "110", "--lat", "14"],
                         capture_output=True, text=True, env=env, timeout=60)  # fmt: skip
    assert sea.returncode == 1
    assert sea.stdout == "" and sea.stderr.startswith("nothing here")
