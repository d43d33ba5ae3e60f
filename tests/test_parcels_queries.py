"""Parcel queries (at a point, by key, lists, summaries) and edits that keep the history."""

from __future__ import annotations

import psycopg
import pytest
import shapely
from pyproj import Transformer

from gis.crs import bound_crs
from gis.errors import InvalidInput, NotFound
from gis.parcels.history import edit_parcel
from gis.parcels.model import ImportSummary, LandUser
from gis.parcels.queries import (
    get_parcel,
    land_use_summary,
    list_parcels,
    parcel_at,
    parcel_at_xy,
)

TO_WGS84 = Transformer.from_crs(bound_crs(5897), 4326, always_xy=True)


def _centre(conn: psycopg.Connection, sheet: int, number: int) -> tuple[float, float]:
    row = conn.execute(
        "SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_PointOnSurface(geom_native) AS c"
        " FROM land.parcels WHERE commune_code = '00070' AND sheet_number = %s"
        " AND parcel_number = %s AND valid_to IS NULL) t",
        (sheet, number),
    ).fetchone()
    assert row is not None
    return float(row[0]), float(row[1])


def test_parcel_at_a_wgs84_point(parcels_loaded: ImportSummary, conn: psycopg.Connection) -> None:
    assert parcels_loaded.added == 120
    x, y = _centre(conn, 2, 7)
    lon, lat = TO_WGS84.transform(x, y)
    p = parcel_at(lon, lat)
    assert (p.commune_code, p.commune_name, p.province_code, p.province_name) == (
        "00070", "Hoàn Kiếm", "01", "Hà Nội")
    assert (p.sheet_number, p.parcel_number, p.legal_area_m2) == (2, 7, 400.0)
    assert p.purposes[0].name_vi and p.purposes[0].name_en
    assert p.address
    assert p.users is None and p.certificate_number is None  # personal data only when asked
    personal = parcel_at(lon, lat, with_users=True)
    assert [u.full_name for u in personal.users or ()] and personal.certificate_number
    assert parcel_at_xy(x, y, 5897).id == p.id
    assert parcel_at_xy(x, y, "EPSG:5897").parcel_number == 7
    with pytest.raises(InvalidInput):
        parcel_at_xy(x, y, "EPSG:999999")


def test_nothing_here(parcels_loaded: ImportSummary) -> None:
    with pytest.raises(NotFound, match="nothing here"):
        parcel_at(105.0, 10.0)
    with pytest.raises(NotFound, match="nothing here"):
        get_parcel("00070", 999, 1)
    with pytest.raises(NotFound):
        land_use_summary("99999")
    with pytest.raises(NotFound):
        list_parcels("99999")


def test_list_by_land_use_and_area(parcels_loaded: ImportSummary) -> None:
    everything = list_parcels("00070", limit=10_000)
    ours = [p for p in everything if p.sheet_number <= 3]
    assert len(ours) == 120
    garden = [p for p in list_parcels("00070", land_use="cln", limit=10_000) if p.sheet_number <= 3]
    assert len(garden) == 15 and all("CLN" in {q.code for q in p.purposes} for p in garden)
    big = list_parcels("00070", min_area=401, limit=10_000)
    assert all(p.legal_area_m2 >= 401 for p in big) and not [p for p in big if p.sheet_number <= 3]
    small = list_parcels("00070", max_area=400, limit=10_000)
    assert len([p for p in small if p.sheet_number <= 3]) == 120
    page = list_parcels("00070", limit=5, after=(1, 40))
    assert (page[0].sheet_number, page[0].parcel_number) == (2, 1)
    with pytest.raises(InvalidInput):
        list_parcels("00070", land_use="XYZ")
    with pytest.raises(InvalidInput):
        list_parcels("00070", limit=0)


def test_land_use_summary(parcels_loaded: ImportSummary) -> None:
    s = land_use_summary("00070")
    codes = {c.key: c for c in s.codes}
    groups = {g.key: g for g in s.groups}
    assert s.commune_name == "Hoàn Kiếm" and s.parcels >= 120
    assert codes["ODT"].group == "non_agricultural" and codes["ODT"].name_vi == "Đất ở tại đô thị"
    assert sum(c.area_m2 for c in s.codes) == pytest.approx(s.legal_area_m2)
    assert sum(g.area_m2 for g in s.groups) == pytest.approx(s.legal_area_m2)
    for name, group in groups.items():
        assert group.area_m2 == pytest.approx(sum(c.area_m2 for c in s.codes if c.group == name))
    assert codes["CLN"].group == "agricultural" and codes["CLN"].area_m2 >= 15 * 100.0


def test_edit_closes_the_version_and_never_overwrites(
    parcels_loaded: ImportSummary, conn: psycopg.Connection
) -> None:
    before = get_parcel("00070", 3, 5)[0]
    edited = edit_parcel("00070", 3, 5, address="Số 5 mới", users=[LandUser("Chủ mới", "SYNX1")])
    assert edited.id != before.id and edited.address == "Số 5 mới"
    versions = get_parcel("00070", 3, 5, history=True, with_users=True)
    assert [v.id for v in versions] == [edited.id, before.id]
    assert versions[1].valid_to is not None and versions[1].address == before.address
    assert [u.full_name for u in versions[0].users or ()] == ["Chủ mới"]

    g = shapely.from_wkb(conn.execute(
        "SELECT ST_AsBinary(geom_native) FROM land.parcels WHERE id = %s", (edited.id,)
    ).fetchone()[0])  # type: ignore[index]
    x0, y0, x1, _ = g.bounds
    smaller = edit_parcel("00070", 3, 5, geometry=shapely.box(x0, y0, x1, y0 + 5))
    assert smaller.legal_area_m2 == 100.0 and smaller.purposes[0].area_m2 == 100.0
    with pytest.raises(InvalidInput, match="nothing would change"):
        edit_parcel("00070", 3, 5, address="Số 5 mới")
    with pytest.raises(InvalidInput, match="do not add up"):
        edit_parcel("00070", 3, 5, purposes="ODT:50;CLN:10")
    with pytest.raises(InvalidInput, match="unknown land-use code"):
        edit_parcel("00070", 3, 5, purposes="XYZ")
    with pytest.raises(NotFound):
        edit_parcel("00070", 3, 999, address="x")
    assert len(get_parcel("00070", 3, 5, history=True)) == 3


def test_history_cannot_be_rewritten(parcels_loaded: ImportSummary, database_url: str) -> None:
    with psycopg.connect(database_url) as c:
        pid = get_parcel("00070", 1, 1)[0].id
        with pytest.raises(psycopg.errors.IntegrityConstraintViolation):
            c.execute("UPDATE land.parcels SET address = 'x' WHERE id = %s", (pid,))
