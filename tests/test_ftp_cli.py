"""The FTP commands against the running receiver: account rotation and the datalogger
simulator."""

from __future__ import annotations

import ftplib
import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.fixtures.cli import iocgis
from tests.fixtures.ftp import Env
from tests.ftp_support import login, query, wait_until


def test_account_rotation_prints_the_new_password_once_and_ends_the_old(ftp_env: Env):
    code = ftp_env.codes[0]
    out = iocgis(ftp_env.url, "ftp", "account", code, "--json")
    assert out.returncode == 0, out.stderr
    new = json.loads(out.stdout)
    assert new["user"] == code and new["password"] != ftp_env.passwords[code]
    with pytest.raises(ftplib.error_perm, match="530"):
        login(ftp_env.port, code, ftp_env.passwords[code])
    login(ftp_env.port, code, new["password"]).close()
    ftp_env.passwords[code] = new["password"]
    stored = query(ftp_env.url, "SELECT password_hash FROM sensor.ftp_accounts WHERE code = %s",
                   code)
    assert stored[0][0].startswith("scrypt$") and new["password"] not in stored[0][0]
    assert iocgis(ftp_env.url, "ftp", "account", "NOSUCHSTATION").returncode == 1
    assert iocgis(ftp_env.url, "ftp", "serve", "--passive-ports", "9-3").returncode == 2


def test_datalogger_simulator_sends_good_bad_late_and_resent_files(ftp_env: Env):
    code = ftp_env.codes[0]
    url = f"ftp://{code}:{ftp_env.passwords[code]}@127.0.0.1:{ftp_env.port}"
    before = len(query(ftp_env.url, "SELECT id FROM sensor.station_files WHERE account = %s",
                       code))
    out = iocgis(ftp_env.url, "datalogger", "simulate", "--url", url, "--files", "30",
              "--late-days", "7", "--bad-share", "0.3", "--resend-share", "0.3", "--seed", "4")
    assert out.returncode == 0, out.stderr
    sent = int(out.stdout.split()[0])
    assert sent > 30  # re-sends on top of the 30 cycles

    def states() -> list[str]:
        return [r[0] for r in query(ftp_env.url, "SELECT state FROM sensor.station_files WHERE"
                                    " account = %s ORDER BY id", code)][before:]

    assert wait_until(lambda: len(states()) == sent and "received" not in states())
    got = states()
    assert {"done", "duplicate", "rejected"} <= set(got)
    oldest = query(ftp_env.url, "SELECT min(measured_at) FROM sensor.station_files"
                   " WHERE account = %s AND state = 'done'", code)[0][0]
    assert oldest < datetime.now(UTC) - timedelta(days=6)


