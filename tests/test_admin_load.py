"""Loading the shipped administrative units into PostGIS: counts, names, zones, idempotence."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import psycopg
import pyogrio
import pytest
import shapely

from gis.admin import load_admin_units
from gis.admin_load import (
    COMMUNES_FILE,
    DATA_DIR,
    HANOI_FILE,
    MERIDIANS_FILE,
    PROVINCE_MAPPING_FILE,
    LoadSummary,
)
from gis.crs import tm3_zone
from gis.errors import ImportFileError


def _one(conn: psycopg.Connection, query: str, *params: object) -> object:
    row = conn.execute(query, params).fetchone()
    assert row is not None
    return row[0]


def test_counts_of_provinces_and_communes(admin_loaded: LoadSummary, conn: psycopg.Connection):
    assert _one(conn, "SELECT count(*) FROM admin.provinces") == 34
    assert _one(conn, "SELECT count(*) FROM admin.communes") == 3321
    kinds = dict(conn.execute("SELECT kind, count(*) FROM admin.communes GROUP BY kind"))
    # The boundary data (bando, units as of 2026) counts 2,611 xã / 697 phường / 13 đặc khu;
    # Resolution 202/2025 announced 2,621 / 687 / 13: same total, ten units typed phường in
    # the data that the resolution counted as xã. We store the data's types.
    assert kinds == {"xa": 2611, "phuong": 697, "dac_khu": 13}
    # Resolution 202/2025: 6 cities; the data follows decree 30/2026, where Đồng Nai is one too.
    pkinds = dict(conn.execute("SELECT kind, count(*) FROM admin.provinces GROUP BY kind"))
    assert pkinds == {"tinh": 27, "thanh_pho": 7}
    assert _one(conn, "SELECT kind FROM admin.provinces WHERE code = '75'") == "thanh_pho"


def test_names_keep_their_diacritics(admin_loaded: LoadSummary, conn: psycopg.Connection):
    row = conn.execute(
        "SELECT name, full_name, name_en, kind FROM admin.provinces WHERE code = '01'"
    ).fetchone()
    assert row == ("Hà Nội", "Thành phố Hà Nội", "Hanoi", "thanh_pho")
    assert _one(conn, "SELECT full_name FROM admin.communes WHERE code = '00070'") == (
        "Phường Hoàn Kiếm"
    )
    assert _one(conn, "SELECT name FROM admin.former_provinces WHERE code = '34'") == "Thái Bình"


def test_every_commune_is_valid_and_in_its_province(admin_loaded, conn: psycopg.Connection):
    assert _one(conn, "SELECT count(*) FROM admin.communes WHERE NOT ST_IsValid(geom)") == 0
    assert _one(conn, "SELECT count(DISTINCT ST_SRID(geom)) FROM admin.communes") == 1
    per_province = dict(
        conn.execute("SELECT province_code, count(*) FROM admin.communes GROUP BY 1")
    )
    assert per_province["01"] == 126
    assert per_province["79"] == 168
    assert len(per_province) == 34


def test_hanoi_communes_are_the_full_resolution_ones(admin_loaded, conn: psycopg.Connection):
    full = pyogrio.read_dataframe(f"/vsigzip/{DATA_DIR / HANOI_FILE}")
    expected = int(shapely.get_num_coordinates(full.geometry.values).sum())
    stored = _one(conn, "SELECT sum(ST_NPoints(geom)) FROM admin.communes WHERE province_code='01'")
    assert stored == expected


def test_former_provinces_carry_circular_973_meridians(admin_loaded, conn: psycopg.Connection):
    rows = conn.execute(
        "SELECT code, name, province_code, central_meridian, tm3_srid FROM admin.former_provinces"
    ).fetchall()
    assert len(rows) == 63
    for _code, _name, _new, meridian, srid in rows:
        assert srid == tm3_zone(meridian)
    by_code = {r[0]: r for r in rows}
    assert by_code["01"][3:] == (105.0, 5897)
    assert by_code["79"][3:] == (105.75, 9210)
    assert by_code["02"][1:3] == ("Hà Giang", "08")
    assert by_code["46"][1] == "Huế"


def test_commune_tm3_zone_follows_its_former_provinces(admin_loaded, conn: psycopg.Connection):
    def zone(code: str) -> object:
        return _one(conn, "SELECT tm3_srid FROM admin.communes WHERE code = %s", code)

    assert _one(conn, "SELECT count(*) FROM admin.communes WHERE tm3_srid IS NULL") == 0
    assert zone("00070") == 5897  # Hà Nội, 105°00′
    assert zone("26740") == 9210  # TP HCM (Sài Gòn), 105°45′
    # 29869 (Đồng Tháp) took 11 legacy communes of old Đồng Tháp 87 (105°00′) and 4 of
    # Tiền Giang 82 (105°45′): the majority decides.
    assert zone("29869") == 5897
    # Island districts without communes became đặc khu; their former province gives the zone:
    # Côn Đảo was Bà Rịa–Vũng Tàu (107°45′), now in TP HCM (105°45′).
    assert zone("26732") == 5899
    assert zone("19742") == 9212  # Cồn Cỏ, former Quảng Trị (106°15′), now province 44


def test_ba_che_successor_code_is_matched_by_name(admin_loaded, conn: psycopg.Connection):
    # The mapping file names 06970 as the successor of five legacy communes; the 2025
    # boundaries code Xã Ba Chẽ 06978. Rule: match by full name within the province, report it.
    assert _one(conn, "SELECT count(*) FROM admin.communes WHERE code = '06970'") == 0
    assert _one(conn, "SELECT full_name FROM admin.communes WHERE code = '06978'") == "Xã Ba Chẽ"
    legacy = {r[0] for r in conn.execute(
        "SELECT code FROM admin.former_communes WHERE commune_code = '06978'")}  # fmt: skip
    assert legacy == {"06886", "06970", "06973", "06982", "06988"}
    assert any("06970" in p and "06978" in p for p in admin_loaded.problems)
    orphans = _one(
        conn,
        "SELECT count(*) FROM admin.former_communes f "
        "WHERE NOT EXISTS (SELECT 1 FROM admin.communes c WHERE c.code = f.commune_code)",
    )
    assert orphans == 0


def test_former_communes_and_divided_flag(admin_loaded, conn: psycopg.Connection):
    # 10,602 mapping rows minus the 5 island districts without a legacy commune code.
    assert _one(conn, "SELECT count(*) FROM admin.former_communes") == 10597
    assert _one(conn, "SELECT count(DISTINCT code) FROM admin.former_communes") == 10035
    mismatched = _one(
        conn,
        "SELECT count(*) FROM (SELECT code, bool_and(divided) d, count(*) n "
        "FROM admin.former_communes GROUP BY code) s WHERE d <> (n > 1)",
    )
    assert mismatched == 0
    assert any("no commune code" in p and "Côn Đảo" in p for p in admin_loaded.problems)


def test_reload_changes_nothing(admin_loaded: LoadSummary, database_url: str):
    again = load_admin_units(database_url)
    assert not again.changed
    assert again.communes.unchanged == 3321
    assert again.former_communes.unchanged == 10597
    assert again.problems == admin_loaded.problems


def test_reload_restores_an_edited_row(admin_loaded, database_url: str, conn):
    conn.execute("UPDATE admin.communes SET name = 'x', tm3_srid = 1 WHERE code = '00070'")
    conn.execute("DELETE FROM admin.former_communes WHERE code = '00007'")
    conn.commit()
    summary = load_admin_units(database_url)
    assert (summary.communes.updated, summary.communes.inserted) == (1, 0)
    assert summary.former_communes.inserted == 2
    row = conn.execute("SELECT name, tm3_srid FROM admin.communes WHERE code = '00070'").fetchone()
    assert row == ("Hoàn Kiếm", 5897)


@pytest.fixture()
def data_copy(tmp_path: Path) -> Path:
    """A copy of the shipped admin data that a test may break."""
    for f in DATA_DIR.iterdir():
        shutil.copy(f, tmp_path / f.name)
    return tmp_path


def test_bad_data_stops_the_load_and_keeps_what_is_stored(
    admin_loaded, database_url: str, data_copy: Path, conn: psycopg.Connection
):
    meridians = data_copy / MERIDIANS_FILE
    lines = meridians.read_text(encoding="utf-8").splitlines()
    meridians.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")  # drop Cà Mau (96)
    before = _one(conn, "SELECT count(*) FROM admin.former_provinces")
    with pytest.raises(ImportFileError, match="central meridian"):
        load_admin_units(database_url, data_copy)
    assert _one(conn, "SELECT count(*) FROM admin.former_provinces") == before == 63


def test_missing_file_and_unknown_province_are_clear_errors(database_url, data_copy: Path):
    (data_copy / HANOI_FILE).unlink()
    with pytest.raises(ImportFileError, match="missing"):
        load_admin_units(database_url, data_copy)
    mapping = data_copy / PROVINCE_MAPPING_FILE
    mapping.write_text(
        mapping.read_text(encoding="utf-8").replace(",08,Tỉnh Tuyên Quang", ",03,Tỉnh X", 1),
        encoding="utf-8",
    )
    shutil.copy(DATA_DIR / HANOI_FILE, data_copy / HANOI_FILE)
    with pytest.raises(ImportFileError, match="unknown province 03"):
        load_admin_units(database_url, data_copy)


def _rewrite_communes(folder: Path, edit) -> None:
    """Apply ``edit`` to the first commune outside Hà Nội of a copied communes file."""
    path = folder / COMMUNES_FILE
    data = json.loads(gzip.decompress(path.read_bytes()))
    feature = next(f for f in data["features"] if f["properties"]["ma_tinh"] != "01")
    edit(feature["properties"])
    path.write_bytes(gzip.compress(json.dumps(data).encode()))


def test_data_the_schema_refuses_rolls_the_whole_load_back(
    admin_loaded, database_url: str, data_copy: Path, conn: psycopg.Connection
):
    conn.execute("UPDATE admin.provinces SET name = 'edited' WHERE code = '04'")
    conn.commit()
    _rewrite_communes(data_copy, lambda p: p.update(ten_xa=None))  # name is NOT NULL
    try:
        with pytest.raises(ImportFileError, match="rejected by the database, nothing changed"):
            load_admin_units(database_url, data_copy)
        # Provinces were upserted before the communes failed: that update was rolled back too.
        assert _one(conn, "SELECT name FROM admin.provinces WHERE code = '04'") == "edited"
        assert _one(conn, "SELECT count(*) FROM admin.communes") == 3321
    finally:
        assert load_admin_units(database_url).provinces.updated == 1


def test_malformed_commune_code_is_refused(database_url: str, data_copy: Path):
    _rewrite_communes(data_copy, lambda p: p.update(ma_xa="1234"))
    with pytest.raises(ImportFileError, match="commune codes must be 5 digits"):
        load_admin_units(database_url, data_copy)
