"""``iocgis users`` and ``iocgis audit``: the real command against the test database."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from cli.users import parse_expiry
from gis.access import audit, keys
from gis.errors import InvalidInput
from gis.settings import to_libpq_url
from tests.fixtures.cli import iocgis


def _verify(database_url: str, key: str) -> tuple[str, str] | None:
    with psycopg.connect(to_libpq_url(database_url), user="iocgis_web", autocommit=True) as c:
        return keys.verify_key(c, key)


def test_add_key_list_revoke(database_url: str) -> None:
    name = f"cli-{uuid.uuid4().hex[:8]}"
    added = iocgis(database_url, "users", "add", name, "--role", "land", "--full-name", "Lê Văn C")
    assert added.returncode == 0, added.stderr
    key = added.stdout.strip()
    assert keys.KEY_RE.fullmatch(key), added.stdout  # the key alone on stdout
    assert "cannot be shown again" in added.stderr
    assert _verify(database_url, key) == (name, "land")

    rotated = iocgis(database_url, "users", "key", name, "--expires", "90d")
    assert rotated.returncode == 0, rotated.stderr
    second = rotated.stdout.strip()
    assert second != key and _verify(database_url, second) == (name, "land")

    listed = iocgis(database_url, "users", "list")
    assert listed.returncode == 0, listed.stderr
    line = next(ln for ln in listed.stdout.splitlines() if name in ln)
    assert "land" in line and "Lê Văn C" in line
    assert key not in listed.stdout and key[len("iocgis_") + 9 :] not in listed.stdout
    listed_json = iocgis(database_url, "users", "list", "--json").stdout
    data = {u["name"]: u for u in json.loads(listed_json)}
    assert [k["key_id"] for k in data[name]["keys"]] == [keys.key_id_of(k) for k in (key, second)]
    assert data[name]["keys"][1]["expires_at"] is not None
    assert "hash" not in json.dumps(data)

    first_id = keys.key_id_of(key)
    assert first_id is not None
    one = iocgis(database_url, "users", "revoke-key", first_id)
    assert one.returncode == 0 and _verify(database_url, key) is None
    assert _verify(database_url, second) == (name, "land")
    gone = iocgis(database_url, "users", "revoke", name)
    assert gone.returncode == 0 and "1 active key revoked" in gone.stdout
    assert _verify(database_url, second) is None
    again = iocgis(database_url, "users", "key", name)
    assert again.returncode == 2 and "revoked" in again.stderr


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("users", "add", "bad name", "--role", "land"), 2, "invalid user name"),
        (("users", "add", "ok-name", "--role", "root"), 2, "unknown role"),
        (("users", "add", "ok-name2", "--role", "land", "--expires", "soon"), 2, "--expires"),
        (("users", "revoke", "nobody-here"), 1, "no user 'nobody-here'"),
        (("users", "key", "nobody-here"), 1, "no user 'nobody-here'"),
        (("users", "revoke-key", "zzzzzzzz"), 1, "no API key"),
        (("audit", "--limit", "0"), 2, "limit must be between"),
    ],
)
def test_errors_are_one_clear_line(
    database_url: str, args: tuple[str, ...], code: int, message: str
) -> None:
    done = iocgis(database_url, *args)
    assert done.returncode == code, (done.stdout, done.stderr)
    assert message in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and done.stdout == ""


def test_duplicate_name_refused(database_url: str) -> None:
    name = f"dup-{uuid.uuid4().hex[:8]}"
    assert iocgis(database_url, "users", "add", name, "--role", "public").returncode == 0
    dup = iocgis(database_url, "users", "add", name, "--role", "admin")
    assert dup.returncode == 2 and "already exists" in dup.stderr and dup.stdout == ""


def test_audit_lists_who_saw_what(database_url: str) -> None:
    subject = f"official-{uuid.uuid4().hex[:8]}"
    with psycopg.connect(to_libpq_url(database_url), user="iocgis_web", autocommit=True) as c:
        c.execute("SET ROLE iocgis_land")
        for action, ids in (("parcel", [7]), ("export", list(range(1, 21)))):
            audit.record_view_sync(
                c, subject=subject, role="land", method="api_key", action=action,
                target=f"/{action}", parcel_ids=ids, client="10.0.0.9",
            )  # fmt: skip
    done = iocgis(database_url, "audit", "--subject", subject)
    assert done.returncode == 0, done.stderr
    lines = [ln for ln in done.stdout.splitlines() if subject in ln]
    assert len(lines) == 2 and "export" in lines[0] and "parcel" in lines[1]  # newest first
    assert "(+12)" in lines[0] and "10.0.0.9" in lines[1]
    rows = json.loads(iocgis(database_url, "audit", "--subject", subject, "--json").stdout)
    assert [r["parcel_ids"] for r in rows] == [list(range(1, 21)), [7]]
    one = json.loads(iocgis(database_url, "audit", "--subject", subject, "--limit", "1",
                            "--json").stdout)  # fmt: skip
    assert [r["action"] for r in one] == ["export"]
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    none = iocgis(database_url, "audit", "--subject", subject, "--since", tomorrow)
    assert none.returncode == 0 and subject not in none.stdout


def test_parse_expiry() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_expiry("90d", now) == now + timedelta(days=90)
    assert parse_expiry("12h", now) == now + timedelta(hours=12)
    assert parse_expiry("2w", now) == now + timedelta(weeks=2)
    assert parse_expiry(None) is None
    assert parse_expiry("2030-01-01") == datetime.fromisoformat("2030-01-01T00:00:00+07:00")
    for bad in ("0d", "90", "d", "-1d", "90y", "next week", "90d\nx"):
        with pytest.raises(InvalidInput):
            parse_expiry(bad, now)
