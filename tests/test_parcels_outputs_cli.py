"""``iocgis parcels`` code, extract, split, merge, lineage, minimums, codes (CLI entry point)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import psycopg
import pytest
import shapely

from cli.common import run_app
from cli.main import app
from gis.parcels.importer import import_parcels
from gis.settings import to_libpq_url

SHEET = 950


@dataclass
class Done:
    """What a command printed and its exit code."""

    returncode: int
    stdout: str
    stderr: str


@pytest.fixture()
def iocgis(database_url: str, capsys: pytest.CaptureFixture[str],
           monkeypatch: pytest.MonkeyPatch) -> Callable[..., Done]:
    """``iocgis parcels ARGS`` in this process (the same entry point as the installed command,
    with its exit codes), against the test database."""
    monkeypatch.setenv("COLUMNS", "200")

    def run(*args: str) -> Done:
        capsys.readouterr()
        code = run_app(app, ["parcels", *args])
        out = capsys.readouterr()
        return Done(code, out.out, out.err)

    return run


def test_commands_of_the_legal_outputs(
    database_url: str, make_parcels: Callable[..., gpd.GeoDataFrame], tmp_path: Path,
    iocgis: Callable[..., Done],
) -> None:
    frame = make_parcels(5, start=950, first_sheet=SHEET)
    frame["land_use"] = "ODT"
    frame.to_file(tmp_path / "p.gpkg", driver="GPKG")
    assert import_parcels(tmp_path / "p.gpkg", "EPSG:5897", url=database_url).added == 5
    done = iocgis("minimums", "set", "01", "odt", "30", "--width", "3",
                  "--source", "test")
    assert done.returncode == 0, done.stderr
    listed = json.loads(iocgis("minimums", "list", "01", "--json").stdout)
    assert {"province_code": "01", "land_use_code": "ODT", "min_area_m2": 30.0,
            "min_width_m": 3.0, "min_depth_m": None, "source": "test"} in listed

    got = json.loads(iocgis("get", "00070", str(SHEET), "1", "--json").stdout)
    code = got["parcel_code"]
    by_code = iocgis("code", code.upper(), "--json")
    assert json.loads(by_code.stdout)["parcel_number"] == 1
    assert f"parcel code: {code}" in iocgis("code", code).stdout
    assert iocgis("code", "zzzzzzzzzzzz").returncode == 1
    assert iocgis("code", "nope").returncode == 2

    with psycopg.connect(to_libpq_url(database_url)) as c:
        x0, y0, x1, y1 = c.execute(
            "SELECT ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom) FROM land.parcels"
            " WHERE commune_code = '00070' AND sheet_number = %s AND parcel_number = 1"
            " AND valid_to IS NULL", (SHEET,)).fetchone()  # type: ignore[misc]
    mid = (x0 + x1) / 2
    line = gpd.GeoDataFrame(geometry=[shapely.LineString([(mid, y0 - 1e-4), (mid, y1 + 1e-4)])],
                            crs="EPSG:4326")
    line.to_file(tmp_path / "line.geojson", driver="GeoJSON")
    split = iocgis("split", "00070", str(SHEET), "1", "--line",
                   str(tmp_path / "line.geojson"), "--json")
    assert split.returncode == 0, split.stderr
    made = json.loads(split.stdout)
    assert made["kind"] == "split" and [p["parcel_number"] for p in made["parcels"]] == [6, 7]
    assert sum(p["legal_area_m2"] for p in made["parcels"]) == 400.0

    # A refused split: the pieces leave a gap (exit 2, the reason on stderr).
    cell = frame.geometry.iloc[1]
    bx0, by0, bx1, by1 = cell.bounds
    gpd.GeoDataFrame(geometry=[shapely.box(bx0, by0, bx0 + 9, by1),
                               shapely.box(bx0 + 10, by0, bx1, by1)], crs="EPSG:5897").to_file(
        tmp_path / "gap.gpkg", driver="GPKG")
    refused = iocgis("split", "00070", str(SHEET), "2", "--geometries",
                     str(tmp_path / "gap.gpkg"))
    assert refused.returncode == 2 and "20.00 m² of the parcel uncovered" in refused.stderr
    assert iocgis("split", "00070", str(SHEET), "2").returncode == 2

    merged = iocgis("merge", "00070", str(SHEET), "6", "7")
    assert merged.returncode == 0, merged.stderr
    assert "parcel 8, sheet 950" in merged.stdout and "400.0 m²" in merged.stdout
    assert iocgis("merge", "00070", str(SHEET), "2", "99").returncode == 1

    tree = json.loads(iocgis("lineage", "00070", str(SHEET), "8", "--json").stdout)
    assert sorted(p["parcel"] for p in tree["parents"]) == [f"00070/{SHEET}/6",
                                                              f"00070/{SHEET}/7"]
    text = iocgis("lineage", "00070", str(SHEET), "1").stdout
    assert f"to   00070/{SHEET}/6" in text and "by split" in text

    pdf = tmp_path / "extract.pdf"
    out = iocgis("extract", "00070", str(SHEET), "8", "--out", str(pdf))
    assert out.returncode == 0, out.stderr
    read = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout
    merged_code = json.loads(iocgis("get", "00070", str(SHEET), "8",
                                    "--json").stdout)["parcel_code"]
    assert merged_code in read and "giả lập" not in read
    assert iocgis("codes").stdout.startswith("0 parcel version(s)")
