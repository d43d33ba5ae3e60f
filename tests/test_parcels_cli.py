"""``iocgis parcels``: output and exit codes (0 done, 1 nothing here, 2 bad input)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import psycopg

from gis.parcels.model import ImportSummary
from tests.fixtures.cli import iocgis as run_iocgis


def iocgis(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``iocgis parcels ARGS`` against the test database."""
    return run_iocgis(database_url, "parcels", *args)


def test_import_prints_a_summary_and_bad_files_exit_2(
    database_url: str, make_parcels: Callable[..., gpd.GeoDataFrame], tmp_path: Path
) -> None:
    frame = make_parcels(5, start=400, first_sheet=200)
    frame.loc[1, "land_use"] = "XYZ"
    path = tmp_path / "p.gpkg"
    frame.to_file(path, driver="GPKG")
    done = iocgis(database_url, "import", str(path), "--crs", "EPSG:5897")
    assert done.returncode == 0, done.stderr
    assert "added 4, new versions 0, unchanged 0, rejected 1" in done.stdout
    assert "unknown land-use code" in done.stdout
    again = iocgis(database_url, "import", str(path), "--crs", "EPSG:5897", "--json")
    assert again.returncode == 0
    assert json.loads(again.stdout)["unchanged"] == 4

    junk = tmp_path / "junk.shp"
    junk.write_bytes(b"\x00\x01 not a shapefile")
    bad = iocgis(database_url, "import", str(junk), "--crs", "EPSG:5897")
    assert bad.returncode == 2
    assert "not a GIS file" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    assert "Traceback" not in bad.stderr
    crs = iocgis(database_url, "import", str(path), "--crs", "EPSG:4326")
    assert crs.returncode == 2 and "not a projected CRS" in crs.stderr


def test_at_get_list_summary(
    database_url: str, parcels_loaded: ImportSummary
) -> None:
    with psycopg.connect(database_url) as conn:
        lon, lat, x, y = conn.execute(
            "SELECT ST_X(ST_Transform(c, 4326)), ST_Y(ST_Transform(c, 4326)), ST_X(c), ST_Y(c)"
            " FROM (SELECT ST_PointOnSurface(geom_native) c FROM land.parcels"
            " WHERE commune_code = '00070' AND sheet_number = 1 AND parcel_number = 3"
            " AND valid_to IS NULL) t"
        ).fetchone()  # type: ignore[misc]
    at = iocgis(database_url, "at", "--lon", str(lon), "--lat", str(lat), "--json")
    assert at.returncode == 0, at.stderr
    found = json.loads(at.stdout)
    assert (found["sheet_number"], found["parcel_number"], found["province_code"]) == (1, 3, "01")
    assert "users" not in found
    xy = iocgis(database_url, "at", "--x", str(x), "--y", str(y), "--crs", "EPSG:5897")
    assert xy.returncode == 0 and "parcel 3, sheet 1, commune 00070 Hoàn Kiếm" in xy.stdout
    sea = iocgis(database_url, "at", "--lon", "109.5", "--lat", "12.0")
    assert sea.returncode == 1 and "nothing here" in sea.stderr
    half = iocgis(database_url, "at", "--lon", "105.8")
    assert half.returncode == 2

    got = iocgis(database_url, "get", "00070", "1", "3", "--history", "--json")
    assert got.returncode == 0 and json.loads(got.stdout)[0]["legal_area_m2"] == 400.0
    missing = iocgis(database_url, "get", "00070", "1", "9999")
    assert missing.returncode == 1 and "nothing here" in missing.stderr

    listed = iocgis(database_url, "list", "00070", "--land-use", "CLN", "--limit", "3")
    assert listed.returncode == 0 and len(listed.stdout.strip().splitlines()) == 3
    none = iocgis(database_url, "list", "00070", "--min-area", "1000000")
    assert none.returncode == 1

    summary = iocgis(database_url, "summary", "00070")
    assert summary.returncode == 0 and "Đất ở tại đô thị" in summary.stdout
    assert iocgis(database_url, "summary", "99999").returncode == 1
