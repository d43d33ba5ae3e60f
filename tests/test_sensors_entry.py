"""``python -m sensors`` takes only what ``iocgis ingest`` hands over; rollups are no option."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import fields

import pytest

from sensors import __main__ as entry
from sensors import ingest_store, ingester, rollups


@pytest.mark.parametrize(
    "args",
    [[], ["--client-id", "x"], ["{not json"], [json.dumps({"client_id": "x"})]],
    ids=["nothing", "an option", "bad json", "a partial set"],
)
def test_the_entry_point_refuses_options_of_its_own(args):
    done = subprocess.run(
        [sys.executable, "-m", "sensors", *args], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert "iocgis ingest --help" in done.stderr and "Traceback" not in done.stderr


def test_ingest_hands_over_every_option(monkeypatch):
    """What ``iocgis ingest`` would execute: the JSON names exactly the entry point's options."""
    from typer.testing import CliRunner

    from cli.main import app

    seen: list[list[str]] = []
    monkeypatch.setattr("os.execv", lambda _exe, argv: seen.append(argv))
    result = CliRunner().invoke(app, ["ingest", "--client-id", "iocgis-t", "--no-rollups",
                                      "--batch", "10"])  # fmt: skip
    assert result.exit_code == 0, result.output
    (argv,) = seen
    assert argv[1:3] == ["-m", "sensors"]
    options = json.loads(argv[3])
    assert set(options) == set(entry.OPTIONS)
    assert (options["client_id"], options["rollups"], options["batch_messages"]) == (
        "iocgis-t", False, 10)  # fmt: skip
    assert set(entry.OPTIONS) <= {f.name for f in fields(ingester.IngestConfig)}


def test_the_ingester_runs_the_rollup_job_itself():
    """Imported, not looked up at run time: a broken rollup module fails the store process's
    start, and with it the ingester's."""
    assert ingest_store.Rollups is rollups.Rollups
