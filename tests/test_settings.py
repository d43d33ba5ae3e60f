"""Settings: production refuses default secrets and passwords; the CLI says so in one line."""

from __future__ import annotations

import os
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from pydantic import ValidationError

from gis.db import borrowed, close_pools, connect
from gis.settings import DEV_SECRET_KEY, MIN_SECRET_LENGTH, Settings, get_settings
from tests.fixtures.cli import iocgis as run_iocgis

GOOD_SECRET = secrets.token_urlsafe(32)
GOOD_DB = "postgresql://iocgis:Xq7-long-random-db-pass@db:5432/iocgis"
GOOD_MQTT = "mqtt://ingest:Vb9-long-random-mqtt-pass@broker:1883"


@pytest.fixture()
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No IOC_ variable from the test run's environment (each case sets what it means)."""
    for name in [n for n in os.environ if n.startswith("IOC_")]:
        monkeypatch.delenv(name)
    yield


def production(**values: str) -> Settings:
    """Production settings from ``values`` over good ones, no .env file."""
    given = {"secret_key": GOOD_SECRET, "database_url": GOOD_DB, "mqtt_url": GOOD_MQTT, **values}
    return Settings(_env_file=None, environment="production", **given)  # type: ignore[call-arg, arg-type]


def test_production_accepts_good_values(clean_env: None) -> None:
    s = production()
    assert s.environment == "production" and s.secret_key == GOOD_SECRET
    assert production(mqtt_url="mqtt://broker:1883").mqtt_url == "mqtt://broker:1883"
    assert len(production(secret_key="k" * MIN_SECRET_LENGTH).secret_key) == MIN_SECRET_LENGTH


@pytest.mark.parametrize(
    ("values", "names"),
    [
        ({"secret_key": DEV_SECRET_KEY}, ["IOC_SECRET_KEY"]),
        ({"secret_key": "x" * (MIN_SECRET_LENGTH - 1)}, ["IOC_SECRET_KEY"]),
        ({"secret_key": ""}, ["IOC_SECRET_KEY"]),
        ({"database_url": "postgresql://postgres@127.0.0.1:5432/iocgis"}, ["IOC_DATABASE_URL"]),
        ({"database_url": "postgresql://postgres:postgres@db/iocgis"}, ["IOC_DATABASE_URL"]),
        ({"database_url": "postgresql://iocgis:iocgis@db/iocgis"}, ["IOC_DATABASE_URL"]),
        ({"database_url": "postgresql://iocgis:changeme@db/iocgis"}, ["IOC_DATABASE_URL"]),
        ({"database_url": "postgresql://iocgis@db/iocgis"}, ["IOC_DATABASE_URL"]),
        ({"mqtt_url": "mqtt://ingest:password@broker:1883"}, ["IOC_MQTT_URL"]),
        ({"mqtt_url": "mqtt://ingest:@broker:1883"}, ["IOC_MQTT_URL"]),
        (
            {
                "secret_key": DEV_SECRET_KEY,
                "database_url": "postgresql://a:secret@db/x",
                "mqtt_url": "mqtt://admin:admin@broker",
            },
            ["IOC_SECRET_KEY", "IOC_DATABASE_URL", "IOC_MQTT_URL"],
        ),
    ],
)
def test_production_refuses_defaults(
    clean_env: None, values: dict[str, str], names: list[str]
) -> None:
    with pytest.raises(ValidationError) as info:
        production(**values)
    message = "; ".join(str(e["msg"]) for e in info.value.errors())
    assert "refusing to start in production" in message
    for name in ("IOC_SECRET_KEY", "IOC_DATABASE_URL", "IOC_MQTT_URL"):
        assert (name in message) == (name in names), message


def test_production_from_the_environment(
    clean_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IOC_ENVIRONMENT", "production")
    with pytest.raises(ValidationError, match="IOC_SECRET_KEY"):
        Settings(_env_file=None)  # type: ignore[call-arg]
    monkeypatch.setenv("IOC_SECRET_KEY", GOOD_SECRET)
    monkeypatch.setenv("IOC_DATABASE_URL", GOOD_DB)
    assert Settings(_env_file=None).database_url == GOOD_DB  # type: ignore[call-arg]


def test_development_accepts_defaults(clean_env: None) -> None:
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert s.environment == "development" and s.secret_key == DEV_SECRET_KEY
    weak = Settings(_env_file=None, database_url="postgresql://postgres:postgres@x/y")  # type: ignore[call-arg]
    assert weak.database_url.endswith("@x/y")


def iocgis(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The real command with only ``env`` as IOC_ settings (no .env: run from the test dir)."""
    here = Path(__file__).resolve().parent
    return run_iocgis(None, *args, env=env, clean=True, cwd=here, timeout=60)


@pytest.mark.parametrize("command", [("serve", "--port", "1"), ("db", "current"),
                                     ("users", "list"), ("audit",)])  # fmt: skip
def test_cli_refuses_production_defaults_in_one_line(command: tuple[str, ...]) -> None:
    done = iocgis(*command, IOC_ENVIRONMENT="production", COLUMNS="60")
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr and "pydantic" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr  # one line even on a narrow terminal
    assert lines[0].startswith("error: invalid configuration: refusing to start in production")
    assert "IOC_SECRET_KEY" in lines[0]


def test_cli_error_never_shows_the_secrets() -> None:
    password, secret = "Zz9-very-private-password", "short-secret"
    done = iocgis("db", "current", IOC_ENVIRONMENT="production", IOC_SECRET_KEY=secret,
                  IOC_DATABASE_URL=f"postgresql://iocgis:{password}@db/iocgis")  # fmt: skip
    assert done.returncode == 2 and "IOC_SECRET_KEY" in done.stderr
    assert password not in done.stderr and secret not in done.stderr
    bad = iocgis("db", "current", IOC_STATEMENT_TIMEOUT_MS="5")
    assert bad.returncode == 2 and "IOC_STATEMENT_TIMEOUT_MS" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


@pytest.fixture()
def short_timeout(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """IOC_STATEMENT_TIMEOUT_MS=200 for this test (settings and engines re-read)."""
    monkeypatch.setenv("IOC_STATEMENT_TIMEOUT_MS", "200")
    get_settings.cache_clear()
    close_pools()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()
    close_pools()


def test_statement_timeout_on_every_connection(short_timeout: None) -> None:
    with connect() as conn:
        assert conn.execute("SHOW statement_timeout").fetchone() == ("200ms",)
        with pytest.raises(psycopg.errors.QueryCanceled):
            conn.execute("SELECT pg_sleep(2)")
    with connect(autocommit=True, statement_timeout_ms=0) as conn:  # a bulk job's own bound
        assert conn.execute("SHOW statement_timeout").fetchone() == ("0",)
    with borrowed() as pooled:  # the sync pools bound their sessions too
        assert pooled.execute("SHOW statement_timeout").fetchone() == ("200ms",)
