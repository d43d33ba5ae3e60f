"""The notifier's policy knobs (environment ``IOC_NOTIFY_*``); SMTP lives in gis.settings."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class NotifySettings(BaseSettings):
    """Reminders, rate limits, retries and links (⚠ our choices: no regulation sets them)."""

    model_config = SettingsConfigDict(env_prefix="IOC_NOTIFY_")

    #: While an exceedance or AQI episode lasts, remind at most every this many (data) hours.
    reminder_hours: float = 6.0
    #: Deliveries one subscriber may receive per hour (start/reminder/escalation; ends pass).
    user_per_hour: int = 20
    #: Deliveries one subscription may receive about one station per hour.
    station_per_hour: int = 4
    #: Webhook/e-mail retries: first after ``retry_base_s``, doubling, ``max_attempts`` in all.
    retry_base_s: float = 30.0
    max_attempts: int = 6
    #: Network timeout of one SMTP or webhook attempt.
    timeout_s: float = 20.0
    #: Base URL of the pages, for the link in every message.
    page_url: str = "http://127.0.0.1:8000"
    #: Quiet hours never hold back an AQI of this category rank or worse (5 = Rất xấu).
    severe_category: int = 5
    #: ... nor an exceedance of at least this multiple of its limit.
    severe_ratio: float = 2.0
    #: How often the notifier polls when no NOTIFY wakes it.
    poll_s: float = 5.0


@lru_cache(maxsize=1)
def get_notify_settings() -> NotifySettings:
    """The notifier's settings (read once from the environment)."""
    return NotifySettings()
