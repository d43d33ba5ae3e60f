"""Administrative lookups against the loaded 2025 units: point, old codes, communes, zones."""

from __future__ import annotations

import psycopg
import pytest
from pyproj import Transformer

from gis.admin import (
    admin_at,
    commune_tm3_srid,
    get_commune,
    get_province,
    list_communes,
    list_provinces,
    successors,
)
from gis.crs import bound_crs
from gis.errors import InvalidInput, NotFound, UnknownCRS

HOAN_KIEM_LAKE = (105.8523, 21.0287)
AT_SEA = [(108.0, 17.5), (110.0, 14.0)]  # Gulf of Tonkin; East Sea off Quảng Ngãi/Gia Lai

pytestmark = pytest.mark.usefixtures("admin_loaded")


def test_centre_of_hanoi_is_a_phuong_of_province_01():
    place = admin_at(*HOAN_KIEM_LAKE)
    assert (place.province_code, place.province_name) == ("01", "Hà Nội")
    assert place.commune_kind == "phuong"
    assert (place.commune_code, place.commune_full_name) == ("00070", "Phường Hoàn Kiếm")
    assert not place.approximate


def test_ho_chi_minh_city_centre():
    place = admin_at(106.7009, 10.7769)  # Nhà thờ Đức Bà
    assert place.province_code == "79"
    assert place.commune_kind == "phuong"


@pytest.mark.parametrize("srid", [5897, 9210, 4756])
def test_point_in_a_vn2000_crs_gives_the_same_place(srid: int):
    x, y = Transformer.from_crs(4326, bound_crs(srid), always_xy=True).transform(*HOAN_KIEM_LAKE)
    assert admin_at(x, y, srid) == admin_at(*HOAN_KIEM_LAKE)


@pytest.mark.parametrize("point", AT_SEA)
def test_point_at_sea_is_nothing_here(point: tuple[float, float]):
    with pytest.raises(NotFound, match="nothing here"):
        admin_at(*point)


def test_bad_points_and_crs_are_invalid_input():
    with pytest.raises(InvalidInput):
        admin_at(200.0, 21.0)
    with pytest.raises(UnknownCRS):
        admin_at(11_780_000.0, 2_390_000.0, 3857)


def test_point_in_a_gap_between_simplified_communes(conn: psycopg.Connection):
    # Commune boundaries are simplified per feature: find a sliver of Quảng Ninh that no
    # commune covers but that lies within the gap tolerance of one.
    row = conn.execute(
        """
        WITH u AS (SELECT ST_Union(geom) g FROM admin.communes WHERE province_code = '22'),
        gaps AS (SELECT (ST_Dump(ST_Difference(p.geom, u.g))).geom g
                 FROM admin.provinces p, u WHERE p.code = '22')
        SELECT ST_X(pt), ST_Y(pt) FROM (SELECT ST_PointOnSurface(g) pt FROM gaps) s
        WHERE EXISTS (SELECT 1 FROM admin.communes c
                      WHERE c.province_code = '22' AND ST_DWithin(c.geom, s.pt, 0.001))
        LIMIT 1
        """
    ).fetchone()
    assert row is not None
    place = admin_at(row[0], row[1])
    assert place.approximate
    assert place.province_code == "22"


def test_old_provinces_map_to_their_2025_province():
    (ha_giang,) = successors("02")
    assert (ha_giang.old_name, ha_giang.province_code, ha_giang.province_name) == (
        "Hà Giang",
        "08",
        "Tuyên Quang",
    )
    (thai_binh,) = successors("34")
    assert (thai_binh.province_code, thai_binh.province_name) == ("33", "Hưng Yên")
    (hanoi,) = successors("01")
    assert hanoi.province_code == "01" and hanoi.level == "province"


def test_divided_legacy_commune_has_several_successors():
    rows = successors("00007")  # Phường Cống Vị, Quận Ba Đình
    assert [r.commune_code for r in rows] == ["00008", "00025"]
    assert all(r.divided and r.current and r.level == "commune" for r in rows)
    assert {r.commune_name for r in rows} == {"Ngọc Hà", "Giảng Võ"}
    assert rows[0].old_name == "Phường Cống Vị" and rows[0].old_district == "Quận Ba Đình"


def test_undivided_legacy_commune_and_the_ba_che_repair():
    (row,) = successors("06970")  # Thị trấn Ba Chẽ; the mapping file says 06970
    assert (row.commune_code, row.commune_name, row.province_code) == ("06978", "Ba Chẽ", "22")
    assert not row.divided and row.current


def test_unknown_and_malformed_old_codes():
    with pytest.raises(NotFound):
        successors("03")
    with pytest.raises(NotFound):
        successors("99999")
    with pytest.raises(InvalidInput):
        successors("123")


def test_province_and_commune_lookups():
    hanoi = get_province("01")
    assert (hanoi.name, hanoi.full_name, hanoi.kind, hanoi.commune_count) == (
        "Hà Nội",
        "Thành phố Hà Nội",
        "thanh_pho",
        126,
    )
    assert len(list_provinces()) == 34
    commune = get_commune("00070")
    assert (commune.province_code, commune.province_name, commune.tm3_srid) == (
        "01",
        "Hà Nội",
        5897,
    )
    communes = list_communes("01")
    assert len(communes) == 126
    assert [c.code for c in communes] == sorted(c.code for c in communes)
    special = {c.name for p in ("31", "79") for c in list_communes(p) if c.kind == "dac_khu"}
    assert special == {"Cát Hải", "Bạch Long Vĩ", "Côn Đảo"}


def test_lookup_errors():
    with pytest.raises(NotFound):
        get_province("03")
    with pytest.raises(NotFound):
        list_communes("03")
    with pytest.raises(NotFound):
        get_commune("00001")
    with pytest.raises(InvalidInput):
        get_commune("70")
    with pytest.raises(InvalidInput):
        list_communes("1")


def test_commune_tm3_srid():
    assert commune_tm3_srid("00070") == 5897  # Hà Nội: 105°00′
    assert commune_tm3_srid("26740") == 9210  # TP HCM: 105°45′
    with pytest.raises(NotFound):
        commune_tm3_srid("00001")


def test_successor_that_is_not_a_current_commune_is_flagged(conn: psycopg.Connection):
    # What a mapping row whose successor could not be repaired looks like (kept as given).
    conn.execute(
        "INSERT INTO admin.former_communes (code, name, former_province_code, commune_code) "
        "VALUES ('99998', 'Xã Thử', '22', '06999')"
    )
    conn.commit()
    try:
        (row,) = successors("99998")
        assert (row.commune_code, row.commune_name, row.current) == ("06999", None, False)
        assert (row.province_code, row.province_name) == ("22", "Quảng Ninh")
    finally:
        conn.execute("DELETE FROM admin.former_communes WHERE code = '99998'")
        conn.commit()
