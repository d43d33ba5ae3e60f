"""Typed configuration read from the environment (prefix ``IOC_``)."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting of ioc-gis; read lazily through :func:`get_settings`."""

    model_config = SettingsConfigDict(env_prefix="IOC_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="postgresql://postgres@127.0.0.1:5432/iocgis",
        description="PostgreSQL/PostGIS connection URL (libpq form).",
    )
    mqtt_url: str = Field(
        default="mqtt://127.0.0.1:1884",
        description="MQTT broker URL, mqtt://user:password@host:port.",
    )
    environment: Literal["development", "production"] = "development"
    statement_timeout_ms: int = Field(default=60_000, ge=100)

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
