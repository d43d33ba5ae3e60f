"""Rules for the legacy → 2025 commune mapping, on small hand-made rows (no database)."""

from __future__ import annotations

from gis.admin_mapping import (
    FormerCommune,
    assign_tm3_srids,
    district_origins,
    mark_divided,
    parse_former_communes,
    resolve_successors,
)


def _row(ward: str, new: str, province: str = "22", **extra: str) -> dict[str, str]:
    row = {
        "provinceCode": province, "districtCode": "201", "district": "Huyện A", "wardCode": ward,
        "ward": f"Xã {ward}", "newProvinceCode": "22", "newWard": "Xã Ba Chẽ",
        "newWardCode": new, "isDividedWard": "False",
    }  # fmt: skip
    return row | extra


def test_rows_without_a_legacy_code_or_with_an_unknown_province_are_reported():
    problems: list[str] = []
    rows = [_row("00001", "10000"), _row("", "20000", district="Huyện Cồn Cỏ"), _row("00002",
            "10000", province="03")]  # fmt: skip
    parsed = parse_former_communes(rows, {"22"}, problems)
    assert [f.code for f in parsed] == ["00001"]
    assert any("Huyện Cồn Cỏ → 20000" in p for p in problems)
    assert any("'03': 1" in p for p in problems)
    assert district_origins(rows) == [("20000", "22")]


def test_unknown_successor_is_matched_by_name_within_its_province():
    problems: list[str] = []
    parsed = parse_former_communes([_row("06970", "06970"), _row("06973", "06970")], {"22"}, [])
    current = {("22", "Xã Ba Chẽ"): "06978", ("20", "Xã Ba Chẽ"): "05555"}
    fixed = resolve_successors(parsed, current, problems)
    assert [f.commune_code for f in fixed] == ["06978", "06978"]
    assert problems == [
        "successor 06970 (Xã Ba Chẽ, province 22) of 2 legacy communes is not a current commune"
        " code; matched by name to 06978"
    ]


def test_unknown_successor_without_a_name_match_is_kept_and_reported():
    problems: list[str] = []
    parsed = parse_former_communes([_row("06970", "06970")], {"22"}, [])
    fixed = resolve_successors(parsed, {("20", "Xã Ba Chẽ"): "05555"}, problems)
    assert [f.commune_code for f in fixed] == ["06970"]
    assert "kept as given" in problems[0]


def test_divided_flag_is_the_number_of_successors():
    problems: list[str] = []
    parsed = parse_former_communes(
        [_row("00001", "10000"), _row("00001", "10001"), _row("00001", "10001"),
         _row("00002", "10000", isDividedWard="True")],
        {"22"}, [],
    )  # fmt: skip
    out = mark_divided(parsed, problems)
    assert [(f.code, f.commune_code, f.divided) for f in out] == [
        ("00001", "10000", True),
        ("00001", "10001", True),
        ("00002", "10000", False),
    ]
    assert any("1 duplicate" in p for p in problems)
    assert any("isDividedWard disagrees" in p and "00001" in p and "00002" in p for p in problems)


def _fc(commune: str, province: str) -> tuple[str, str]:
    return (commune, province)


def test_tm3_zone_majority_tie_break_and_orphans():
    zones = {"87": 5897, "82": 9210, "33": 9209, "34": 9209, "30": 9209, "31": 9210}
    origins = [
        _fc("A", "87"), _fc("A", "87"), _fc("A", "82"),  # majority 87 → 5897
        _fc("B", "82"), _fc("B", "87"),  # tie: B lies in province 82 → its zone 9210
        _fc("C", "30"), _fc("C", "31"),  # tie; C in province 87, whose zone has no vote → lowest
        _fc("D", "99"),  # unknown former province: no vote
    ]  # fmt: skip
    problems: list[str] = []
    out = assign_tm3_srids({"A": "87", "B": "82", "C": "87", "D": "34"}, origins, zones, problems)
    assert out == {"A": 5897, "B": 9210, "C": 9209, "D": 9209}
    assert problems == ["1 communes have no legacy commune in the mapping (D); their TM-3 zone "
                        "is their province's"]  # fmt: skip


def test_former_commune_row_matches_the_table_columns():
    f = FormerCommune("00007", "Phường Cống Vị", "001", "Quận Ba Đình", "01", "00008", True,
                      "01", "Phường Ngọc Hà")  # fmt: skip
    assert f.row() == ("00007", "Phường Cống Vị", "001", "Quận Ba Đình", "01", "00008", True)
