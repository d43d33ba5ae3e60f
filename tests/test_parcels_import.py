"""Importing parcel files: formats, field map, checks and rejects, idempotence, versions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import psycopg
import pytest
import shapely
from pyproj import Transformer

from gis.crs import bound_crs
from gis.errors import ImportFileError, NotFound, UnknownCRS
from gis.parcels.importer import _file_keys, import_parcels
from gis.parcels.queries import get_parcel
from gis.parcels.read import open_source

Make = Callable[..., gpd.GeoDataFrame]
CRS = "EPSG:5897"


def _count(conn: psycopg.Connection, sql: str, *params: Any) -> int:
    row = conn.execute(sql, params).fetchone()
    assert row is not None
    return int(row[0])


def _rejects(conn: psycopg.Connection, import_id: int | None) -> list[tuple[int, str, Any]]:
    return conn.execute(
        "SELECT feature_index, reason, raw FROM land.import_rejects WHERE import_id = %s"
        " ORDER BY feature_index",
        (import_id,),
    ).fetchall()


def test_gpkg_import_writes_parcels_purposes_users_and_sheets(
    database_url: str, conn: psycopg.Connection, make_parcels: Make, tmp_path: Path
) -> None:
    frame = make_parcels(12, start=200, first_sheet=100, per_sheet=6)
    path = tmp_path / "p.gpkg"
    frame.to_file(path, driver="GPKG")
    s = import_parcels(path, CRS, url=database_url)
    assert (s.features, s.added, s.versioned, s.unchanged, s.rejected) == (12, 12, 0, 0, {})
    sheets = conn.execute(
        "SELECT sheet_number, srid FROM land.map_sheets WHERE commune_code = '00070'"
        " AND sheet_number IN (100, 101) ORDER BY 1"
    ).fetchall()
    assert sheets == [(100, 5897), (101, 5897)]
    # Parcel 2 of sheet 100 is "ODT:300;CLN:100" (20 m × 20 m = 400 m²).
    p = get_parcel("00070", 100, 2, with_users=True)[0]
    assert p.legal_area_m2 == 400.0
    assert [(q.code, q.area_m2) for q in p.purposes] == [("ODT", 300.0), ("CLN", 100.0)]
    assert p.purposes[0].term == "Lâu dài"
    assert p.certificate_number == "SYN000001"
    # Feature 0 has two users (``|``-separated); feature 1 one.
    first = get_parcel("00070", 100, 1, with_users=True)[0]
    assert [u.id_number for u in first.users or ()] == ["SYN000000000", "SYNW00000000"]
    assert [u.full_name for u in p.users or ()] == ["Người 1 (giả lập)"]
    geom_srids = conn.execute(
        "SELECT DISTINCT ST_SRID(geom_native), ST_SRID(geom), GeometryType(geom)"
        " FROM land.parcels WHERE import_id = %s",
        (s.import_id,),
    ).fetchall()
    assert geom_srids == [(5897, 4326, "MULTIPOLYGON")]


def test_reimport_adds_nothing_and_a_change_becomes_a_new_version(
    database_url: str, conn: psycopg.Connection, make_parcels: Make, tmp_path: Path
) -> None:
    frame = make_parcels(10, start=240, first_sheet=110)
    path = tmp_path / "p.gpkg"
    frame.to_file(path, driver="GPKG")
    import_parcels(path, CRS, url=database_url)
    before = _count(conn, "SELECT count(*) FROM land.parcels WHERE sheet_number = 110")
    again = import_parcels(path, CRS, url=database_url)
    assert (again.added, again.versioned, again.unchanged) == (0, 0, 10)
    assert _count(conn, "SELECT count(*) FROM land.parcels WHERE sheet_number = 110") == before

    changed = frame.copy()
    changed.loc[2, "address"] = "Số 3 (đã đổi)"
    g = changed.geometry.iloc[4]
    changed.loc[4, "geometry"] = shapely.box(*g.bounds[:2], g.bounds[0] + 20, g.bounds[1] + 10)
    path2 = tmp_path / "p2.gpkg"
    changed.to_file(path2, driver="GPKG")
    s = import_parcels(path2, CRS, url=database_url)
    assert (s.added, s.versioned, s.unchanged) == (0, 2, 8)
    versions = get_parcel("00070", 110, 5, history=True)
    assert [v.legal_area_m2 for v in versions] == [200.0, 400.0]
    assert versions[0].valid_to is None and versions[1].valid_to == versions[0].valid_from
    assert versions[1].purposes[0].area_m2 == 400.0  # the old version keeps its purposes
    new = get_parcel("00070", 110, 3, with_users=True)[0]
    assert new.address == "Số 3 (đã đổi)"
    # Known land users (same ID numbers) are linked again, not duplicated.
    assert [u.id_number for u in new.users or ()] == ["SYN000000002"]
    known = "SELECT count(*) FROM land.land_users WHERE id_number = %s"
    assert _count(conn, known, "SYN000000002") == 1


def test_shapefile_with_cut_names_and_geojson_in_wgs84(
    database_url: str, make_parcels: Make, tmp_path: Path
) -> None:
    frame = make_parcels(4, start=260, first_sheet=120)
    shp = tmp_path / "p.shp"
    frame.to_file(shp)  # DBF cuts sheet_number → sheet_numb, parcel_number → parcel_num
    assert import_parcels(shp, CRS, url=database_url).added == 4

    wgs = make_parcels(3, start=270, first_sheet=121).to_crs(bound_crs(5897)).to_crs(4326)
    gj = tmp_path / "p.geojson"
    wgs.to_file(gj, driver="GeoJSON")
    s = import_parcels(gj, CRS, url=database_url)
    assert s.added == 3
    # Legal area: planar area in the sheet's TM-3 zone (EPSG:5897 with EPSG:6960), 1 decimal.
    to_tm3 = Transformer.from_crs(4326, bound_crs(5897), always_xy=True)
    read_back = gpd.read_file(gj)
    for i in range(3):
        tm3 = shapely.transform(read_back.geometry[i], lambda c: np.column_stack(
            to_tm3.transform(c[:, 0], c[:, 1])))
        expected = round(tm3.area, 1)
        assert get_parcel("00070", 121, i + 1)[0].legal_area_m2 == pytest.approx(expected, abs=0.1)


def test_field_map_legacy_codes_and_commune_option(
    database_url: str, make_parcels: Make, tmp_path: Path
) -> None:
    frame = make_parcels(3, start=280, first_sheet=130).drop(columns=["commune_code"])
    frame = frame.rename(columns={"sheet_number": "SOTO", "parcel_number": "SOTHUA",
                                  "land_use": "MDSD"})
    frame["MDSD"] = ["BHK", "nhk", "ODT:200;bhk:200"]
    path = tmp_path / "mapped.gpkg"
    frame.to_file(path, driver="GPKG")
    with pytest.raises(ImportFileError, match="lacks field"):
        import_parcels(path, CRS, commune="00070", url=database_url)
    s = import_parcels(path, CRS, commune="00070",
                       field_map="sheet_number=SOTO,parcel_number=SOTHUA,land_use=MDSD",
                       url=database_url)
    assert s.added == 3
    codes = [sorted(q.code for q in get_parcel("00070", 130, n)[0].purposes) for n in (1, 2, 3)]
    assert codes == [["HNK"], ["HNK"], ["HNK", "ODT"]]
    with pytest.raises(ImportFileError, match="no commune_code field"):
        import_parcels(path, CRS, field_map="sheet_number=SOTO,parcel_number=SOTHUA,"
                       "land_use=MDSD", url=database_url)
    with pytest.raises(NotFound):
        import_parcels(path, CRS, commune="99999", field_map="sheet_number=SOTO,"
                       "parcel_number=SOTHUA,land_use=MDSD", url=database_url)


def test_every_bad_feature_is_rejected_with_its_reason_and_raw_feature(
    database_url: str, conn: psycopg.Connection, make_parcels: Make, tmp_path: Path
) -> None:
    frame = make_parcels(12, start=300, first_sheet=140)
    g = frame.geometry
    x0, y0 = g.iloc[1].bounds[:2]
    frame.loc[1, "geometry"] = shapely.Polygon(
        [(x0, y0), (x0 + 20, y0 + 20), (x0 + 20, y0), (x0, y0 + 20)]
    )  # a bow tie
    frame.loc[2, "land_use"] = "XYZ"
    frame.loc[3, "sheet_number"] = None
    frame.loc[4, "parcel_number"] = 0
    frame.loc[5, "geometry"] = shapely.affinity.translate(g.iloc[5], 8000, 8000)  # elsewhere
    frame.loc[7, "parcel_number"] = 7  # same key as feature 6 (sheet 140, parcel 7)
    frame.loc[8, "land_use"] = "ODT:100;CLN:100"  # 200 m² declared for 400 m²
    frame.loc[10, "user_id_number"] = "A|B"  # one name, two IDs
    path = tmp_path / "bad.gpkg"
    frame.to_file(path, driver="GPKG")
    s = import_parcels(path, CRS, url=database_url)
    assert s.added == 12 - 9
    assert s.rejected == {
        "invalid geometry": 1,
        "unknown land-use code": 1,
        "missing or non-integer sheet number": 1,
        "missing or non-integer parcel number": 1,
        "outside the commune": 1,
        "duplicate key in file": 2,
        "purpose areas do not add up to the legal area": 1,
        "land-user fields not aligned": 1,
    }
    rows = _rejects(conn, s.import_id)
    reasons = {i: r for i, r, _ in rows}
    assert reasons[1].startswith("invalid geometry: Self-intersection")
    assert reasons[2] == "unknown land-use code: XYZ"
    assert reasons[6] == reasons[7] == "duplicate key in file"
    raw = {i: r for i, _, r in rows}
    assert raw[2]["properties"]["land_use"] == "XYZ"
    assert raw[1]["geometry_wkt"].startswith("POLYGON")
    assert raw[1]["crs"] == "EPSG:5897"
    assert _count(conn, "SELECT rejected FROM land.imports WHERE id = %s", s.import_id) == 9


def test_non_polygons_and_a_sheet_in_another_crs_are_rejected(
    database_url: str, make_parcels: Make, tmp_path: Path
) -> None:
    frame = make_parcels(3, start=330, first_sheet=150)
    frame.to_file(tmp_path / "a.gpkg", driver="GPKG")
    assert import_parcels(tmp_path / "a.gpkg", CRS, url=database_url).added == 3
    # The same sheet drawn in the 105°30' zone (EPSG:9209): its sheet is already in 5897.
    moved = make_parcels(3, start=340, first_sheet=150).to_crs(bound_crs(5897))
    moved = moved.to_crs(bound_crs(9209))
    moved["parcel_number"] = [11, 12, 13]
    moved = moved.set_crs("EPSG:9209", allow_override=True)
    moved.to_file(tmp_path / "b.gpkg", driver="GPKG")
    s = import_parcels(tmp_path / "b.gpkg", "EPSG:9209", url=database_url)
    assert s.rejected == {"sheet registered in another CRS": 3}

    lines = make_parcels(2, start=350, first_sheet=151)
    lines.loc[0, "geometry"] = lines.geometry.iloc[0].boundary
    lines.to_file(tmp_path / "c.geojson", driver="GeoJSON")
    s = import_parcels(tmp_path / "c.geojson", CRS, url=database_url)
    assert s.rejected == {"not a polygon": 1}
    assert s.added == 1


@pytest.mark.parametrize("kind", ["not_gis", "empty", "no_crs", "missing"])
def test_unusable_files_change_nothing(
    kind: str, database_url: str, conn: psycopg.Connection, make_parcels: Make, tmp_path: Path
) -> None:
    before = _count(conn, "SELECT count(*) FROM land.imports")
    if kind == "not_gis":
        path = tmp_path / "notes.gpkg"
        path.write_text("this is not a GeoPackage")
        match = "not a GIS file"
    elif kind == "empty":
        path = tmp_path / "empty.gpkg"
        make_parcels(1, start=360, first_sheet=160).iloc[:0].to_file(path, driver="GPKG")
        match = "empty"
    elif kind == "no_crs":
        path = tmp_path / "nocrs.shp"
        make_parcels(2, start=360, first_sheet=160).to_file(path)
        path.with_suffix(".prj").unlink()
        match = "no CRS"
    else:
        path = tmp_path / "absent.gpkg"
        match = "no such file"
    with pytest.raises(ImportFileError, match=match):
        import_parcels(path, CRS, url=database_url)
    assert _count(conn, "SELECT count(*) FROM land.imports") == before


@pytest.mark.parametrize("crs", ["EPSG:999999", "EPSG:4326", "VN2000"])
def test_unknown_or_unusable_crs(crs: str, database_url: str, make_parcels: Make,
                                 tmp_path: Path) -> None:
    path = tmp_path / "p.gpkg"
    make_parcels(1, start=370, first_sheet=170).to_file(path, driver="GPKG")
    with pytest.raises(UnknownCRS):
        import_parcels(path, crs, url=database_url)


def test_bulk_mode_rebuilds_the_secondary_indexes(
    database_url: str, conn: psycopg.Connection, make_parcels: Make, tmp_path: Path
) -> None:
    path = tmp_path / "bulk.gpkg"
    make_parcels(6, start=380, first_sheet=180).to_file(path, driver="GPKG")
    before = conn.execute(
        "SELECT indexdef FROM pg_indexes WHERE schemaname = 'land' AND tablename IN"
        " ('parcels', 'parcel_purposes', 'parcel_land_users') ORDER BY indexname"
    ).fetchall()
    keys = (
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE contype = 'f' AND connamespace = 'land'::regnamespace ORDER BY 1, 2"
    )
    keys_before = conn.execute(keys).fetchall()
    assert sum("USING gist" in d for (d,) in before) == 2
    assert len(before) >= 10  # 6 on parcels, 2 on purposes, 2 on land-user links
    assert len(keys_before) >= 7
    assert import_parcels(path, CRS, bulk=True, batch_size=4, url=database_url).added == 6
    conn.rollback()
    after = conn.execute(
        "SELECT indexdef FROM pg_indexes WHERE schemaname = 'land' AND tablename IN"
        " ('parcels', 'parcel_purposes', 'parcel_land_users') ORDER BY indexname"
    ).fetchall()
    assert after == before
    assert conn.execute(keys).fetchall() == keys_before
    assert get_parcel("00070", 180, 6)[0].legal_area_m2 == 400.0  # in the second batch of 4


def test_layer_and_commune_mismatches(
    database_url: str, make_parcels: Make, tmp_path: Path
) -> None:
    path = tmp_path / "p.gpkg"
    make_parcels(2, start=390, first_sheet=190).to_file(path, driver="GPKG", layer="thua")
    with pytest.raises(ImportFileError, match="no layer 'other'"):
        import_parcels(path, CRS, layer="other", url=database_url)
    s = import_parcels(path, CRS, layer="thua", commune="00082", url=database_url)
    assert s.rejected == {"commune differs from --commune": 2}


def test_duplicate_keys_are_found_across_the_key_pass_batches(tmp_path: Path) -> None:
    # Each batch numbers its communes on its own: the same key must still match across
    # batches, whatever order the communes come in (and a blank commune takes the default).
    frame = gpd.GeoDataFrame(
        {"commune_code": ["00004", "26734", "26734", "00004", None, "4"],
         "sheet_number": [1, 1, 1, 2, 1, 1], "parcel_number": [5, 5, 6, 5, 5, 6],
         "land_use": ["ODT"] * 6},
        geometry=[shapely.box(i, 0, i + 1, 1) for i in range(6)], crs="EPSG:5899",
    )  # fmt: skip
    path = tmp_path / "keys.gpkg"
    frame.to_file(path, driver="GPKG")
    src = open_source(path, None, None)
    for batch_size in (1, 2, 4, 100):
        codes, repeated = _file_keys(src, "26734", batch_size)
        assert sorted(codes) == ["00004", "26734"]
        # 26734/1/5 twice (one blank), 26734/1/6 and 00004/1/6 ('4' padded) differ; 00004/1/5
        # and 00004/2/5 once each.
        assert repeated.tolist() == [1, 4], batch_size
