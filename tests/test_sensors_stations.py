"""Station import (CSV, GeoJSON, commune from location, errors) and observation export (CLI)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from gis.errors import ImportFileError, InvalidInput
from gis.settings import to_libpq_url
from sensors.stations import import_file
from sensors.store import Writer
from tests.fixtures.cli import iocgis

HEADER = "code,name,kind,lon,lat,parameters,operator\n"


def test_demo_csv_imports_with_communes_from_location(database_url, admin_loaded, tmp_path):
    done = iocgis(database_url, "stations", "import", "data/stations/demo_stations.csv")
    assert done.returncode == 0, done.stderr
    with psycopg.connect(to_libpq_url(database_url)) as c:
        row = c.execute(
            "SELECT s.commune_code, c.province_code, s.metadata->>'operator',"
            " (SELECT count(*) FROM sensor.datastreams d WHERE d.station_id = s.id)"
            " FROM sensor.stations s JOIN admin.communes c ON c.code = s.commune_code"
            " WHERE s.code = 'HCM-HA-1'").fetchone()
        hanoi = c.execute("SELECT c.province_code FROM sensor.stations s JOIN admin.communes c"
                          " ON c.code = s.commune_code WHERE s.code = 'HN-USEMB'").fetchone()
    assert row[1] == "79" and row[2] == "HealthyAir IER VNU-HCM" and row[3] == 7
    assert hanoi == ("01",)
    again = iocgis(database_url, "stations", "import", "data/stations/demo_stations.csv")
    assert "0 new" in again.stdout and "0 datastreams added" in again.stdout


def test_geojson_import(conn, database_url, tmp_path):
    path = tmp_path / "s.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "geometry": {"type": "Point", "coordinates": [105.8, 21.0]},
        "properties": {"code": "GJ-1", "name": "Sông Tô Lịch", "kind": "water",
                       "parameters": ["ph", "do", "no2"], "sensor_model": "YSI EXO2"}}]}),
        encoding="utf-8")
    summary = import_file(conn, path)
    conn.commit()
    assert (summary.stations, summary.datastreams_added) == (1, 3)
    units = dict(conn.execute(
        "SELECT d.property_code, d.unit FROM sensor.datastreams d JOIN sensor.stations s"
        " ON s.id = d.station_id WHERE s.code = 'GJ-1'").fetchall())
    assert units == {"ph": "[pH]", "do": "mg/L", "no2": "mg/L"}


@pytest.mark.parametrize(("body", "message"), [
    ("X/1,a,air,106,10,pm25,\n", "code"),
    ("A1,a,soil,106,10,pm25,\n", "kind"),
    ("A1,a,air,206,10,pm25,\n", "out of range"),
    ("A1,a,air,106,10,pm25;ph,\n", r"line 3: unknown air parameter\(s\) ph"),
    ("A1,a,air,106,10,,\n", "no parameters"),
    ("A1,a,air,106,10,pm25,\nA1,b,air,106,10,pm25,\n", "appears twice"),
])
def test_bad_rows_are_refused_and_nothing_is_stored(conn, tmp_path, body, message):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "OK1,fine,air,106,10,pm25,\n" + body, encoding="utf-8")
    with pytest.raises(InvalidInput, match=message):
        import_file(conn, path)
    assert conn.execute("SELECT count(*) FROM sensor.stations WHERE code = 'OK1'").fetchone() \
        == (0,)


def test_missing_columns_and_unknown_commune(conn, tmp_path):
    path = tmp_path / "cols.csv"
    path.write_text("code,name\nA,b\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="missing column"):
        import_file(conn, path)
    path.write_text("code,name,kind,lon,lat,parameters,commune_code\nC1,c,air,106,10,pm25,99999\n",
                    encoding="utf-8")
    with pytest.raises(InvalidInput, match="unknown commune"):
        import_file(conn, path)


def test_export_csv_and_json(database_url, tmp_path):
    path = tmp_path / "exp.csv"
    path.write_text(HEADER + "EXP-1,export,air,106,10,pm25;no2,\n", encoding="utf-8")
    with psycopg.connect(to_libpq_url(database_url)) as c:
        import_file(c, path)
        c.commit()
        ds = dict(c.execute("SELECT d.property_code, d.id FROM sensor.datastreams d JOIN"
                            " sensor.stations s ON s.id = d.station_id WHERE s.code = 'EXP-1'"
                            ).fetchall())
    t0 = datetime(2026, 11, 1, tzinfo=UTC)
    rows = [(ds["pm25"], t0 + timedelta(hours=h), 10.5 + h, "ok", t0, h) for h in range(30)]
    rows += [(ds["no2"], t0, 3.0, None, t0, 99)]
    w = Writer(database_url)
    w.write(rows, [], {"EXP-1"})
    w.close()
    out = iocgis(database_url, "observations", "export", "--station", "EXP-1", "--parameter",
                 "pm25", "--from", "2026-11-01T05:00:00+07:00", "--to", "2026-11-02")
    assert out.returncode == 0, out.stderr
    lines = list(csv.reader(io.StringIO(out.stdout)))
    assert lines[0] == ["station", "parameter", "time", "value", "quality"]
    assert len(lines) == 1 + 24  # from 22:00 UTC on 31 Oct to 2 Nov: the 24 hours of 1 Nov
    assert lines[1] == ["EXP-1", "pm25", "2026-11-01T00:00:00+00:00", "10.5", "ok"]
    js = iocgis(database_url, "observations", "export", "--station", "EXP-1", "--from",
                "2026-11-01T00:00:00Z", "--to", "2026-11-01T01:00:00Z", "--format", "json")
    assert [(r["parameter"], r["value"]) for r in json.loads(js.stdout)] == [("no2", 3.0),
                                                                          ("pm25", 10.5)]
    missing = iocgis(database_url, "observations", "export", "--station", "NOPE", "--from",
                     "2026-11-01", "--to", "2026-11-02")
    assert missing.returncode == 1 and "no station" in missing.stderr
    naive = iocgis(database_url, "observations", "export", "--station", "EXP-1", "--from",
                   "2026-11-01T00:00", "--to", "2026-11-02")
    assert naive.returncode == 2 and "time zone" in naive.stderr
