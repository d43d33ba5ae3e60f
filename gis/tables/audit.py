"""The append-only log of personal-data views (migration 0008_access)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Index, Table, Text
from sqlalchemy.dialects.postgresql import ARRAY

from gis.tables.meta import metadata

personal_data_views = Table(
    "personal_data_views",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("subject", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("method", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("target", Text, nullable=True),
    Column("parcel_ids", ARRAY(BigInteger), nullable=False),
    Column("client", Text, nullable=True),
    Index("personal_data_views_at_idx", "at"),
    Index("personal_data_views_subject_idx", "subject", "at"),
    schema="audit",
)
