"""Reports of a real month: US Embassy Hà Nội hourly PM2.5, October–November 2019 (shipped in
data/air/). The counts are recomputed here from the CSV alone (Decision 1459 breakpoints,
QCVN 05:2023 24 h limit then in force); the API answers the same numbers; PDF and XLSX agree."""

from __future__ import annotations

import csv
import io
import subprocess
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from gis.settings import to_libpq_url
from maps.app import create_app
from sensors import rollups
from sensors.reports.figures import compute
from sensors.reports.period import parse
from sensors.reports.schedule import run_schedule
from sensors.reports.store import build, store
from sensors.stations import StationRecord, register
from tests.fixtures.indices import ingest
from tests.fixtures.web import maps_settings

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "air" / "hanoi_us_embassy_pm25_2019-10_2019-11.csv"
VN = ZoneInfo("Asia/Ho_Chi_Minh")
#: Decision 1459/QĐ-TCMT Bảng 2, PM2.5 column, and the index breakpoints.
BP = (0, 25, 50, 80, 150, 250, 350, 500)
IDX = (0, 50, 100, 150, 200, 300, 400, 500)
NAMES = ("good", "moderate", "poor", "bad", "very_bad", "hazardous")
UPPER = (50, 100, 150, 200, 300)


def _aqi(c: float) -> int:
    for i in range(len(BP) - 1):
        if c <= BP[i + 1]:
            v = IDX[i] + (IDX[i + 1] - IDX[i]) * (c - BP[i]) / (BP[i + 1] - BP[i])
            return int(v + 0.5)
    raise AssertionError(c)


def _category(aqi: int) -> str:
    for name, top in zip(NAMES, UPPER, strict=False):
        if aqi <= top:
            return name
    return "hazardous"


def _readings() -> list[tuple[datetime, float]]:
    with DATA.open(encoding="utf-8") as f:
        return [
            (
                datetime.strptime(r["Date (LT)"], "%Y-%m-%d %I:%M %p").replace(tzinfo=VN),
                float(r["Raw Conc."]),
            )
            for r in csv.DictReader(f)
            if r["QC Name"] == "Valid" and float(r["Raw Conc."]) >= 0
        ]


def _expected(first: date, end: date) -> dict:
    by_day: dict[date, list[float]] = defaultdict(list)
    for t, v in _readings():
        if first <= t.date() < end:
            by_day[t.date()].append(v)
    daily = {d: _aqi(sum(v) / len(v)) for d, v in by_day.items()}
    counts = {n: 0 for n in NAMES}
    for a in daily.values():
        counts[_category(a)] += 1
    return {
        "by_category": counts,
        "aqi_days": len(daily),
        "exceed_24h": sum(1 for v in by_day.values() if sum(v) / len(v) > 50),
        "received": sum(len(v) for v in by_day.values()),
        "below": sum(
            1
            for d in range((end - first).days)
            if len(by_day.get(first + timedelta(days=d), [])) < 18
        ),
        "worst": sorted(daily.items(), key=lambda kv: (-kv[1], kv[0]))[:5],
    }


@pytest.fixture(scope="module")
def hanoi(database_url, admin_loaded):
    code = "HN-USEMB-R"
    with psycopg.connect(to_libpq_url(database_url)) as c:
        register(c, [StationRecord(code, "US Embassy Hanoi", "air", 105.8188, 21.0215, ["pm25"])])
        commune = c.execute(
            "SELECT code FROM admin.communes WHERE ST_Contains(geom,"
            " ST_SetSRID(ST_MakePoint(105.8188, 21.0215), 4326))"
        ).fetchone()[0]
        sid, ds = c.execute(
            "UPDATE sensor.stations s SET commune_code = %s, created_at = '2019-09-01'"
            " FROM sensor.datastreams d WHERE d.station_id = s.id AND s.code = %s"
            " RETURNING s.id, d.id",
            [commune, code],
        ).fetchone()
        c.execute("SELECT sensor.ensure_observation_partitions('2019-09-01', '2019-12-31')")
        c.commit()
        ingest(c, [(ds, t, v, None) for t, v in _readings()])
        rollups.process_pending(c)
        c.commit()
    return code, sid, ds, commune


def test_month_counts_equal_an_independent_computation(database_url, hanoi):
    code, _sid, _ds, commune = hanoi
    with psycopg.connect(to_libpq_url(database_url)) as c:
        by_station = compute(c, "air", code, parse("2019-11"))
        by_province = compute(c, "air", "01", parse("2019-11"))
        by_commune = compute(c, "air", commune, parse("2019-11"))
    s = by_station["stations"][0]
    want = _expected(date(2019, 11, 1), date(2019, 12, 1))
    assert s["by_category"] == want["by_category"]
    assert s["aqi_days"] == want["aqi_days"] == 29  # one day of November 2019 has no reading
    assert s["exceedances"]["pm25"]["24h"] == want["exceed_24h"] > 0
    assert s["completeness"]["received"] == want["received"] == 632
    assert s["completeness"]["expected"] == 30 * 24
    assert s["completeness"]["days_below"] == want["below"]
    assert [(w["day"], w["aqi"]) for w in s["worst"]] == [
        (d.isoformat(), a) for d, a in want["worst"]
    ]
    prev = s["previous"]  # October: data from the 7th on
    want_prev = _expected(date(2019, 10, 1), date(2019, 11, 1))
    assert prev["by_category"] == want_prev["by_category"]
    assert prev["completeness"]["days_below"] == want_prev["below"] >= 6
    ours = next(x for x in by_province["stations"] if x["code"] == code)
    assert ours == s == next(x for x in by_commune["stations"] if x["code"] == code)


def test_api_answers_the_same_numbers(database_url, hanoi):
    code = hanoi[0]
    with psycopg.connect(to_libpq_url(database_url)) as c:
        s = compute(c, "air", code, parse("2019-11"))["stations"][0]
    with TestClient(create_app(maps_settings(database_url))) as client:
        aqi = client.get(
            f"/stations/{code}/aqi",
            params={
                "daily": "true",
                "from": "2019-11-01T00:00:00+07:00",
                "to": "2019-12-01T00:00:00+07:00",
            },
        )
        comp = client.get(
            f"/stations/{code}/completeness", params={"from": "2019-11-01", "to": "2019-11-30"}
        )
        # The exceedances layer (OGC API Features): the month's 24 h alerts of the station.
        alerts = client.get(
            "/collections/alerts/items",
            params={
                "filter": f"station_code = '{code}' AND period = '24h'",
                "datetime": "2019-10-31T17:00:00Z/2019-11-30T17:00:00Z",
                "limit": 1000,
            },
        )
    assert aqi.status_code == 200 and comp.status_code == 200
    assert alerts.status_code == 200, alerts.text
    assert alerts.json()["numberMatched"] == s["exceedances"]["pm25"]["24h"]
    values = aqi.json()["values"]
    counts = {n: sum(1 for v in values if v["category"] == n) for n in NAMES}
    assert counts == s["by_category"]
    assert max(v["aqi"] for v in values) == s["worst"][0]["aqi"]
    assert comp.json()["received"] == s["completeness"]["received"]
    assert comp.json()["expected"] == s["completeness"]["expected"]


def _pdf_text(pdf: bytes, tmp_path: Path) -> tuple[str, int]:
    path = tmp_path / "r.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, text=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages")))
    return text, pages


def test_pdf_and_xlsx_hold_the_same_numbers(database_url, hanoi, tmp_path):
    code = hanoi[0]
    with psycopg.connect(to_libpq_url(database_url)) as c:
        built = build(c, "air", "01", parse("2019-11"))
    s = next(x for x in built.figures["stations"] if x["code"] == code)
    wb = load_workbook(io.BytesIO(built.xlsx))
    assert {
        "Report",
        "VN_AQI",
        "Worst days",
        "Exceedances",
        "Completeness",
        "Comparison",
        "Daily",
    } <= set(wb.sheetnames)
    row = next(
        r for r in wb["VN_AQI"].iter_rows(min_row=3, values_only=True) if str(r[0]).startswith(code)
    )
    assert list(row[1:7]) == [s["by_category"][n] for n in NAMES]
    exc = next(
        r
        for r in wb["Exceedances"].iter_rows(min_row=3, values_only=True)
        if r[0] == code and r[1] == "PM2.5"
    )
    assert exc[6] == s["exceedances"]["pm25"]["24h"]
    daily = [r for r in wb["Daily"].iter_rows(min_row=3, values_only=True) if r[0] == code]
    assert len(daily) == s["aqi_days"] == 29
    text, pages = _pdf_text(built.pdf, tmp_path)
    assert pages >= 3
    assert "BÁO CÁO CHẤT LƯỢNG KHÔNG KHÍ" in text
    assert "Hà Nội (01)" in text
    assert "Trung bình" in text and "QCVN 05:2023/BTNMT" in text
    line = next(x for x in text.splitlines() if f"{code} – US Embassy" in x)
    assert [int(n) for n in line.split()[-8:-2]] == [s["by_category"][n] for n in NAMES]


def test_stored_reports_are_revised_by_late_data(database_url, hanoi, tmp_path):
    code, _sid, ds, _commune = hanoi
    with psycopg.connect(to_libpq_url(database_url)) as c:
        first = store(c, "air", code, parse("2019-11"))
        c.commit()
        assert first is not None
        assert store(c, "air", code, parse("2019-11")) is None  # same figures: no revision
        # A late reading for a clean day: its mean rises above the 24 h limit.
        figures = compute(c, "air", code, parse("2019-11"))["stations"][0]
        clean, aqi, _cat = min(figures["daily"], key=lambda d: d[1])
        assert aqi <= 100  # a 24 h mean of at most 50 µg/m³: under the limit
        t = datetime.fromisoformat(clean).replace(tzinfo=VN) + timedelta(hours=3, minutes=30)
        ingest(c, [(ds, t, 2000.0, None)])
        rollups.process_pending(c)
        c.commit()
        second = store(c, "air", code, parse("2019-11"))
        c.commit()
        assert second is not None
        rows = c.execute(
            "SELECT revision, summary->>'revision' FROM reports.reports"
            " WHERE kind = 'air' AND area = %s ORDER BY revision",
            [code],
        ).fetchall()
        assert rows == [(1, "1"), (2, "2")]
        after = compute(c, "air", code, parse("2019-11"))["stations"][0]
        assert after["exceedances"]["pm25"]["24h"] == figures["exceedances"]["pm25"]["24h"] + 1
        pdf = c.execute("SELECT pdf FROM reports.reports WHERE id = %s", [second]).fetchone()[0]
        # The schedule stores Hà Nội's (01) report of the last month and quarter.
        made = run_schedule(c, now=datetime(2019, 12, 2, 8, tzinfo=VN))
        periods = c.execute(
            "SELECT period FROM reports.reports WHERE id = ANY(%s) AND area = '01' ORDER BY period",
            [made],
        ).fetchall()
    assert ("2019-11",) in periods and ("2019-Q3",) in periods
    text, _pages = _pdf_text(bytes(pdf), tmp_path)
    assert "revised" in text


def test_water_report_has_wqi_and_qcvn_08_exceedances(database_url, tmp_path):
    params = ["ph", "do", "water_temperature", "bod5", "cod", "nh4", "coliform"]
    vals = {
        "ph": 7.0,
        "do": 6.0,
        "water_temperature": 25.0,
        "bod5": 5.0,
        "cod": 12.0,
        "coliform": 3000.0,
    }
    day0 = datetime(2026, 3, 2, tzinfo=VN)
    with psycopg.connect(to_libpq_url(database_url)) as c:
        register(c, [StationRecord("MK-R1", "Kênh thử", "water", 105.6, 10.0, params)])
        ds = dict(
            c.execute(
                "SELECT d.property_code, d.id FROM sensor.datastreams d JOIN sensor.stations s"
                " ON s.id = d.station_id WHERE s.code = 'MK-R1'"
            ).fetchall()
        )
        c.execute("UPDATE sensor.stations SET created_at = '2026-01-01' WHERE code = 'MK-R1'")
        c.execute("SELECT sensor.ensure_observation_partitions('2026-02-01', '2026-04-30')")
        c.commit()
        rows = []
        for d in range(3):  # three days, one sample at 08:00; NH4 over QCVN 08 (0.3) on two
            t = day0 + timedelta(days=d, hours=8)
            rows += [(ds[p], t, v, None) for p, v in vals.items()]
            rows.append((ds["nh4"], t, 0.2 if d == 0 else 0.5, None))
        ingest(c, rows)
        rollups.process_pending(c)
        c.commit()
        built = build(c, "water", "MK-R1", parse("2026-03"))
    s = built.figures["stations"][0]
    assert s["exceedances"]["nh4"]["1h"] == 2
    assert s["wqi_days"] == 3 and s["wqi_min"] <= s["wqi_mean"] <= s["wqi_max"]
    assert sum(s["by_band"].values()) == 3
    assert s["completeness"]["received"] == 3 * len(params)
    wb = load_workbook(io.BytesIO(built.xlsx))
    row = next(r for r in wb["VN_WQI"].iter_rows(min_row=3, values_only=True))
    assert row[1:5] == (3, s["wqi_min"], s["wqi_mean"], s["wqi_max"])
    text, pages = _pdf_text(built.pdf, tmp_path)
    assert "BÁO CÁO CHẤT LƯỢNG NƯỚC MẶT" in text and "QCVN 08:2023/BTNMT" in text
    assert pages >= 2
