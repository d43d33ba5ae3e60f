"""The sensors contract's reads (AQI/WQI series, station status) and `iocgis aqi`/`wqi`."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from cli.main import app
from gis.errors import InvalidInput, NotFound
from sensors import rollups
from sensors.contract import aqi_series, days, hours, run, station_status, wqi_series
from tests.fixtures.indices import DAY, T0, H, ingest, make_station, series

runner = CliRunner()


@pytest.fixture()
def air(db):
    code, _sid, ds = make_station(db, "air", ["pm25", "no2"])
    ingest(db, series(ds["pm25"], [20.0] * 6) + series(ds["no2"], [118.7] * 6))
    rollups.process_pending(db)
    return code


@pytest.fixture()
def water(db):
    code, _sid, ds = make_station(db, "water", ["ph", "bod5", "cod", "nh4", "coliform"])
    vals = {"ph": 7.0, "bod5": 5.0, "cod": 12.0, "nh4": 0.2, "coliform": 3000.0}
    ingest(db, [(ds[p], T0 + timedelta(minutes=5), v, None) for p, v in vals.items()])
    rollups.process_pending(db)
    return code


def test_aqi_series(air, db) -> None:
    doc = run(db, aqi_series(air, hours(T0, T0 + 6 * H)))
    rows = doc["values"]
    assert [r["time"] for r in rows] == [T0 + i * H for i in range(1, 6)]
    first = rows[0]
    assert first["aqi"] == 59 and first["dominant"] == "no2"
    assert (first["category"], first["category_vi"], first["color"]) == (
        "moderate", "Trung bình", "#ffff00")  # fmt: skip
    assert first["advice_vi"] and doc["source"] == doc["station_name"]
    assert first["sub_indices"] == {"no2": 59.35, "pm25": 40.0}
    daily = run(db, aqi_series(air, days(DAY, DAY)))["values"]
    assert [(r["time"], r["aqi"]) for r in daily] == [(DAY, 59)]
    us = run(db, aqi_series(air, hours(T0, T0 + 6 * H), scheme="us"))
    assert us["values"][0]["dominant"] == "pm25" and us["scheme"] == "us"
    # Each scheme's own scale: a US value is named with the EPA's categories.
    assert {v["category_en"] for v in us["values"]} <= {"Good", "Moderate"}


def test_query_errors(air, db) -> None:
    with pytest.raises(NotFound):
        run(db, aqi_series("NO_SUCH", hours(T0, T0 + H)))
    with pytest.raises(InvalidInput, match="scheme"):
        aqi_series(air, hours(T0, T0 + H), scheme="eu")
    with pytest.raises(InvalidInput, match="before"):
        hours(T0 + H, T0)
    with pytest.raises(InvalidInput, match="zone"):
        hours(T0.replace(tzinfo=None), T0)
    with pytest.raises(InvalidInput, match="air station"):
        run(db, wqi_series(air, hours(T0, T0 + H)))


def test_wqi_series(water, db) -> None:
    rows = run(db, wqi_series(water, hours(T0, T0 + H)))["values"]
    assert len(rows) == 1
    assert rows[0]["wqi"] is not None and rows[0]["parameters"] == sorted(
        ["ph", "bod5", "cod", "nh4", "coliform"]
    )


def test_station_status(air, water, db) -> None:
    status = {s["station"]: s for s in run(db, station_status())}
    a, w = status[air], status[water]
    # The latest hour with an AQI is hour 6: no reading, but c2 and c3 give a PM2.5 NowCast.
    assert a["time"] == T0 + 6 * H
    assert a["aqi"] == 40 and a["dominant"] == "pm25" and a["color"] == "#00e400"
    assert a["state"] == "offline"  # readings of March 2026 are old by now
    assert w["wqi"] is not None and w["kind"] == "water" and w["color"]


def test_cli_aqi_csv_and_json(air) -> None:
    result = runner.invoke(
        app, ["aqi", "--station", air, "--from", "2026-03-10", "--to", "2026-03-10T06:00"]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0])[:5] == ["station", "time", "aqi", "category", "dominant"]
    assert rows[0]["time"] == "2026-03-09T18:00:00Z" and rows[0]["aqi"] == "59"
    assert rows[0]["category"] == "Trung bình" and rows[0]["dominant"] == "no2"
    result = runner.invoke(
        app,
        [
            "aqi",
            "--station",
            air,
            "--from",
            "2026-03-10",
            "--to",
            "2026-03-10",
            "--daily",
            "--scheme",
            "us",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data[0]["time"] == "2026-03-10" and data[0]["scheme"] == "us"


def test_cli_wqi(water) -> None:
    result = runner.invoke(
        app, ["wqi", "--station", water, "--from", "2026-03-10", "--to", "2026-03-11"]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows[0]["station"] == water and rows[0]["wqi"]
    assert rows[0]["parameters"] == "bod5;cod;coliform;nh4;ph"


def test_cli_unknown_station() -> None:
    result = runner.invoke(
        app, ["aqi", "--station", "NOPE", "--from", "2026-03-10", "--to", "2026-03-11"]
    )
    assert result.exit_code != 0
    assert isinstance(result.exception, NotFound)


@pytest.mark.parametrize(
    "module",
    [
        "sensors.states",
        "sensors.alerts",
        "sensors.rollups",
        "sensors.contract",
        "sensors.indices.store_wqi",
        "cli.indices",
    ],
)
def test_each_module_imports_first(module: str) -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", f"import {module}"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
