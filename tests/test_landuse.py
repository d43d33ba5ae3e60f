"""Land-use codes of Circular 08/2024: the seeded table, legacy codes, normalisation."""

from __future__ import annotations

import psycopg
import pytest

from gis.errors import InvalidInput
from gis.landuse import (
    UNVERIFIED_CODES,
    code_lookup,
    default_lookup,
    list_codes,
    normalise_code,
    read_code_table,
)

# Every code of vn-standards §5. ⚠ DPC, DSH and SKN are in the list, but two public catalogues
# disagree on them (UNVERIFIED_CODES): their names were not checked against the signed text.
REFERENCE_CODES = {
    "agricultural": "LUC LUK LUN HNK CLN RSX RPH RDD NTS LMU CNT NKH",
    "non_agricultural": (
        "ONT ODT TSC DTS DVH DYT DGD DTT DKH DXH DNG DSK CQP CAN SKK SKT SKN TMD SKC SKS SKX"
        " DGT DTL DNL DBV DKT DMT DPC DCT DRA DCH DKV DSH DDT DDL TON TIN NTD SON MNC MVB MVT"
        " MVR MVK"
    ),
    "unused": "BCS DCS NCS",
}


def test_table_has_every_reference_code_in_its_group(database_url: str) -> None:
    stored = {c.code: c for c in list_codes(url=database_url)}
    expected = {code: group for group, codes in REFERENCE_CODES.items() for code in codes.split()}
    assert set(stored) == set(expected)
    assert {code: c.group for code, c in stored.items()} == expected
    assert set(UNVERIFIED_CODES) <= set(stored)


def test_official_vietnamese_names_with_diacritics(database_url: str) -> None:
    stored = {c.code: c for c in list_codes(url=database_url)}
    assert stored["LUC"].name_vi == "Đất chuyên trồng lúa"
    assert stored["ODT"].name_vi == "Đất ở tại đô thị"
    assert stored["NTS"].name_vi == "Đất nuôi trồng thủy sản"
    assert stored["TMD"].name_vi == "Đất thương mại, dịch vụ"
    assert stored["NCS"].name_vi == "Núi đá không có rừng cây"
    assert all(c.name_en and c.category for c in stored.values())


def test_list_codes_by_group_in_official_order(database_url: str) -> None:
    agri = list_codes("agricultural", url=database_url)
    assert [c.code for c in agri][:3] == ["LUC", "LUK", "LUN"]
    assert [c.sort_order for c in agri] == sorted(c.sort_order for c in agri)
    with pytest.raises(InvalidInput):
        list_codes("forest", url=database_url)


def test_only_stated_legacy_codes_map_to_hnk(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT legacy_code, code FROM land.land_use_legacy_codes ORDER BY 1"
        ).fetchall()
        lookup = code_lookup(conn)
    assert rows == [("BHK", "HNK"), ("NHK", "HNK")]
    assert lookup == default_lookup()


@pytest.mark.parametrize(
    ("raw", "current"), [("BHK", "HNK"), ("nhk", "HNK"), (" odt ", "ODT"), ("Luc", "LUC")]
)
def test_normalise_code(raw: str, current: str) -> None:
    assert normalise_code(raw) == current


@pytest.mark.parametrize("raw", ["XYZ", "", "LU", "OTC"])
def test_unknown_code_is_refused(raw: str) -> None:
    with pytest.raises(InvalidInput, match="unknown land-use code"):
        normalise_code(raw)


def test_csv_round_trip_counts() -> None:
    codes, legacy = read_code_table()
    assert len(codes) == sum(len(v.split()) for v in REFERENCE_CODES.values())
    assert len({c.code for c in codes}) == len(codes)
    assert {lc.legacy_code for lc in legacy} == {"BHK", "NHK"}
