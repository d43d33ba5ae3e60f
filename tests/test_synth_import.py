"""Synthetic parcels go through the real importer with zero rejects; the CLI end to end."""

from __future__ import annotations

import json
import sys

import psycopg
import pyogrio
import pytest
import shapely
from pyproj import Transformer

from cli.common import run_app
from cli.main import app
from gis.crs import bound_crs
from gis.parcels.importer import import_parcels
from gis.parcels.queries import get_parcel, parcel_at
from gis.settings import to_libpq_url
from gis.synth import synth_parcels

pytestmark = pytest.mark.usefixtures("admin_loaded")

#: Xã Minh Châu and Xã Ngọc Hồi (Hà Nội): communes no other test area imports parcels into.
IMPORTED = "09661"
CLI_COMMUNE = "00679"


def iocgis(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    """Run the CLI in-process; (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["iocgis", *args])
    code = run_app(app)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_generated_file_imports_with_zero_rejects(database_url, tmp_path):
    summary = synth_parcels(tmp_path / "mc.gpkg", 600, communes=[IMPORTED], seed=3,
                            url=database_url)  # fmt: skip
    layer = summary.layers[0]
    result = import_parcels(summary.path, layer.crs, layer=layer.name, url=database_url)
    assert result.rejected == {}
    assert result.added == 600 and result.features == 600
    again = import_parcels(summary.path, layer.crs, layer=layer.name, url=database_url)
    assert again.added == 0 and again.unchanged == 600 and again.rejected == {}

    frame = pyogrio.read_dataframe(summary.path)
    with psycopg.connect(to_libpq_url(database_url)) as conn:
        stored = conn.execute(
            "SELECT count(*), count(DISTINCT sheet_id), sum(legal_area_m2)"
            " FROM land.parcels WHERE commune_code = %s AND valid_to IS NULL",
            (IMPORTED,),
        ).fetchone()
        srids = conn.execute(
            "SELECT DISTINCT srid FROM land.map_sheets WHERE commune_code = %s", (IMPORTED,)
        ).fetchall()
    assert stored[0] == 600 and stored[1] == frame["sheet_number"].nunique()
    assert float(stored[2]) == pytest.approx(shapely.area(frame.geometry.values).sum(), abs=60)
    assert srids == [(layer.srid,)]

    # A point inside a generated parcel finds that very parcel.
    row = frame.iloc[123]
    point = shapely.point_on_surface(row.geometry)
    to_wgs84 = Transformer.from_crs(bound_crs(layer.srid), "EPSG:4326", always_xy=True)
    lon, lat = to_wgs84.transform(point.x, point.y)
    found = parcel_at(lon, lat)
    assert (found.commune_code, found.sheet_number, found.parcel_number) == (
        IMPORTED, row["sheet_number"], row["parcel_number"]
    )  # fmt: skip
    codes = [p.code for p in get_parcel(IMPORTED, int(row["sheet_number"]),
                                        int(row["parcel_number"]))[0].purposes]  # fmt: skip
    assert codes == [c.split(":")[0] for c in row["land_use"].split(";")]


def test_cli_synth_and_import(monkeypatch, capsys, tmp_path):
    out_file = tmp_path / "nh.gpkg"
    code, out, err = iocgis(monkeypatch, capsys, "data", "synth-parcels", "--commune",
                            CLI_COMMUNE, "--count", "350", "--out", str(out_file), "--seed",
                            "1", "--import", "--json")  # fmt: skip
    assert code == 0, err
    data = json.loads(out)
    assert data["count"] == 350 and data["layers"][0]["crs"] == "EPSG:5897"
    assert data["imports"][0]["added"] == 350 and data["imports"][0]["rejected"] == {}
    assert pyogrio.read_info(out_file)["features"] == 350

    # The demo runs this twice: the same arguments regenerate the same parcels, which the
    # importer recognises as unchanged.
    code, out, err = iocgis(monkeypatch, capsys, "data", "synth-parcels", "--commune",
                            CLI_COMMUNE, "--count", "350", "--out", str(out_file), "--seed",
                            "1", "--import", "--json")  # fmt: skip
    assert code == 0, err
    again = json.loads(out)["imports"][0]
    assert (again["added"], again["versioned"], again["unchanged"]) == (0, 0, 350)

    small = str(tmp_path / "t.gpkg")
    code, out, _ = iocgis(monkeypatch, capsys, "data", "synth-parcels", "--commune",
                          CLI_COMMUNE, "--count", "40", "--out", small)  # fmt: skip
    assert code == 0 and "wrote 40 parcels" in out and "layer parcels: 40 parcels" in out


def test_cli_errors_exit_codes(monkeypatch, capsys, tmp_path):
    code, _, err = iocgis(monkeypatch, capsys, "data", "synth-parcels", "--commune", "99999",
                          "--count", "10", "--out", str(tmp_path / "x.gpkg"))  # fmt: skip
    assert code == 1 and "99999" in err
    code, _, err = iocgis(monkeypatch, capsys, "data", "synth-parcels", "--commune", IMPORTED,
                          "--count", "10", "--out", str(tmp_path / "x.geojson"))  # fmt: skip
    assert code == 2 and "GeoPackage" in err
