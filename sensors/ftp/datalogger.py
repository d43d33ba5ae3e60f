"""A datalogger simulator: writes Circular 10/2021 station files and uploads them by FTP.

It produces what field dataloggers really send: a file per station and cycle, calibration and
device-error lines, late files (the 60-day backfill after an outage), re-sends of files
already delivered, and broken files (bad names, units, symbols, encodings, truncated lines).
"""

from __future__ import annotations

import ftplib
import io
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

import psycopg

from sensors.files.format import render
from sensors.files.names import file_name, format_vietnam_time
from sensors.files.symbols import symbol_for
from sensors.properties import get_property
from sensors.simulate import SimStation, level

#: How files spell our units (the inverse of sensors.files.units' spellings).
FILE_UNITS = {"ug/m3": "µg/Nm3", "mg/m3": "mg/Nm3", "mg/L": "mg/L", "ug/L": "ug/L",
              "Cel": "°C", "[pH]": "-", "%": "%", "[NTU]": "NTU", "uS/cm": "uS/cm",
              "m3/h": "m3/h", "{Pt-Co}": "Pt-Co", "kPa": "kPa"}
BAD_KINDS = ("name", "unit", "symbol", "encoding", "fields", "status", "station")


@dataclass(frozen=True, slots=True)
class FileLine:
    """One line to write."""

    symbol: str
    value: float
    unit: str
    time: datetime
    status: str


def station(conn: psycopg.Connection, code: str) -> SimStation | None:
    """Station ``code`` with its parameters, or None when it has no datastreams."""
    row = conn.execute(
        "SELECT s.code, s.kind, array_agg(d.property_code ORDER BY d.id) FROM sensor.stations s"
        " JOIN sensor.datastreams d ON d.station_id = s.id WHERE s.code = %s"
        " GROUP BY s.code, s.kind", [code]).fetchone()
    return SimStation(row[0], row[1], tuple(row[2])) if row else None


def lines(st: SimStation, t: datetime, rng: random.Random, status: str = "00") -> list[FileLine]:
    """One cycle's lines for every parameter the file format has a symbol for."""
    out = []
    for code in st.parameters:
        sym, prop = symbol_for(st.kind, code), get_property(st.kind, code)
        if sym is None or prop is None or prop.unit not in FILE_UNITS:
            continue
        out.append(FileLine(sym.symbol, level(code, st.kind, t, rng), FILE_UNITS[prop.unit], t,
                            status))
    return out


def good_file(st: SimStation, t: datetime, rng: random.Random, province: str = "HN",
              facility: str = "IOC", status: str = "00") -> tuple[str, bytes]:
    """(name, bytes) of a well-formed file of station ``st`` measured at ``t``."""
    return file_name(province, facility, st.code, t), render(lines(st, t, rng, status))


def bad_file(st: SimStation, t: datetime, rng: random.Random, kind: str) -> tuple[str, bytes]:
    """(name, bytes) of a broken file of one of the kinds in BAD_KINDS."""
    name, data = good_file(st, t, rng)
    stamp = format_vietnam_time(t)
    if kind == "name":
        return f"{st.code}-{stamp[:8]}.txt", data
    if kind == "unit":
        return name, data + f"PM10\t12\tgrains/ft3\t{stamp}\t00\r\n".encode()
    if kind == "symbol":
        return name, data + f"XYZ\t1.5\tmg/L\t{stamp}\t00\r\n".encode()
    if kind == "encoding":
        return name, f"Temp\t28\t\u00b0C\t{stamp}\t00\r\n".encode("latin-1")
    if kind == "fields":
        return name, data + b"COD\t12.5\r\n"
    if kind == "status":
        return name, data + f"pH\t7.1\t-\t{stamp}\t09\r\n".encode()
    if kind == "station":
        return file_name("HN", "IOC", "NOT" + st.code, t), data
    raise ValueError(f"unknown bad file kind {kind!r}")


@dataclass
class Plan:
    """What to send: how many cycles, from when, and the share of bad files and re-sends."""

    files: int = 12
    start: datetime | None = None  # default: ``files`` cycles back from now
    step: timedelta = timedelta(minutes=5)
    bad_share: float = 0.0
    resend_share: float = 0.0
    status_share: float = 0.02  # lines flagged calibrating or device error
    seed: int = 1


def files(st: SimStation, plan: Plan, now: datetime) -> Iterator[tuple[str, bytes]]:
    """The files of ``plan`` in sending order (re-sends follow the file they repeat)."""
    rng = random.Random(plan.seed)
    start = plan.start or now - plan.step * plan.files
    for i in range(plan.files):
        t = (start + plan.step * i).replace(microsecond=0)
        if rng.random() < plan.bad_share:
            yield bad_file(st, t, rng, rng.choice(BAD_KINDS))
            continue
        status = "00"
        if rng.random() < plan.status_share:
            status = rng.choice(("01", "02"))
        item = good_file(st, t, rng, status=status)
        yield item
        if rng.random() < plan.resend_share:
            yield item


class Uploader:
    """Uploads files to a station's folder ``<yyyy>/<MM>/<dd>/`` on an FTP server."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        self.url = urlsplit(url)
        if self.url.scheme not in ("ftp", "ftps"):
            raise ValueError("the receiver's URL must be ftp://user:password@host:port")
        self.timeout = timeout
        self.ftp: ftplib.FTP | None = None

    def _connect(self) -> ftplib.FTP:
        if self.ftp is None:
            u = self.url
            ftp: ftplib.FTP = ftplib.FTP_TLS() if u.scheme == "ftps" else ftplib.FTP()
            ftp.connect(u.hostname or "127.0.0.1", u.port or 21, timeout=self.timeout)
            ftp.login(unquote(u.username or ""), unquote(u.password or ""))
            if isinstance(ftp, ftplib.FTP_TLS):
                ftp.prot_p()
            self.ftp = ftp
        return self.ftp

    def upload(self, name: str, data: bytes, folder: str | None = None) -> str:
        """Store one file (in ``folder`` or its date's folder); returns the server's reply."""
        ftp = self._connect()
        ftp.cwd("/")
        if folder is None:
            folder = _date_folder(name)
        for part in PurePosixPath(folder).parts:
            if part in ("/", ""):
                continue
            try:
                ftp.cwd(part)
            except ftplib.error_perm:
                ftp.mkd(part)
                ftp.cwd(part)
        return ftp.storbinary(f"STOR {name}", io.BytesIO(data))

    def close(self) -> None:
        """Log out."""
        if self.ftp is not None:
            try:
                self.ftp.quit()
            except (ftplib.Error, OSError, EOFError):
                self.ftp.close()
            self.ftp = None


def _date_folder(name: str) -> str:
    digits = name.removesuffix(".txt")[-14:]
    if len(digits) == 14 and digits.isdigit():
        return f"{digits[:4]}/{digits[4:6]}/{digits[6:8]}"
    return "/"

