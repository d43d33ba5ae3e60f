"""Typed configuration read from the environment (prefix ``IOC_``)."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The development secret: refused outside development.
DEV_SECRET_KEY = "development-only-not-a-secret"
#: Passwords that are defaults somewhere (images, tutorials) and refused in production.
DEFAULT_PASSWORDS = frozenset({"", "postgres", "password", "iocgis", "changeme", "secret", "admin"})
MIN_SECRET_LENGTH = 32
WEAK = {*DEFAULT_PASSWORDS, None}
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/iocgis"


class Settings(BaseSettings):
    """Every setting of ioc-gis; read lazily through :func:`get_settings`."""

    # hide_input_in_errors: a refused setting's message must not print the secret it refused.
    model_config = SettingsConfigDict(
        env_prefix="IOC_", env_file=".env", extra="ignore", hide_input_in_errors=True
    )

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="PostgreSQL/PostGIS connection URL (libpq form).",
    )
    mqtt_url: str = Field(
        default="mqtt://127.0.0.1:1884",
        description="MQTT broker URL, mqtt://user:password@host:port.",
    )
    database_replica_urls: list[str] = Field(
        default_factory=list,
        description="Streaming replicas the web app reads from (JSON list of URLs); LISTEN and"
        " writes stay on database_url.",
    )
    replica_wait_ms: int = Field(
        default=200, ge=0,
        description="How long a read waits for a replica to replay the newest change before it"
        " reads the primary instead.",
    )  # fmt: skip
    environment: Literal["development", "production"] = "development"
    statement_timeout_ms: int = Field(default=60_000, ge=100)
    secret_key: str = Field(
        default=DEV_SECRET_KEY,
        description="Signs the pages' session cookies; 32+ random characters in production.",
    )
    smtp_url: str | None = Field(
        default=None,
        description="Outgoing mail for notifications: smtp://user:password@host:port or smtps://.",
    )
    smtp_from: str = Field(
        default="iocgis@localhost", description="Sender address of notification e-mails."
    )
    # The issuing office printed on cadastral extracts (gis/parcels/extract.py).
    office_name: str = Field(
        default="VĂN PHÒNG ĐĂNG KÝ ĐẤT ĐAI",
        description="Issuing office of cadastral extracts (its name as printed).",
    )
    office_parent: str = Field(
        default="SỞ NÔNG NGHIỆP VÀ MÔI TRƯỜNG",
        description="The body the issuing office belongs to (printed above its name).",
    )
    office_place: str = Field(
        default="Hà Nội", description="Place written before the date of an extract."
    )
    office_signer: str = Field(
        default="GIÁM ĐỐC", description="Title of the person who signs extracts for the office."
    )

    # Station-state thresholds (sensors/states.py; ⚠ our choices: the portals publish none).
    state_offline_minutes: int = Field(
        default=60, ge=1, description="No reading this long → offline."
    )
    state_flat_run: int = Field(
        default=6, ge=2, description="Identical latest readings → device fault."
    )
    state_out_of_range_run: int = Field(
        default=3, ge=1, description="Out-of-range rejects in the last hour → device fault."
    )
    state_about_ratio: float = Field(
        default=0.9, gt=0, le=1, description="A value at this share of a limit → about to exceed."
    )
    state_trend_hours: int = Field(
        default=3, ge=0, description="Rising this many hours, projected past a limit → trending."
    )

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Settings:
        """Outside development, refuse default or weak secrets (ValueError names the setting)."""
        if self.environment == "development":
            return self
        problems = []
        if self.secret_key == DEV_SECRET_KEY or len(self.secret_key) < MIN_SECRET_LENGTH:
            problems.append(f"IOC_SECRET_KEY must be set to {MIN_SECRET_LENGTH}+ random characters")
        if self.database_url == DEFAULT_DATABASE_URL:
            problems.append("IOC_DATABASE_URL must be set (the default has no password)")
        urls = [("IOC_DATABASE_URL", self.database_url), ("IOC_MQTT_URL", self.mqtt_url)]
        if self.smtp_url:
            urls.append(("IOC_SMTP_URL", self.smtp_url))
        for name, url in urls:
            parts = urlsplit(url)
            if url != DEFAULT_DATABASE_URL and parts.username and parts.password in WEAK:
                problems.append(f"{name} must carry a non-default password")
        if problems:
            raise ValueError("refusing to start in production: " + "; ".join(problems))
        return self

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL with the psycopg 3 driver named, for SQLAlchemy."""
        return to_sqlalchemy_url(self.database_url)


def to_sqlalchemy_url(url: str) -> str:
    """Name the psycopg 3 driver in a ``postgresql://`` URL (leaves other drivers alone)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def to_libpq_url(url: str) -> str:
    """Drop a SQLAlchemy driver suffix so psycopg and command-line tools accept the URL."""
    scheme, sep, rest = url.partition("://")
    return scheme.split("+", 1)[0] + sep + rest


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, read from the environment on first use."""
    return Settings()
