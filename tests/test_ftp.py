"""The FTP receiver end to end: real pyftpdlib server, real PostGIS, a real upstream server."""

from __future__ import annotations

import ftplib
import io
import json
import os
import ssl
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from gis.settings import to_libpq_url
from sensors.files.names import file_name
from sensors.ftp.accounts import add_alias, set_account
from tests.fixtures.sensors import make_stations
from tests.ftp_support import (
    IOCGIS,
    free_port,
    login,
    query,
    receiver,
    upload,
    upstream,
    wait_until,
)

PARAMS = ("pm25", "no2", "co", "temperature")
PREFIX = "F" + uuid.uuid4().hex[:6]


def vn(t: datetime) -> str:
    return (t + timedelta(hours=7)).strftime("%Y%m%d%H%M%S")


def good(code: str, t: datetime, pm25: float = 35.0, status: str = "00") -> tuple[str, bytes]:
    s = vn(t)
    data = (f"PM2,5\t{pm25}\tµg/Nm3\t{s}\t{status}\r\nNO2\t100\tppb\t{s}\t00\r\n"
            f"CO\t1.2\tmg/Nm3\t{s}\t00\r\nTemp\t29.5\t°C\t{s}\t00\r\n")
    return file_name("HN", "IOC", code, t), ("\ufeff" + data).encode()


class Env:
    """The module's stations, accounts, receiver and upstream."""

    def __init__(self, url: str, tmp: Path) -> None:
        self.url = url
        self.tmp = tmp
        self.codes = sorted(make_stations(url, PREFIX, 3, "air", PARAMS))
        with psycopg.connect(to_libpq_url(url)) as conn:
            self.passwords = {c: set_account(conn, c) for c in self.codes}
            add_alias(conn, PREFIX + "OLD", self.codes[0])
            conn.commit()
        self.up_port = free_port()
        self.up_dir = tmp / "ministry"
        self.upstream = upstream(self.up_dir, self.up_port, tmp / "upstream.log")
        self.root = tmp / "ftp"
        self.queue = tmp / "relay"
        self.rx = receiver(url, self.root, self.queue, self.up_port, tmp / "receiver.log")

    @property
    def port(self) -> int:
        return self.rx.port

    def send(self, i: int, name: str, data: bytes, folder: str = "") -> str:
        code = self.codes[i]
        return upload(self.port, code, self.passwords[code], name, data, folder)

    def ledger(self, code: str, name: str) -> list[tuple]:
        return query(self.url, "SELECT state, stored, rejected_lines, reason, id"
                     " FROM sensor.station_files WHERE account = %s AND path LIKE %s ORDER BY id",
                     code, "%" + name)

    def wait_state(self, code: str, name: str, n: int = 1) -> list[tuple]:
        assert wait_until(lambda: len([r for r in self.ledger(code, name)
                                       if r[0] != "received"]) >= n), self.log()
        return self.ledger(code, name)

    def count(self, code: str) -> int:
        return query(self.url, "SELECT count(*) FROM sensor.observations o JOIN"
                     " sensor.datastreams d ON d.id = o.datastream_id JOIN sensor.stations s"
                     " ON s.id = d.station_id WHERE s.code = %s", code)[0][0]

    def log(self) -> str:
        return (self.tmp / "receiver.log").read_text()[-3000:]


@pytest.fixture(scope="module")
def env(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    e = Env(database_url, tmp_path_factory.mktemp("ftp"))
    e.rx.start()
    try:
        yield e
    finally:
        e.rx.stop()
        e.upstream.stop()


def test_upload_stores_converted_readings_once_and_marks_the_file_done(env: Env):
    code = env.codes[0]
    t = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    name, data = good(code, t, status="01")
    assert env.send(0, name, data, f"{t:%Y}/{t:%m}/{t:%d}").startswith("226")
    (state, stored, rejected, reason, file_id), = env.wait_state(code, name)
    assert (state, stored, rejected, reason) == ("done", 4, 0, None)
    rows = dict(query(env.url, "SELECT d.property_code, round(o.result::numeric, 1)::float"
                      " FROM sensor.observations o JOIN sensor.datastreams d ON d.id ="
                      " o.datastream_id JOIN sensor.stations s ON s.id = d.station_id"
                      " WHERE s.code = %s AND o.phenomenon_time = %s", code, t))
    assert rows == {"pm25": 35.0, "no2": 188.0, "co": 1200.0, "temperature": 29.5}
    quality = query(env.url, "SELECT o.quality FROM sensor.observations o JOIN sensor.datastreams"
                    " d ON d.id = o.datastream_id JOIN sensor.stations s ON s.id = d.station_id"
                    " WHERE s.code = %s AND d.property_code = 'pm25'", code)
    assert quality == [("calibrating",)]
    folder = env.root / code / f"{t:%Y}" / f"{t:%m}" / f"{t:%d}"
    assert sorted(p.name for p in folder.iterdir()) == [f"{name}.{file_id}.done"]
    # the calibrating PM2.5 reading is left out of the hourly statistics
    hour = t.replace(minute=0, second=0)
    assert wait_until(lambda: query(env.url, "SELECT count(*) FROM sensor.hourly h JOIN"
                      " sensor.datastreams d ON d.id = h.datastream_id JOIN sensor.stations s ON"
                      " s.id = d.station_id WHERE s.code = %s AND h.hour = %s", code, hour)[0][0]
                      == 3)


def test_the_same_file_twice_stores_nothing_twice(env: Env):
    code = env.codes[1]
    t = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=20)
    name, data = good(code, t)
    env.send(1, name, data)
    env.wait_state(code, name)
    before = env.count(code)
    env.send(1, name, data, "again")
    states = [r[0] for r in env.wait_state(code, name, 2)]
    assert states == ["done", "duplicate"] and env.count(code) == before == 4


def test_bad_lines_are_rejected_with_file_and_line_and_good_lines_kept(env: Env):
    code = env.codes[1]
    t = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=15)
    name, data = good(code, t)
    s = vn(t)
    data += (f"XYZ\t1\tmg/L\t{s}\t00\r\nSO2\t5\tppb\t{s}\t00\r\n"
             f"NO2\t1\tgrains\t{s}\t00\r\n").encode()
    env.send(1, name, data)
    (state, stored, rejected, _, _), = env.wait_state(code, name)
    assert (state, stored, rejected) == ("done", 4, 3)
    reasons = [r[0] for r in query(env.url, "SELECT reason FROM sensor.rejects WHERE topic LIKE"
                                   " %s ORDER BY id", f"ftp/{code}/{name}")]
    assert reasons == [f"{name} line 5: unknown symbol 'XYZ'",
                       f"{name} line 6: station {code} has no datastream for SO2 (so2 at a air"
                       " station)", f"{name} line 7: NO2: unknown unit 'grains'"]


@pytest.mark.parametrize(("make", "reason"), [
    (lambda c, t: (f"{c}-{vn(t)[:8]}.txt", b"pH\t7\t-\t" + vn(t).encode() + b"\t00"),
     "is neither"),
    (lambda c, t: (file_name("HN", "IOC", "SOMEONE", t), good(c, t)[1]),
     "the file names station 'SOMEONE'"),
    (lambda c, t: (file_name("HN", "IOC", c, t), f"Temp\t28\t°C\t{vn(t)}\t00".encode(
        "latin-1")), "not UTF-8"),
])
def test_malformed_files_are_rejected_with_their_reason(env: Env, make, reason):
    code = env.codes[2]
    t = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
    name, data = make(code, t)
    env.send(2, name, data)
    (state, _, _, why, file_id), = env.wait_state(code, name)
    assert state == "rejected" and reason in why
    assert (env.root / code / f"{name}.{file_id}.rejected").read_bytes() == data
    assert query(env.url, "SELECT count(*) FROM sensor.rejects WHERE topic = %s",
                 f"ftp/{code}/{name}")[0][0] == 1


def test_an_alias_is_accepted_as_the_station_code(env: Env):
    code = env.codes[0]
    t = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=25)
    _, data = good(code, t)
    name = f"{PREFIX}OLD{vn(t)}.txt"  # the old name form, with the declared alias
    env.send(0, name, data)
    assert env.wait_state(code, name)[0][:2] == ("done", 4)


def test_a_huge_file_is_refused_with_a_clear_reply(env: Env):
    code = env.codes[2]
    t = datetime.now(UTC).replace(microsecond=0)
    name = file_name("HN", "IOC", code, t)
    with pytest.raises(ftplib.error_perm, match="552 File larger than 20000 bytes"):
        env.send(2, name, b"PM10\t1\tug/m3\t" * 5000)
    assert "larger than 20000 bytes" in env.wait_state(code, name)[0][3]
    assert not (env.root / code / name).exists()


def test_accounts_are_confined_to_their_folder(env: Env):
    a, b = env.codes[1], env.codes[2]
    name = file_name("HN", "IOC", b, datetime.now(UTC).replace(microsecond=0))
    ftp = login(env.port, a, env.passwords[a])
    try:
        assert ftp.pwd() == "/"
        for escape in (f"/../{b}", f"../../{b}", f"/../../../{b}"):
            with pytest.raises(ftplib.error_perm, match="550"):
                ftp.cwd(escape)  # resolves inside a's own folder, where there is no such folder
            assert ftp.pwd() == "/"
        with pytest.raises(ftplib.error_perm, match="550"):
            ftp.storbinary(f"STOR ../../{b}/{name}", io.BytesIO(b"x"))
        with pytest.raises(ftplib.error_perm):
            ftp.delete("anything.txt")
        ftp.mkd(b)  # a folder named like the other account: still a's own
        ftp.storbinary(f"STOR /../{b}/{name}", io.BytesIO(good(b, datetime.now(UTC))[1]))
    finally:
        ftp.close()
    assert not list((env.root / b).rglob(name + "*"))
    assert "names station" in env.wait_state(a, f"{b}/{name}")[0][3]  # a's file, refused
    with pytest.raises(ftplib.error_perm, match="530"):
        login(env.port, b, env.passwords[a])
    with pytest.raises(ftplib.error_perm, match="530"):
        login(env.port, "anonymous", "x@example.org")


def test_late_files_are_stored_and_their_hours_recomputed(env: Env):
    code = env.codes[1]
    t = (datetime.now(UTC) - timedelta(days=40)).replace(minute=5, second=0, microsecond=0)
    name, data = good(code, t, pm25=50.0)
    env.send(1, name, data)
    assert env.wait_state(code, name)[0][:2] == ("done", 4)
    hour = t.replace(minute=0)

    def mean() -> list[tuple]:
        return query(env.url, "SELECT h.mean FROM sensor.hourly h JOIN sensor.datastreams d ON"
                     " d.id = h.datastream_id JOIN sensor.stations s ON s.id = d.station_id"
                     " WHERE s.code = %s AND d.property_code = 'pm25' AND h.hour = %s",
                     code, hour)

    assert wait_until(lambda: mean() == [(50.0,)])
    name2, data2 = good(code, t + timedelta(minutes=30), pm25=30.0)
    env.send(1, name2, data2)
    assert wait_until(lambda: mean() == [(40.0,)])


def test_kill_9_between_upload_and_commit_loses_and_doubles_nothing(env: Env):
    code = env.codes[2]
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=5)
    names = []
    ftp = login(env.port, code, env.passwords[code])
    for i in range(40):
        name, data = good(code, t0 + timedelta(minutes=5 * i))
        ftp.storbinary(f"STOR {name}", io.BytesIO(data))
        names.append(name)
    env.rx.kill9()  # right after the last 226: the last files are not committed yet
    ftp.close()
    cut_off = env.root / code / f".{names[-1]}.part"  # an upload the kill cut off midway
    cut_off.write_bytes(b"PM2,5\t3")
    before = env.count(code)
    env.rx.start()
    assert not cut_off.exists()  # removed at start: never read as a whole file
    for name in names:
        # a file committed just before the kill but not yet renamed is found again: duplicate
        states = [r[0] for r in env.wait_state(code, name)]
        assert states in (["done"], ["done", "duplicate"]), states
    assert env.count(code) == 40 * 4 >= before
    # a crash after the commit but before the rename: the file is back under its name
    done = next((env.root / code).glob(names[0] + ".*.done"))
    done.rename(env.root / code / names[0])
    env.rx.stop()
    env.rx.start()
    assert [r[0] for r in env.wait_state(code, names[0], 2)] == ["done", "duplicate"]
    assert env.count(code) == 160


def test_status_lists_received_done_and_rejected(env: Env):
    out = subprocess.run([IOCGIS, "ftp", "status", "--json", "--limit", "500"],
                         env={**os.environ, "IOC_DATABASE_URL": env.url,
                              "IOC_FTP_ROOT": str(env.root)},
                         capture_output=True, text=True, check=True)
    doc = json.loads(out.stdout)
    assert doc["counts"]["done"] >= 40 and doc["counts"]["rejected"] >= 3
    assert doc["counts"]["waiting on disk"] == 0
    assert {r["state"] for r in doc["files"]} >= {"done", "duplicate", "rejected"}


def test_relay_forwards_every_file_unchanged_once_across_outages(env: Env):
    from sensors.ftp.relay import Relay
    from sensors.ftp.settings import RelaySettings

    settings = RelaySettings(url=f"ftp://ministry:m1n1stry@127.0.0.1:{env.up_port}",
                             folder="/province01", queue=env.queue, max_backoff_s=1.0)
    queued = sorted(p.name for p in env.queue.iterdir())
    assert len(queued) >= 45  # every done file of this module, none of the rejected
    relay = Relay(settings, env.url)
    thread = threading.Thread(target=relay.run, kwargs={"poll": 0.2}, daemon=True)
    thread.start()  # the upstream is down: the relay backs off and retries
    try:
        time.sleep(1.5)
        assert len(list(env.queue.iterdir())) == len(queued) and relay.sent == 0
        env.upstream.start()
        assert wait_until(lambda: not any(env.queue.iterdir()), 60)
        # the upstream goes down and comes back: new files wait and then go
        env.upstream.stop()
        code = env.codes[0]
        t = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=3)
        name, data = good(code, t)
        env.send(0, name, data)
        env.wait_state(code, name)
        assert wait_until(lambda: any(env.queue.iterdir()), 10)
        env.upstream.start()
        assert wait_until(lambda: not any(env.queue.iterdir()), 60)
    finally:
        relay.stopping.set()
        thread.join(10)
    sent = {p.name: p.read_bytes() for p in env.up_dir.rglob("*.txt")}
    assert not list(env.up_dir.rglob(".*.part"))
    assert len(sent) == len(queued) + 1 == relay.sent
    local = {p.name.rsplit(".", 2)[0]: p.read_bytes() for p in env.root.rglob("*.done")}
    assert all(local[n] == b for n, b in sent.items())  # unchanged, byte for byte
    up = next(env.up_dir.rglob(name))
    assert up.parent.relative_to(env.up_dir).parts[:2] == ("province01", f"HN_IOC_{code}")
    # a crash after the upstream rename but before the queue entry was removed: not sent twice
    file_id = env.ledger(code, name)[0][4]
    (env.queue / f"{file_id}-{name}").write_bytes(data)
    relay2 = Relay(settings, env.url)
    relay2.run(once=True)
    assert (relay2.sent, relay2.skipped) == (0, 1)
    assert query(env.url, "SELECT count(*) FROM sensor.station_files WHERE state = 'done'"
                 " AND relayed_at IS NULL")[0][0] == 0


def _cli(env: Env, *args: str, extra: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([IOCGIS, *args], env={**os.environ, "IOC_DATABASE_URL": env.url,
                          **(extra or {})}, capture_output=True, text=True, timeout=120)


def test_account_rotation_prints_the_new_password_once_and_ends_the_old(env: Env):
    code = env.codes[0]
    out = _cli(env, "ftp", "account", code, "--json")
    assert out.returncode == 0, out.stderr
    new = json.loads(out.stdout)
    assert new["user"] == code and new["password"] != env.passwords[code]
    with pytest.raises(ftplib.error_perm, match="530"):
        login(env.port, code, env.passwords[code])
    login(env.port, code, new["password"]).close()
    env.passwords[code] = new["password"]
    stored = query(env.url, "SELECT password_hash FROM sensor.ftp_accounts WHERE code = %s", code)
    assert stored[0][0].startswith("scrypt$") and new["password"] not in stored[0][0]
    assert _cli(env, "ftp", "account", "NOSUCHSTATION").returncode == 1
    assert _cli(env, "ftp", "serve", "--passive-ports", "9-3").returncode == 2


def test_datalogger_simulator_sends_good_bad_late_and_resent_files(env: Env):
    code = env.codes[0]
    url = f"ftp://{code}:{env.passwords[code]}@127.0.0.1:{env.port}"
    before = len(query(env.url, "SELECT id FROM sensor.station_files WHERE account = %s", code))
    out = _cli(env, "datalogger", "simulate", "--url", url, "--files", "30", "--late-days", "7",
               "--bad-share", "0.3", "--resend-share", "0.3", "--seed", "4")
    assert out.returncode == 0, out.stderr
    sent = int(out.stdout.split()[0])
    assert sent > 30  # re-sends on top of the 30 cycles

    def states() -> list[str]:
        return [r[0] for r in query(env.url, "SELECT state FROM sensor.station_files WHERE"
                                    " account = %s ORDER BY id", code)][before:]

    assert wait_until(lambda: len(states()) == sent and "received" not in states())
    got = states()
    assert {"done", "duplicate", "rejected"} <= set(got)
    oldest = query(env.url, "SELECT min(measured_at) FROM sensor.station_files WHERE account = %s"
                   " AND state = 'done'", code)[0][0]
    assert oldest < datetime.now(UTC) - timedelta(days=6)


def test_files_for_mqtt_stations_go_to_the_relay_queue(env: Env, tmp_path: Path):
    code = env.codes[1]
    out = _cli(env, "relay", "produce", "--station", code, "--hours", "2",
               extra={"IOC_RELAY_QUEUE": str(tmp_path)})
    assert out.returncode == 0, out.stderr
    files = sorted(tmp_path.iterdir())
    assert files and all(p.name.startswith(f"mqtt-HN_IOC_{code}_") for p in files)
    from sensors.files.parser import parse_file

    parsed = parse_file(files[0].read_bytes(), files[0].name.removeprefix("mqtt-"))
    assert {x.symbol for x in parsed.lines} == {"PM2,5", "NO2", "CO", "Temp"}
    assert not parsed.rejects


def self_signed(cert: Path, key: Path) -> None:
    """A throw-away self-signed certificate for 127.0.0.1 (cryptography, no openssl binary)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    k = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    c = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
         .public_key(k.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
         .sign(k, hashes.SHA256()))
    cert.write_bytes(c.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(k.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()))


def test_ftps_is_required_when_a_certificate_is_configured(env: Env, tmp_path: Path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    self_signed(cert, key)
    rx = receiver(env.url, tmp_path / "ftps", tmp_path / "q", env.up_port, tmp_path / "rx.log")
    rx.env = {**rx.env, "IOC_FTP_TLS_CERT": str(cert), "IOC_FTP_TLS_KEY": str(key)}
    rx.start()
    try:
        code = env.codes[2]
        with pytest.raises(ftplib.error_perm, match="550 SSL/TLS required"):
            login(rx.port, code, env.passwords[code])
        ftp = ftplib.FTP_TLS(context=ssl._create_unverified_context())  # self-signed test cert
        ftp.connect("127.0.0.1", rx.port, timeout=20)
        ftp.login(code, env.passwords[code])
        ftp.prot_p()
        t = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
        name, data = good(code, t)
        assert ftp.storbinary(f"STOR {name}", io.BytesIO(data)).startswith("226")
        ftp.close()
        assert wait_until(lambda: bool(list((tmp_path / "ftps" / code).glob(name + ".*.d*"))))
    finally:
        rx.stop()
