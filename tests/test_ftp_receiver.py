"""The FTP receiver end to end: real pyftpdlib server, real PostGIS — storage, rejects,
confinement, late files, kill -9, status, FTPS."""

from __future__ import annotations

import ftplib
import io
import json
import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sensors.files.names import file_name
from tests.fixtures.cli import iocgis
from tests.fixtures.ftp import PREFIX, Env, good, vn
from tests.ftp_support import login, query, receiver, wait_until


def test_upload_stores_converted_readings_once_and_marks_the_file_done(ftp_env: Env):
    code = ftp_env.codes[0]
    t = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    name, data = good(code, t, status="01")
    assert ftp_env.send(0, name, data, f"{t:%Y}/{t:%m}/{t:%d}").startswith("226")
    (state, stored, rejected, reason, file_id), = ftp_env.wait_state(code, name)
    assert (state, stored, rejected, reason) == ("done", 4, 0, None)
    rows = dict(query(ftp_env.url, "SELECT d.property_code, round(o.result::numeric, 1)::float"
                      " FROM sensor.observations o JOIN sensor.datastreams d ON d.id ="
                      " o.datastream_id JOIN sensor.stations s ON s.id = d.station_id"
                      " WHERE s.code = %s AND o.phenomenon_time = %s", code, t))
    assert rows == {"pm25": 35.0, "no2": 188.0, "co": 1200.0, "temperature": 29.5}
    quality = query(ftp_env.url, "SELECT o.quality FROM sensor.observations o JOIN"
                    " sensor.datastreams d ON d.id = o.datastream_id JOIN sensor.stations s"
                    " ON s.id = d.station_id WHERE s.code = %s AND d.property_code = 'pm25'"
                    " AND o.phenomenon_time = %s", code, t)
    assert quality == [("calibrating",)]
    folder = ftp_env.root / code / f"{t:%Y}" / f"{t:%m}" / f"{t:%d}"
    assert sorted(p.name for p in folder.iterdir()) == [f"{name}.{file_id}.done"]
    # the calibrating PM2.5 reading is left out of the hourly statistics
    hour = t.replace(minute=0, second=0)
    assert wait_until(lambda: query(ftp_env.url, "SELECT count(*) FROM sensor.hourly h JOIN"
                      " sensor.datastreams d ON d.id = h.datastream_id JOIN sensor.stations s ON"
                      " s.id = d.station_id WHERE s.code = %s AND h.hour = %s", code, hour)[0][0]
                      == 3)


def test_the_same_file_twice_stores_nothing_twice(ftp_env: Env):
    code = ftp_env.codes[1]
    t = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=20)
    name, data = good(code, t)
    ftp_env.send(1, name, data)
    ftp_env.wait_state(code, name)
    before = ftp_env.count(code)
    ftp_env.send(1, name, data, "again")
    states = [r[0] for r in ftp_env.wait_state(code, name, 2)]
    assert states == ["done", "duplicate"] and ftp_env.count(code) == before == 4


def test_bad_lines_are_rejected_with_file_and_line_and_good_lines_kept(ftp_env: Env):
    code = ftp_env.codes[1]
    t = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=15)
    name, data = good(code, t)
    s = vn(t)
    data += (f"XYZ\t1\tmg/L\t{s}\t00\r\nSO2\t5\tppb\t{s}\t00\r\n"
             f"NO2\t1\tgrains\t{s}\t00\r\n").encode()
    ftp_env.send(1, name, data)
    (state, stored, rejected, _, _), = ftp_env.wait_state(code, name)
    assert (state, stored, rejected) == ("done", 4, 3)
    reasons = [r[0] for r in query(ftp_env.url, "SELECT reason FROM sensor.rejects WHERE topic LIKE"
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
def test_malformed_files_are_rejected_with_their_reason(ftp_env: Env, make, reason):
    code = ftp_env.codes[2]
    t = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
    name, data = make(code, t)
    ftp_env.send(2, name, data)
    (state, _, _, why, file_id), = ftp_env.wait_state(code, name)
    assert state == "rejected" and reason in why
    assert (ftp_env.root / code / f"{name}.{file_id}.rejected").read_bytes() == data
    assert query(ftp_env.url, "SELECT count(*) FROM sensor.rejects WHERE topic = %s",
                 f"ftp/{code}/{name}")[0][0] == 1


def test_an_alias_is_accepted_as_the_station_code(ftp_env: Env):
    code = ftp_env.codes[0]
    t = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=25)
    _, data = good(code, t)
    name = f"{PREFIX}OLD{vn(t)}.txt"  # the old name form, with the declared alias
    ftp_env.send(0, name, data)
    assert ftp_env.wait_state(code, name)[0][:2] == ("done", 4)


def test_a_huge_file_is_refused_with_a_clear_reply(ftp_env: Env):
    code = ftp_env.codes[2]
    t = datetime.now(UTC).replace(microsecond=0)
    name = file_name("HN", "IOC", code, t)
    with pytest.raises(ftplib.error_perm, match="552 File larger than 20000 bytes"):
        ftp_env.send(2, name, b"PM10\t1\tug/m3\t" * 5000)
    assert "larger than 20000 bytes" in ftp_env.wait_state(code, name)[0][3]
    assert not (ftp_env.root / code / name).exists()


def test_accounts_are_confined_to_their_folder(ftp_env: Env):
    a, b = ftp_env.codes[1], ftp_env.codes[2]
    name = file_name("HN", "IOC", b, datetime.now(UTC).replace(microsecond=0))
    ftp = login(ftp_env.port, a, ftp_env.passwords[a])
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
    assert not list((ftp_env.root / b).rglob(name + "*"))
    assert "names station" in ftp_env.wait_state(a, f"{b}/{name}")[0][3]  # a's file, refused
    with pytest.raises(ftplib.error_perm, match="530"):
        login(ftp_env.port, b, ftp_env.passwords[a])
    with pytest.raises(ftplib.error_perm, match="530"):
        login(ftp_env.port, "anonymous", "x@example.org")


def test_late_files_are_stored_and_their_hours_recomputed(ftp_env: Env):
    code = ftp_env.codes[1]
    t = (datetime.now(UTC) - timedelta(days=40)).replace(minute=5, second=0, microsecond=0)
    name, data = good(code, t, pm25=50.0)
    ftp_env.send(1, name, data)
    assert ftp_env.wait_state(code, name)[0][:2] == ("done", 4)
    hour = t.replace(minute=0)

    def mean() -> list[tuple]:
        return query(ftp_env.url, "SELECT h.mean FROM sensor.hourly h JOIN sensor.datastreams d ON"
                     " d.id = h.datastream_id JOIN sensor.stations s ON s.id = d.station_id"
                     " WHERE s.code = %s AND d.property_code = 'pm25' AND h.hour = %s",
                     code, hour)

    assert wait_until(lambda: mean() == [(50.0,)])
    name2, data2 = good(code, t + timedelta(minutes=30), pm25=30.0)
    ftp_env.send(1, name2, data2)
    assert wait_until(lambda: mean() == [(40.0,)])


def test_kill_9_between_upload_and_commit_loses_and_doubles_nothing(ftp_env: Env):
    code = ftp_env.codes[2]
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=5)
    names = []
    ftp = login(ftp_env.port, code, ftp_env.passwords[code])
    for i in range(40):
        name, data = good(code, t0 + timedelta(minutes=5 * i))
        ftp.storbinary(f"STOR {name}", io.BytesIO(data))
        names.append(name)
    ftp_env.rx.kill9()  # right after the last 226: the last files are not committed yet
    ftp.close()
    cut_off = ftp_env.root / code / f".{names[-1]}.part"  # an upload the kill cut off midway
    cut_off.write_bytes(b"PM2,5\t3")
    before = ftp_env.count(code)
    ftp_env.rx.start()
    assert not cut_off.exists()  # removed at start: never read as a whole file
    for name in names:
        # a file committed just before the kill but not yet renamed is found again: duplicate
        states = [r[0] for r in ftp_env.wait_state(code, name)]
        assert states in (["done"], ["done", "duplicate"]), states
    assert ftp_env.count(code) == 40 * 4 >= before
    # a crash after the commit but before the rename: the file is back under its name
    done = next((ftp_env.root / code).glob(names[0] + ".*.done"))
    done.rename(ftp_env.root / code / names[0])
    ftp_env.rx.stop()
    ftp_env.rx.start()
    assert [r[0] for r in ftp_env.wait_state(code, names[0], 2)] == ["done", "duplicate"]
    assert ftp_env.count(code) == 160


def test_status_lists_received_done_and_rejected(ftp_env: Env):
    out = iocgis(ftp_env.url, "ftp", "status", "--json", "--limit", "500",
              env={"IOC_FTP_ROOT": str(ftp_env.root)})
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["counts"]["done"] >= 40 and doc["counts"]["rejected"] >= 3
    assert doc["counts"]["waiting on disk"] == 0
    assert {r["state"] for r in doc["files"]} >= {"done", "duplicate", "rejected"}


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


def test_ftps_is_required_when_a_certificate_is_configured(ftp_env: Env, tmp_path: Path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    self_signed(cert, key)
    rx = receiver(ftp_env.url, tmp_path / "ftps", tmp_path / "q", ftp_env.up_port,
                  tmp_path / "rx.log")
    rx.env = {**rx.env, "IOC_FTP_TLS_CERT": str(cert), "IOC_FTP_TLS_KEY": str(key)}
    rx.start()
    try:
        code = ftp_env.codes[2]
        with pytest.raises(ftplib.error_perm, match="550 SSL/TLS required"):
            login(rx.port, code, ftp_env.passwords[code])
        ftp = ftplib.FTP_TLS(context=ssl._create_unverified_context())  # self-signed test cert
        ftp.connect("127.0.0.1", rx.port, timeout=20)
        ftp.login(code, ftp_env.passwords[code])
        ftp.prot_p()
        t = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
        name, data = good(code, t)
        assert ftp.storbinary(f"STOR {name}", io.BytesIO(data)).startswith("226")
        ftp.close()
        assert wait_until(lambda: bool(list((tmp_path / "ftps" / code).glob(name + ".*.d*"))))
    finally:
        rx.stop()
