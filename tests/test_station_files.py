"""Station files (Circular 10/2021 layout): names, lines, units and rows, without services."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sensors.catalog import Catalog
from sensors.files.format import render
from sensors.files.names import FileNameError, file_name, parse_name
from sensors.files.parser import FileError, parse_file
from sensors.files.rows import file_rows
from sensors.files.units import UnitError, converter
from sensors.ftp.datalogger import FileLine

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
T_LOCAL = "20261201173000"  # 10:30 UTC
T_UTC = datetime(2026, 12, 1, 10, 30, tzinfo=UTC)


def catalog() -> Catalog:
    rows: list[tuple[str, str, int | None, str | None]] = [
        ("AIR1", "air", 1, "pm25"), ("AIR1", "air", 2, "no2"), ("AIR1", "air", 3, "co"),
        ("AIR1", "air", 4, "temperature"), ("WAT1", "water", 10, "ph"),
        ("WAT1", "water", 11, "no2"), ("WAT1", "water", 12, "water_temperature"),
        ("WAT1", "water", 13, "cod"), ("STK1", "stack", 20, "so2"), ("STK1", "stack", 21, "pm"),
        ("STK1", "stack", 22, "o2"), ("NT1", "wastewater", 30, "tss"),
        ("NT1", "wastewater", 31, "temperature"), ("NT1", "wastewater", 32, "cl"),
    ]
    return Catalog.build(rows)


def test_names_both_forms_in_vietnam_time():
    new = parse_name(f"HN_GLHN_KHINVC_{T_LOCAL}.txt")
    assert (new.prefix, new.measured_at, new.legacy) == ("HN_GLHN_KHINVC", T_UTC, False)
    assert new.station_candidates() == ("KHINVC", "HN_GLHN_KHINVC")
    old = parse_name(f"KCNDiemThuy{T_LOCAL}.txt")
    assert (old.prefix, old.legacy, old.station_candidates()) == ("KCNDiemThuy", True,
                                                                  ("KCNDiemThuy",))
    assert file_name("HN", "ABC", "NUO001", T_UTC) == f"HN_ABC_NUO001_{T_LOCAL}.txt"


@pytest.mark.parametrize("name", [
    "HN_ABC_NUO001.txt", f"HN_ABC_NUO001_{T_LOCAL}.csv", "HN_ABC_NUO001_20261301173000.txt",
    f"../HN_ABC_{T_LOCAL}.txt", f"HN ABC_{T_LOCAL}.txt", "x" * 300 + f"{T_LOCAL}.txt",
])
def test_bad_names_are_refused_with_a_reason(name):
    with pytest.raises(FileNameError):
        parse_name(name)


def test_lines_bom_crlf_status_and_rejects():
    data = (
        f"\ufeffpH\t7.2\t-\t{T_LOCAL}\t00\r\n"
        f"COD\t35.1\tmg/L\t{T_LOCAL}\t01\r\n"
        f"Temp\t27.5\t°C\t{T_LOCAL}\t02\r\n"
        "\r\n"
        f"COD\tabc\tmg/L\t{T_LOCAL}\t00\r\n"
        f"COD\t1\tmg/L\t{T_LOCAL}\t07\r\n"
        "COD\t1\tmg/L\t2026-12-01\t00\r\n"
        "COD 1 mg/L\r\n"
    ).encode()
    parsed = parse_file(data, f"HN_ABC_WAT1_{T_LOCAL}.txt")
    assert [(x.symbol, x.value, x.unit, x.time, x.quality) for x in parsed.lines] == [
        ("pH", 7.2, "-", T_UTC, None), ("COD", 35.1, "mg/L", T_UTC, "calibrating"),
        ("Temp", 27.5, "°C", T_UTC, "error")]
    reasons = {r.number: r.reason for r in parsed.rejects}
    assert set(reasons) == {5, 6, 7, 8}
    assert "not a number" in reasons[5] and "not 00, 01 or 02" in reasons[6]
    assert "yyyyMMddHHmmss" in reasons[7] and "5 expected" in reasons[8]
    assert parsed.rejects[-1].text == b"COD 1 mg/L"


@pytest.mark.parametrize(("data", "reason"), [
    ("Temp\t28\t\u00b0C\t{t}\t00\r\n".encode("latin-1"), "not UTF-8"),
    (b"\r\n\r\n", "no line"),
    (b"pH\t7\t-\x00\t" + T_LOCAL.encode() + b"\t00", "NUL"),
])
def test_unusable_files_raise(data, reason):
    data = data.replace(b"{t}", T_LOCAL.encode())
    with pytest.raises(FileError, match=reason):
        parse_file(data, f"HN_ABC_WAT1_{T_LOCAL}.txt")


def test_gas_conversions_at_25_celsius_one_atmosphere():
    # WHO/EEA factors at 25 °C and 1 atm: 1 ppb NO2 = 1.88 µg/m³, 1 ppm CO = 1.145 mg/m³
    assert converter("ppb", "ug/m3", 46.005)(1.0) == pytest.approx(1.880, abs=0.001)
    assert converter("ppm", "ug/m3", 28.010)(1.0) == pytest.approx(1145, abs=1)
    assert converter("ppm", "mg/m3", 64.064)(1.0) == pytest.approx(2.619, abs=0.001)
    assert converter("mg/Nm3", "ug/m3", None)(0.5) == pytest.approx(500)
    assert converter("µg/Nm3", "ug/m3", None)(42.0) == 42.0
    with pytest.raises(UnitError, match="unknown unit"):
        converter("grains/ft3", "ug/m3", None)
    with pytest.raises(UnitError, match="molar mass"):
        converter("ppb", "ug/m3", None)
    with pytest.raises(UnitError, match="cannot be converted"):
        converter("mg/L", "ug/m3", None)


def test_rows_map_symbols_per_kind_convert_and_explain():
    cat = catalog()
    air = parse_file((
        f"PM2,5\t35\tµg/Nm3\t{T_LOCAL}\t00\n"
        f"NO2\t100\tppb\t{T_LOCAL}\t00\n"
        f"CO\t1\tppm\t{T_LOCAL}\t01\n"
        f"Temp\t30\toC\t{T_LOCAL}\t00\n"
        f"SO2\t5\tppb\t{T_LOCAL}\t00\n"
        f"XYZ\t1\tmg/L\t{T_LOCAL}\t00\n"
        f"PM2,5\t9000\tµg/Nm3\t{T_LOCAL}\t00\n"
        f"NO2\t1\tgrains\t{T_LOCAL}\t00\n"
    ).encode(), f"HN_X_AIR1_{T_LOCAL}.txt")
    out = file_rows(air, cat.stations["AIR1"], NOW)
    assert [(r[0], round(r[2], 1), r[3]) for r in out.rows] == [
        (1, 35.0, None), (2, 188.0, None), (3, 1144.9, "calibrating"), (4, 30.0, None)]
    reasons = {r.number: r.reason for r in out.rejects}
    assert "no datastream for SO2" in reasons[5] and "unknown symbol 'XYZ'" in reasons[6]
    assert "outside 0..2000" in reasons[7]  # the duplicate PM2,5 line is refused for its range
    assert "unknown unit" in reasons[8]
    water_data = f"NO2\t0.05\tmg/L\t{T_LOCAL}\t00\nTemp\t25\t°C\t{T_LOCAL}\t00\n".encode()
    water = parse_file(water_data, f"WAT1{T_LOCAL}.txt")
    rows = file_rows(water, cat.stations["WAT1"], NOW).rows
    assert [r[0] for r in rows] == [11, 12]  # nitrite and water temperature at a water station


def test_future_and_repeated_lines_are_refused():
    cat = catalog()
    parsed = parse_file(b"pH\t7\t-\t20261202000000\t00\npH\t7\t-\t20261201173000\t00\n"
                        b"pH\t7.1\t-\t20261201173000\t00\n", f"WAT1{T_LOCAL}.txt")
    out = file_rows(parsed, cat.stations["WAT1"], NOW)
    assert len(out.rows) == 1
    assert ["future" in r.reason or "twice" in r.reason for r in out.rejects] == [True, True]


def test_written_files_parse_back():
    lines = [FileLine("pH", 7.25, "-", T_UTC, "00"), FileLine("COD", 1e-7, "mg/L", T_UTC, "02"),
             FileLine("TSS", 120.0, "mg/L", T_UTC, "01")]
    data = render(lines)
    assert data.count(b"\r\n") == 3 and b"e-" not in data
    parsed = parse_file(data, f"HN_A_B_{T_LOCAL}.txt")
    assert [(x.symbol, x.value, x.status) for x in parsed.lines] == [
        ("pH", 7.25, "00"), ("COD", 1e-7, "02"), ("TSS", 120.0, "01")]


def test_facility_points_stack_ppm_to_mg_and_wastewater_symbols():
    cat = catalog()
    stack = parse_file(f"SO2\t100\tppm\t{T_LOCAL}\t00\nPM\t12\tmg/Nm3\t{T_LOCAL}\t00\n"
                       f"O2\t7.5\t%V\t{T_LOCAL}\t00\n".encode(), f"HN_F_STK1_{T_LOCAL}.txt")
    rows = file_rows(stack, cat.stations["STK1"], NOW).rows
    assert [(r[0], round(r[2], 1)) for r in rows] == [(20, 261.9), (21, 12.0), (22, 7.5)]
    ww = parse_file(f"TSS\t40\tmg/L\t{T_LOCAL}\t00\nTemp\t31\t°C\t{T_LOCAL}\t00\n"
                    f"Cl\t0.5\tmg/l\t{T_LOCAL}\t00\n".encode(), f"HN_F_NT1_{T_LOCAL}.txt")
    assert [r[0] for r in file_rows(ww, cat.stations["NT1"], NOW).rows] == [30, 31, 32]
