"""FTP accounts of stations and facility points: user name = station code, scrypt password hash."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading

import psycopg

from gis.errors import InvalidInput, NotFound

# scrypt cost: ~50 ms per check on one core; a successful check is cached (see Verifier).
_N, _R, _P = 2**14, 8, 1
RESERVED = ("ingester", "simulator", "anonymous", "ftp", "root", "admin")


def hash_password(password: str) -> str:
    """``scrypt$N$r$p$salt$hash`` (base64) of ``password`` with a fresh random salt."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${_N}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


def check_password(password: str, stored: str) -> bool:
    """True when ``password`` matches the stored scrypt hash (constant-time comparison)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        got = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n),
                             r=int(r), p=int(p), dklen=32)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, base64.b64decode(digest))


def set_account(conn: psycopg.Connection, code: str) -> str:
    """Create or rotate the account of station ``code``; returns the new password (shown once)."""
    if code.lower() in RESERVED or code.lower().startswith("iocgis-"):
        raise InvalidInput(f"{code!r} is a reserved account name")
    if conn.execute("SELECT 1 FROM sensor.stations WHERE code = %s", [code]).fetchone() is None:
        raise NotFound(f"no station or facility point {code!r}")
    password = secrets.token_urlsafe(18)
    conn.execute(
        "INSERT INTO sensor.ftp_accounts (code, password_hash) VALUES (%s, %s)"
        " ON CONFLICT (code) DO UPDATE SET password_hash = EXCLUDED.password_hash,"
        " rotated_at = now()",
        [code, hash_password(password)],
    )
    return password


def add_alias(conn: psycopg.Connection, alias: str, code: str) -> None:
    """Let station ``code``'s files carry ``alias`` as their station code."""
    if conn.execute("SELECT 1 FROM sensor.stations WHERE code = %s", [code]).fetchone() is None:
        raise NotFound(f"no station or facility point {code!r}")
    try:
        with conn.transaction():
            conn.execute("INSERT INTO sensor.station_aliases (alias, station_code) VALUES (%s, %s)"
                         " ON CONFLICT (alias) DO UPDATE SET station_code = EXCLUDED.station_code",
                         [alias, code])
    except psycopg.errors.CheckViolation:
        raise InvalidInput(f"alias {alias[:70]!r} is not 1-64 of A-Z a-z 0-9 _ . -") from None


def codes_of(conn: psycopg.Connection, code: str) -> set[str]:
    """The codes a station's files may name: its own and its aliases."""
    rows = conn.execute("SELECT alias FROM sensor.station_aliases WHERE station_code = %s",
                        [code]).fetchall()
    return {code, *(r[0] for r in rows)}


class Verifier:
    """Checks FTP logins against the database; a success is remembered until the hash changes.

    Dataloggers log in for every file: without the cache each login would cost one scrypt.
    """

    def __init__(self) -> None:
        self._ok: dict[str, tuple[str, bytes]] = {}  # code → (stored hash, HMAC of password)
        self._key = secrets.token_bytes(32)
        self._lock = threading.Lock()

    def verify(self, conn: psycopg.Connection, code: str, password: str) -> bool:
        """True when ``code`` has an account and ``password`` is its current one."""
        row = conn.execute("SELECT password_hash FROM sensor.ftp_accounts WHERE code = %s",
                           [code]).fetchone()
        conn.commit()
        if row is None:
            return False
        stored = row[0]
        mac = hmac.new(self._key, password.encode(), "sha256").digest()
        with self._lock:
            cached = self._ok.get(code)
        if cached is not None and cached[0] == stored and hmac.compare_digest(cached[1], mac):
            return True
        if not check_password(password, stored):
            return False
        with self._lock:
            self._ok[code] = (stored, mac)
        return True
