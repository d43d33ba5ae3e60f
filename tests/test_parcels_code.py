"""The national parcel code: computed on import and edit, unique, stable, found by code.

Every code is checked against an independent computation: shapely's polylabel in the sheet's
TM-3 zone, PROJ's own EPSG:6960 operation (picked from the TransformerGroup by name, not the
project's bound CRS) and PostGIS's ST_GeoHash as the GeoHash encoder.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import psycopg
import pytest
import shapely
from pyproj.crs import CoordinateOperation
from pyproj.transformer import TransformerGroup
from shapely import affinity
from shapely.ops import polylabel

from gis.errors import InvalidInput, NotFound
from gis.parcels.code import (
    backfill,
    normalise_code,
    parcel_by_code,
    parcel_code,
    polylabel_tolerance,
)
from gis.parcels.history import edit_parcel
from gis.parcels.importer import import_parcels
from gis.parcels.model import R_CODE_TAKEN
from gis.parcels.queries import get_parcel
from gis.settings import to_libpq_url
from tests.fixtures.land import commune_native, grid_parcels

#: (province, TM-3 zone EPSG) of the three cities: Hà Nội 105°, Đà Nẵng 107°45′, TP HCM 105°45′.
ZONES = {"01": 5897, "48": 5899, "79": 9210}
FIRST_SHEET = 71  # sheets of this module (other modules use lower numbers)
COUNT = 12


def independent_code(geom: shapely.Geometry, srid: int, db: psycopg.Connection) -> str:
    """The code by other means than gis.parcels.code."""
    largest = max(getattr(geom, "geoms", [geom]), key=lambda g: g.area)
    point = polylabel(largest, tolerance=polylabel_tolerance(largest))
    name = CoordinateOperation.from_epsg(6960).name
    (tr,) = [t for t in TransformerGroup(srid, 4326, always_xy=True).transformers
             if name in t.description]
    lon, lat = tr.transform(point.x, point.y)
    row = db.execute("SELECT ST_GeoHash(ST_SetSRID(ST_MakePoint(%s, %s), 4326), 12)",
                     (lon, lat)).fetchone()
    assert row is not None
    return str(row[0])


def _commune_of(db: psycopg.Connection, province: str, srid: int) -> str:
    """A ward of the province drawn in zone ``srid``, with room for a grid well inside it."""
    row = db.execute(
        "SELECT code FROM admin.communes WHERE province_code = %s AND kind = 'phuong'"
        " AND tm3_srid = %s AND area_km2 BETWEEN 3 AND 40 ORDER BY code LIMIT 1",
        (province, srid),
    ).fetchone()
    assert row is not None, f"no ward in zone EPSG:{srid} in province {province}"
    return str(row[0])


@pytest.fixture(scope="module")
def db(database_url: str, admin_loaded: object) -> Iterator[psycopg.Connection]:
    """An autocommit connection for the module's reads."""
    with psycopg.connect(to_libpq_url(database_url), autocommit=True) as c:
        yield c


@pytest.fixture(scope="module")
def files(db: psycopg.Connection, database_url: str,
          tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, int, Path]]:
    """One parcel file per city (province → commune, zone, path), imported once."""
    out = {}
    for province, srid in ZONES.items():
        commune = _commune_of(db, province, srid)
        frame = grid_parcels(commune_native(database_url, commune, srid), COUNT,
                             commune=commune, srid=srid, start=0, first_sheet=FIRST_SHEET)
        path = tmp_path_factory.mktemp("codes") / f"parcels_{province}.gpkg"
        frame.to_file(path, driver="GPKG")
        summary = import_parcels(path, f"EPSG:{srid}", url=database_url)
        assert summary.added == COUNT, summary
        out[province] = (commune, srid, path)
    return out


def _stored(db: psycopg.Connection, commune: str) -> list[tuple[int, str, bytes, int]]:
    """(parcel number, code, native WKB, srid) of the module's current parcels of a commune."""
    return db.execute(
        "SELECT parcel_number, parcel_code, ST_AsBinary(geom_native), srid FROM land.parcels"
        " WHERE commune_code = %s AND sheet_number = %s AND valid_to IS NULL"
        " ORDER BY parcel_number",
        (commune, FIRST_SHEET),
    ).fetchall()


def test_codes_equal_an_independent_computation_in_three_zones(
    db: psycopg.Connection, files: dict[str, tuple[str, int, Path]]
) -> None:
    seen = set()
    for commune, srid, _ in files.values():
        rows = _stored(db, commune)
        assert len(rows) == COUNT
        for _number, code, wkb, stored_srid in rows:
            assert stored_srid == srid
            assert code == independent_code(shapely.from_wkb(bytes(wkb)), srid, db)
            assert len(code) == 12
            seen.add(code)
    assert len(seen) == COUNT * len(ZONES)


def test_codes_are_stable_across_reimport(
    db: psycopg.Connection, files: dict[str, tuple[str, int, Path]], database_url: str
) -> None:
    commune, srid, path = files["48"]
    before = _stored(db, commune)
    summary = import_parcels(path, f"EPSG:{srid}", url=database_url)
    assert (summary.added, summary.versioned, summary.unchanged) == (0, 0, COUNT)
    assert _stored(db, commune) == before
    # The same geometry computed again (as a new import of it would) gives the same code.
    for _n, code, wkb, _s in before:
        assert parcel_code(shapely.from_wkb(bytes(wkb)), srid) == code


def test_find_by_code_and_get_includes_it(
    db: psycopg.Connection, files: dict[str, tuple[str, int, Path]]
) -> None:
    commune, _srid, _ = files["79"]
    number, code, _wkb, _s = _stored(db, commune)[3]
    found = parcel_by_code(code.upper() + " ")
    assert (found.commune_code, found.sheet_number, found.parcel_number) == (
        commune, FIRST_SHEET, number)
    assert found.parcel_code == code
    assert get_parcel(commune, FIRST_SHEET, number)[0].to_dict()["parcel_code"] == code
    with pytest.raises(NotFound):
        parcel_by_code("zzzzzzzzzzzz")
    for bad in ("w7er8u0evss", "w7er8u0evssa", "w7er8u0evss2x"):
        with pytest.raises(InvalidInput):
            parcel_by_code(bad)
    assert normalise_code(" W7ER8U0EVSS2 ") == "w7er8u0evss2"


def test_edit_moves_code_only_with_the_point_and_history_keeps_the_old(
    db: psycopg.Connection, files: dict[str, tuple[str, int, Path]]
) -> None:
    commune, srid, _ = files["01"]
    number, code, wkb, _s = _stored(db, commune)[5]
    edit_parcel(commune, FIRST_SHEET, number, address="Số mới, phố thử nghiệm")
    assert get_parcel(commune, FIRST_SHEET, number)[0].parcel_code == code  # same geometry
    moved = affinity.translate(shapely.from_wkb(bytes(wkb)), xoff=-7.0, yoff=3.0)
    edited = edit_parcel(commune, FIRST_SHEET, number, geometry=moved)
    assert edited.parcel_code != code
    assert edited.parcel_code == independent_code(moved, srid, db)
    history = get_parcel(commune, FIRST_SHEET, number, history=True)
    assert [v.parcel_code for v in history] == [edited.parcel_code, code, code]


def test_a_clash_is_an_import_reject_naming_both(
    db: psycopg.Connection, files: dict[str, tuple[str, int, Path]], database_url: str,
    tmp_path: Path,
) -> None:
    commune, srid, path = files["79"]
    frame = gpd.read_file(path).iloc[[0, 1]].copy()
    taken = _stored(db, commune)[0]
    frame["sheet_number"] = FIRST_SHEET + 1
    frame["parcel_number"] = [1, 2]
    frame.loc[frame.index[1], "geometry"] = affinity.translate(
        frame.geometry.iloc[1], xoff=1000.0)  # a free place: this one goes in
    new = tmp_path / "clash.gpkg"
    frame.to_file(new, driver="GPKG")
    summary = import_parcels(new, f"EPSG:{srid}", url=database_url)
    assert summary.added == 1 and summary.rejected == {R_CODE_TAKEN: 1}
    row = db.execute(
        "SELECT reason FROM land.import_rejects WHERE import_id = %s", (summary.import_id,)
    ).fetchone()
    assert row is not None
    reason = str(row[0])
    assert taken[1] in reason
    assert f"{commune}/{FIRST_SHEET + 1}/1" in reason
    assert f"{commune}/{FIRST_SHEET}/{taken[0]}" in reason
    # An edit onto another parcel's place is refused the same way.
    with pytest.raises(InvalidInput, match=R_CODE_TAKEN):
        edit_parcel(commune, FIRST_SHEET + 1, 2, geometry=shapely.from_wkb(bytes(taken[2])))


def test_backfill_recomputes_the_stored_codes(
    database_url: str, files: dict[str, tuple[str, int, Path]]
) -> None:
    with psycopg.connect(to_libpq_url(database_url)) as c:
        query = "SELECT id, parcel_code FROM land.parcels"
        before: dict[int, str] = dict(c.execute(query).fetchall())
        c.execute("ALTER TABLE land.parcels DISABLE TRIGGER parcels_guard")
        c.execute("DROP INDEX land.parcels_code_key")
        c.execute("UPDATE land.parcels SET parcel_code = NULL")
        c.execute("ALTER TABLE land.parcels ENABLE TRIGGER parcels_guard")
        assert backfill(c) == len(before)
        assert dict(c.execute(query).fetchall()) == before
        c.rollback()


def test_migration_gives_stored_parcels_their_code() -> None:
    """Parcels stored before migration 0012 get their code when it runs (same computation)."""
    from gis import migrate
    from gis.admin import load_admin_units
    from gis.db import drop_database
    from tests.conftest import BASE_URL

    url = f"{BASE_URL}/iocgis_code_mig_{uuid.uuid4().hex[:8]}"
    try:
        migrate.upgrade(url, "0008_access")
        load_admin_units(url)
        square = shapely.box(585_000, 2_326_000, 585_020, 2_326_020)
        with psycopg.connect(to_libpq_url(url)) as c:
            c.execute("INSERT INTO land.map_sheets (commune_code, sheet_number, srid)"
                      " VALUES ('00070', 1, 5897)")
            c.execute(
                "INSERT INTO land.parcels (commune_code, sheet_id, sheet_number, parcel_number,"
                " legal_area_m2, srid, geom_native, geom, content_hash) SELECT '00070', id, 1, 1,"
                " 400, 5897, ST_Multi(ST_GeomFromWKB(%(g)s, 5897)),"
                " ST_Transform(ST_Multi(ST_GeomFromWKB(%(g)s, 5897)), 4326), 'x'"
                " FROM land.map_sheets", {"g": shapely.to_wkb(square)})
        migrate.upgrade(url)
        with psycopg.connect(to_libpq_url(url)) as c:
            row = c.execute("SELECT parcel_code FROM land.parcels").fetchone()
            assert row is not None and row[0] == parcel_code(square, 5897)
            assert row[0] == independent_code(square, 5897, c)
    finally:
        drop_database(url)


def test_the_view_carries_code_and_land_users_as_text(
    db: psycopg.Connection, files: dict[str, tuple[str, int, Path]]
) -> None:
    commune, _srid, _ = files["48"]
    row = db.execute(
        "SELECT parcel_code, land_users_text FROM layers.parcels WHERE commune_code = %s"
        " AND sheet_number = %s AND parcel_number = 1", (commune, FIRST_SHEET)).fetchone()
    assert row is not None
    assert row[0] == _stored(db, commune)[0][1]
    assert row[1] == "Người 0 (giả lập) (SYN000000000); Vợ 0 (giả lập) (SYNW00000000)"
