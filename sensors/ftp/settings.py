"""Settings of the FTP receiver (``IOC_FTP_*``) and of the relay upstream (``IOC_RELAY_*``)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_PORTS = re.compile(r"^(\d{1,5})-(\d{1,5})$")


def parse_port_range(text: str) -> range | None:
    """``A-B`` → the ports A..B included; empty → None (the system chooses passive ports)."""
    if not text:
        return None
    m = _PORTS.match(text.strip())
    if m is None:
        raise ValueError(f"passive ports {text[:20]!r} are not A-B")
    low, high = int(m.group(1)), int(m.group(2))
    if not 1024 <= low <= high <= 65535:
        raise ValueError(f"passive ports {text!r} must satisfy 1024 <= A <= B <= 65535")
    return range(low, high + 1)


class FtpSettings(BaseSettings):
    """The FTP receiver: where it listens, where files land, TLS and the size limit."""

    model_config = SettingsConfigDict(
        env_prefix="IOC_FTP_", env_file=".env", extra="ignore", hide_input_in_errors=True
    )

    host: str = Field(default="127.0.0.1", description="Address to listen on.")
    port: int = Field(default=2121, ge=0, le=65535, description="Control port (0: any free).")
    passive_ports: str = Field(default="", description="Passive data ports, A-B.")
    masquerade_address: str = Field(default="", description="Public address behind a NAT.")
    root: Path = Field(default=Path("var/ftp"), description="One folder per account below it.")
    tls_cert: Path | None = Field(default=None, description="PEM certificate: FTPS required.")
    tls_key: Path | None = Field(default=None, description="PEM private key of the certificate.")
    max_file_bytes: int = Field(default=1_000_000, ge=1024, description="Larger uploads refused.")
    max_connections: int = Field(default=2000, ge=1)

    @field_validator("tls_cert", "tls_key", mode="before")
    @classmethod
    def _unset(cls, value: object) -> object:
        return None if value == "" else value  # an empty variable (compose) means unset

    @field_validator("passive_ports")
    @classmethod
    def _ports(cls, value: str) -> str:
        parse_port_range(value)
        return value

    @model_validator(mode="after")
    def _tls_pair(self) -> FtpSettings:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("IOC_FTP_TLS_CERT and IOC_FTP_TLS_KEY go together")
        return self


class RelaySettings(BaseSettings):
    """The relay: the upstream FTP server (the Ministry's), its folder and the local queue."""

    model_config = SettingsConfigDict(
        env_prefix="IOC_RELAY_", env_file=".env", extra="ignore", hide_input_in_errors=True
    )

    url: str = Field(default="", description="ftp://user:password@host:port or ftps://…")
    folder: str = Field(default="/", description="Upstream folder the station trees go under.")
    queue: Path = Field(default=Path("var/relay"), description="Files waiting to be relayed.")
    max_backoff_s: float = Field(default=300.0, gt=0)
    timeout_s: float = Field(default=30.0, gt=0)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if value and urlsplit(value).scheme not in ("ftp", "ftps"):
            raise ValueError("IOC_RELAY_URL must be ftp://… or ftps://…")
        return value

    @property
    def enabled(self) -> bool:
        """True when an upstream is configured (the receiver then queues every done file)."""
        return bool(self.url)


@lru_cache(maxsize=1)
def ftp_settings() -> FtpSettings:
    """The receiver's settings, read from the environment once."""
    return FtpSettings()


@lru_cache(maxsize=1)
def relay_settings() -> RelaySettings:
    """The relay's settings, read from the environment once."""
    return RelaySettings()
