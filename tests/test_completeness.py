"""Completeness per station and local day, on real PostGIS: stored by the rollup job, served
by the CLI (and the API: tests/test_facilities_web.py)."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta

import pytest

from cli.common import run_app
from cli.main import app
from gis.errors import InvalidInput, NotFound
from sensors import rollups
from sensors.completeness import completeness, ratio
from sensors.contract.reads import run
from sensors.facilities.store import import_file
from tests.fixtures.indices import DAY, T0, db, ingest  # noqa: F401  (db is a fixture)
from tests.test_facilities import _csv, _ds, _row


@pytest.fixture()
def point(database_url: str, db, tmp_path):  # noqa: F811
    """A point with ph, cod, tss at 12 readings an hour (864 expected a day), and readings of
    2026-03-10 local: cod 12/h for 10 h, tss 6/h for 10 h (2 of them calibrating), ph none."""
    fac, code = f"C{uuid.uuid4().hex[:6]}", f"C{uuid.uuid4().hex[:6]}-P"
    import_file(db, _csv(tmp_path, [_row(fac, code)]))
    db.commit()
    ds = _ds(db, code)
    rows = [(ds["cod"], T0 + timedelta(minutes=5 * i), 50.0, None) for i in range(120)]
    rows += [
        (ds["tss"], T0 + timedelta(minutes=10 * i), 20.0, "calibrating" if i < 2 else None)
        for i in range(60)
    ]
    ingest(db, rows)
    rollups.process_pending(db)
    db.commit()  # the reads above opened a transaction: the rollups ran inside it
    return code


def test_stored_by_the_rollup_job(point, db) -> None:  # noqa: F811
    row = db.execute(
        "SELECT c.received, c.expected FROM sensor.completeness_daily c JOIN sensor.stations s"
        " ON s.id = c.station_id WHERE s.code = %s AND c.day = %s",
        [point, DAY],
    ).fetchone()
    assert row == (180, 3 * 12 * 24)


def test_served_per_day_with_missing_days(point, db) -> None:  # noqa: F811
    got = run(db, completeness(point, DAY - timedelta(days=1), DAY + timedelta(days=1)))
    # The day before the first reading (and before registration) is not part of the record.
    assert [d["day"] for d in got["days"]] == ["2026-03-10", "2026-03-11"]
    first, second = got["days"]
    assert (first["received"], first["expected"]) == (180, 864)
    assert first["ratio"] == pytest.approx(180 / 864)
    assert (second["received"], second["expected"], second["ratio"]) == (0, 864, 0.0)
    assert (got["received"], got["expected"]) == (180, 1728)


def test_late_readings_update_the_day(point, db) -> None:  # noqa: F811
    ds = _ds(db, point)
    ingest(db, [(ds["ph"], T0 + timedelta(hours=20, minutes=m), 7.0, None) for m in (1, 2)])
    rollups.process_pending(db)
    got = run(db, completeness(point, DAY, DAY))
    assert got["days"][0]["received"] == 182


def test_bad_windows_and_unknown_station(db) -> None:  # noqa: F811
    with pytest.raises(InvalidInput, match="before"):
        completeness("X", DAY, DAY - timedelta(days=1))
    with pytest.raises(InvalidInput, match="366 days"):
        completeness("X", date(2020, 1, 1), date(2022, 1, 1))
    with pytest.raises(NotFound):
        run(db, completeness("NO-SUCH-STATION", DAY, DAY))
    assert ratio(5, 0) is None and ratio(20, 10) == 1.0
    # The default window of a day at the start of the calendar does not overflow.
    early = completeness("X", None, date(1, 1, 2))
    assert (early.params["start"], early.params["end"]) == (date(1, 1, 1), date(1, 1, 2))


def test_cli(point, capsys) -> None:
    assert run_app(app, ["stations", "completeness", point, "--from", "2026-03-10",
                         "--to", "2026-03-11", "--json"]) == 0  # fmt: skip
    out = json.loads(capsys.readouterr().out)
    assert [(d["received"], d["expected"]) for d in out["days"]] == [(180, 864), (0, 864)]
    assert run_app(app, ["stations", "completeness", point, "--from", "2026-03-10",
                         "--to", "2026-03-10"]) == 0  # fmt: skip
    assert capsys.readouterr().out.strip() == "2026-03-10\t180/864\t20.8 %"
    assert run_app(app, ["stations", "completeness", "NOPE", "--to", "2026-03-10"]) == 1
    assert run_app(app, ["stations", "completeness", point, "--from", "10/03/2026"]) == 2
