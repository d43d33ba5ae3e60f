"""The BRIN index of observation time (migrations 0015 and 0017: summarised as ranges fill)."""

from __future__ import annotations

from sqlalchemy import Index

from gis.tables.sensor import observations

Index(
    "observations_time_brin", observations.c.phenomenon_time,
    postgresql_using="brin", postgresql_with={"pages_per_range": 32, "autosummarize": "on"},
)
