"""The legal outputs over HTTP: by code, extract PDF, lineage, split/merge for the land role,
and ``parcel_code`` in tiles and features (CQL2), with the database roles of a deployment."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import mapbox_vector_tile
import psycopg
import pytest
import shapely
from fastapi.testclient import TestClient
from shapely.geometry import mapping

from gis.parcels.importer import import_parcels
from gis.parcels.split_rules import Minimum, set_minimum
from gis.settings import to_libpq_url
from tests.fixtures.web import caller_headers, tile_of

SHEET = 920
COUNT = 4


@pytest.fixture(scope="module")
def placed(database_url: str, web_data: None, module_parcels: object,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[psycopg.Connection]:
    """Four parcels of this module's own on sheet 920 of the sample ward; ODT minimum set."""
    frame = module_parcels(COUNT, start=900, first_sheet=SHEET)  # type: ignore[operator]
    frame["land_use"] = "ODT"
    path = tmp_path_factory.mktemp("web") / "parcels.gpkg"
    frame.to_file(path, driver="GPKG")
    assert import_parcels(path, "EPSG:5897", url=database_url).added == COUNT
    with psycopg.connect(to_libpq_url(database_url), autocommit=True) as db:
        set_minimum(db, Minimum("01", "ODT", 30.0, None, None, "test"))
        yield db


@pytest.fixture(scope="module")
def module_parcels(sample_boundary: object) -> object:
    """The land fixtures' parcel maker, module-scoped here."""
    from tests.fixtures.land import SAMPLE_COMMUNE, SAMPLE_SRID, grid_parcels

    def make(count: int, *, start: int, first_sheet: int) -> object:
        return grid_parcels(sample_boundary, count, commune=SAMPLE_COMMUNE, srid=SAMPLE_SRID,
                            per_sheet=50, start=start, first_sheet=first_sheet)

    return make


def one(db: psycopg.Connection, number: int) -> tuple[int, str, float, float]:
    """(id, code, lon, lat inside) of a current parcel of the test sheet."""
    row = db.execute(
        "SELECT id, parcel_code, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom))"
        " FROM land.parcels WHERE commune_code = '00070' AND sheet_number = %s"
        " AND parcel_number = %s AND valid_to IS NULL", (SHEET, number)).fetchone()
    assert row is not None
    return int(row[0]), str(row[1]), float(row[2]), float(row[3])


def audits(db: psycopg.Connection, action: str) -> int:
    """Audit rows of an action."""
    row = db.execute("SELECT count(*) FROM audit.personal_data_views WHERE action = %s",
                     (action,)).fetchone()
    return int(row[0]) if row else 0


def test_by_code_and_in_tiles_and_features(client: TestClient, role_keys: dict[str, str],
                                           placed: psycopg.Connection) -> None:
    fid, code, lon, lat = one(placed, 1)
    public = client.get(f"/parcels/code/{code.upper()}", headers=caller_headers(role_keys,
                                                                                "public"))
    assert public.status_code == 200 and public.json()["parcel_number"] == 1
    assert public.json()["parcel_code"] == code and "users" not in public.json()
    before = audits(placed, "parcel")
    land = client.get(f"/parcels/code/{code}", headers=caller_headers(role_keys, "land"))
    assert land.json()["users"] and audits(placed, "parcel") == before + 1
    assert client.get("/parcels/code/zzzzzzzzzzzz").status_code == 404
    assert client.get("/parcels/code/abc").status_code == 400
    items = client.get("/collections/parcels/items",
                       params={"filter": f"parcel_code = '{code}'"}).json()["features"]
    assert [f["id"] for f in items] == [fid]
    assert items[0]["properties"]["parcel_code"] == code
    assert "land_users_text" not in items[0]["properties"]
    z, x, y = tile_of(lon, lat, 18)
    layer = mapbox_vector_tile.decode(client.get(f"/tiles/parcels/{z}/{x}/{y}.mvt").content)
    codes = {f["id"]: f["properties"].get("parcel_code") for f in layer["parcels"]["features"]}
    assert codes[fid] == code


def test_extract_pdf_by_role(client: TestClient, role_keys: dict[str, str],
                             placed: psycopg.Connection, tmp_path: Path) -> None:
    url = f"/parcels/00070/{SHEET}/2/extract.pdf"
    before = audits(placed, "extract")
    texts = {}
    for caller in ("anonymous", "land"):
        r = client.get(url, headers=caller_headers(role_keys, caller))
        assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
        (tmp_path / f"{caller}.pdf").write_bytes(r.content)
        texts[caller] = subprocess.run(["pdftotext", str(tmp_path / f"{caller}.pdf"), "-"],
                                       check=True, capture_output=True, text=True).stdout
    assert one(placed, 2)[1] in texts["anonymous"]
    assert "giả lập" not in texts["anonymous"] and "giả lập" in texts["land"]
    assert audits(placed, "extract") == before + 1
    assert client.get(f"/parcels/00070/{SHEET}/99/extract.pdf").status_code == 404


def test_split_and_merge_for_the_land_role_only(
    client: TestClient, role_keys: dict[str, str], placed: psycopg.Connection
) -> None:
    row = placed.execute(
        "SELECT ST_AsGeoJSON(ST_Boundary(geom)), ST_XMin(geom), ST_XMax(geom), ST_YMin(geom),"
        " ST_YMax(geom) FROM land.parcels WHERE commune_code = '00070' AND sheet_number = %s"
        " AND parcel_number = 3 AND valid_to IS NULL", (SHEET,)).fetchone()
    assert row is not None
    _, x0, x1, y0, y1 = row
    mid = (x0 + x1) / 2
    line = mapping(shapely.LineString([(mid, y0 - 1e-4), (mid, y1 + 1e-4)]))
    url = f"/parcels/00070/{SHEET}/3/split"
    assert client.post(url, json={"line": line}).status_code == 401
    assert client.post(url, json={"line": line},
                       headers=caller_headers(role_keys, "public")).status_code == 403
    land = caller_headers(role_keys, "land")
    refused = client.post(url, json={"line": mapping(shapely.LineString(
        [(mid, y0 + 1e-5), (mid, y0 + 2e-5)]))}, headers=land)
    assert refused.status_code == 400 and "does not cross" in refused.json()["description"]
    r = client.post(url, json={"line": line}, headers=land)
    assert r.status_code == 200, r.text
    made = r.json()["parcels"]
    assert [p["parcel_number"] for p in made] == [COUNT + 1, COUNT + 2]
    assert all(p["users"] is None and len(p["parcel_code"]) == 12 for p in made)
    tree = client.get(f"/parcels/00070/{SHEET}/3/lineage").json()
    assert {c["parcel"] for c in tree["children"]} == {
        f"00070/{SHEET}/{COUNT + 1}", f"00070/{SHEET}/{COUNT + 2}"}
    merge = f"/parcels/00070/{SHEET}/merge"
    assert client.post(merge, json={"numbers": [COUNT + 1, COUNT + 2]},
                       headers=caller_headers(role_keys, "environment")).status_code == 403
    r = client.post(merge, json={"numbers": [COUNT + 1, COUNT + 2]}, headers=land)
    assert r.status_code == 200, r.text
    assert r.json()["parcels"][0]["legal_area_m2"] == 400.0
    ops = placed.execute("SELECT kind, subject, role FROM land.parcel_operations"
                         " WHERE sheet_number = %s ORDER BY id", (SHEET,)).fetchall()
    assert ops == [("split", "test-land", "land"), ("merge", "test-land", "land")]


def test_split_by_features_in_the_sheet_crs(
    client: TestClient, role_keys: dict[str, str], placed: psycopg.Connection
) -> None:
    row = placed.execute(
        "SELECT ST_XMin(geom_native), ST_YMin(geom_native), ST_XMax(geom_native),"
        " ST_YMax(geom_native) FROM land.parcels WHERE commune_code = '00070'"
        " AND sheet_number = %s AND parcel_number = 4 AND valid_to IS NULL", (SHEET,)).fetchone()
    assert row is not None
    x0, y0, x1, y1 = row
    halves = [shapely.box(x0, y0, x0 + 5, y1), shapely.box(x0 + 5, y0, x1, y1)]
    features = [{"type": "Feature", "geometry": mapping(g), "properties": {"land_use": "ODT"}}
                for g in halves]
    url = f"/parcels/00070/{SHEET}/4/split"
    land = caller_headers(role_keys, "land")
    bad = [{**features[0], "properties": {"merge_with": "x; DROP"}}, features[1]]
    r = client.post(url, json={"crs": "EPSG:5897", "features": bad}, headers=land)
    assert r.status_code == 400 and "merge_with" in r.json()["description"]
    r = client.post(url, json={"crs": "EPSG:5897", "features": features}, headers=land)
    assert r.status_code == 200, r.text
    assert sorted(p["legal_area_m2"] for p in r.json()["parcels"]) == [100.0, 300.0]
