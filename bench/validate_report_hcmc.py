"""Validation run (not a test): the air report of a month of the real HealthyAir Ho Chi Minh
City records, checked against counts made here from the CSV alone.

    .venv/bin/python bench/validate_report_hcmc.py [--month 2021-12] [--csv PATH] [--out F.pdf]

The records are read from ``../shared/data/air/`` (their licence is not stated, so they are not
shipped in ``data/``). On a scratch database the six stations' hourly values are stored as the
ingester stores them, the rollup job runs, and the report's per-station figures are compared
with: 1 h exceedances of QCVN 05:2023 (hourly value over the 1 h limit), 24 h exceedance days
(mean of the local day's hourly values over the 24 h limit), readings received and days below
75 % of the expected readings.
"""

from __future__ import annotations

import argparse
import csv
import sys
import uuid
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gis import migrate  # noqa: E402
from gis.db import drop_database  # noqa: E402
from sensors import rollups  # noqa: E402
from sensors.indices.limits import air_limit  # noqa: E402
from sensors.reports.period import parse  # noqa: E402
from sensors.reports.store import build  # noqa: E402
from sensors.stations import StationRecord, register  # noqa: E402

VN = ZoneInfo("Asia/Ho_Chi_Minh")
COLS = {"PM2.5": "pm25", "O3": "o3", "CO": "co", "NO2": "no2", "SO2": "so2"}
SERVER = "postgresql://postgres@127.0.0.1:5432"


def read(path: Path, first: date, end: date) -> dict[str, list[tuple[datetime, str, float]]]:
    """Station → (local time, parameter, value) of the month."""
    out: dict[str, list[tuple[datetime, str, float]]] = defaultdict(list)
    with path.open(encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            t = datetime.strptime(row["date"], "%d-%m-%Y %H:%M").replace(tzinfo=VN)
            if first <= t.date() < end:
                for col, code in COLS.items():
                    if row.get(col):
                        out[f"HCM-HA-{row['Station_No']}"].append((t, code, float(row[col])))
    return out


def expected(rows: list[tuple[datetime, str, float]], days: int) -> dict[str, object]:
    """The counts made from the CSV alone."""
    hourly_exc: dict[str, int] = defaultdict(int)
    by_day: dict[tuple[str, date], list[float]] = defaultdict(list)
    per_day: dict[date, int] = defaultdict(int)
    for t, p, v in rows:
        lim = air_limit(p, "1h", t.date())
        if lim is not None and v > lim:
            hourly_exc[p] += 1
        by_day[(p, t.date())].append(v)
        per_day[t.date()] += 1
    daily_exc: dict[str, int] = defaultdict(int)
    for (p, d), vals in by_day.items():
        lim = air_limit(p, "24h", d)
        if lim is not None and sum(vals) / len(vals) > lim:
            daily_exc[p] += 1
    return {
        "1h": dict(hourly_exc),
        "24h": dict(daily_exc),
        "received": len(rows),
        "per_day": per_day,
        "days": days,
    }


def main() -> None:
    """Load, report, compare; print one line per station and exit 1 on any difference."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--month", default="2021-12")
    ap.add_argument(
        "--csv",
        type=Path,
        default=ROOT.parent / "shared/data/air/hcmc_healthyair_hourly_2021_2022.csv",
    )
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    period = parse(args.month)
    data = read(args.csv, period.first, period.end)
    url = f"{SERVER}/iocgis_hcmc_{uuid.uuid4().hex[:6]}"
    bad = 0
    try:
        migrate.upgrade(url)
        with psycopg.connect(url) as c:
            register(
                c,
                [
                    StationRecord(k, k, "air", 106.7, 10.8, list(COLS.values()))
                    for k in sorted(data)
                ],
            )
            # A stand-in province 79 and commune on the scratch database, so that one report
            # covers the six stations (the real units are not needed for the counts).
            c.execute(
                "INSERT INTO admin.provinces VALUES ('79', 'Hồ Chí Minh', 'Thành phố Hồ Chí"
                " Minh', NULL, 'thanh_pho', NULL,"
                " ST_Multi(ST_MakeEnvelope(106.3, 10.3, 107.1, 11.2, 4326)))"
            )
            c.execute(
                "INSERT INTO admin.communes (code, province_code, name, full_name, kind,"
                " geom) VALUES ('26734', '79', 'stand-in', 'stand-in', 'phuong',"
                " ST_Multi(ST_MakeEnvelope(106.3, 10.3, 107.1, 11.2, 4326)))"
            )
            c.execute(
                "UPDATE sensor.stations SET created_at = %s, commune_code = '26734'",
                [period.first.isoformat()],
            )
            c.execute(
                "SELECT sensor.ensure_observation_partitions(%s, %s)",
                [period.previous().first, period.end],
            )
            ds = {
                (s, p): i
                for s, p, i in c.execute(
                    "SELECT s.code, d.property_code, d.id FROM sensor.datastreams d"
                    " JOIN sensor.stations s ON s.id = d.station_id"
                ).fetchall()
            }
            rows = [(ds[(s, p)], t, v, None) for s, vals in data.items() for t, p, v in vals]
            with c.cursor() as cur:
                cur.executemany(
                    "INSERT INTO sensor.observations (datastream_id, phenomenon_time,"
                    " result, quality) VALUES (%s, %s, %s, %s)",
                    rows,
                )
                cur.executemany(
                    "INSERT INTO sensor.pending_rollups VALUES (%s,"
                    " date_trunc('hour', %s)) ON CONFLICT DO NOTHING",
                    [(r[0], r[1]) for r in rows],
                )
            c.commit()
            rollups.process_pending(c)
            c.commit()
            built = build(c, "air", "79", period)
            report = {k: build(c, "air", k, period).figures["stations"][0] for k in sorted(data)}
        if args.out:
            args.out.write_bytes(built.pdf)
        for code, s in report.items():
            want = expected(data[code], period.days)
            got_1h = {p: v["1h"] for p, v in s["exceedances"].items() if v.get("1h")}
            got_24h = {p: v["24h"] for p, v in s["exceedances"].items() if v.get("24h")}
            expected_n = 24 * len(COLS)
            below = sum(
                1
                for d in range(period.days)
                if want["per_day"].get(date.fromordinal(period.first.toordinal() + d), 0)
                < 0.75 * expected_n
            )
            same = (
                got_1h == want["1h"]
                and got_24h == want["24h"]
                and s["completeness"]["received"] == want["received"]
                and s["completeness"]["days_below"] == below
            )
            bad += not same
            print(
                f"{code}: {'OK ' if same else 'DIFF'} 1h {got_1h} (csv {want['1h']});"
                f" 24h days {got_24h} (csv {want['24h']}); received"
                f" {s['completeness']['received']} (csv {want['received']}); days below 75 %"
                f" {s['completeness']['days_below']} (csv {below}); AQI days {s['by_category']}"
            )
    finally:
        drop_database(url)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
