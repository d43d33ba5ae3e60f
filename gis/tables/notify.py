"""Notification and report tables (migration 0014_notify): subscriptions, the alert outbox the
triggers fill, episodes, deliveries (schema ``notify``) and the stored reports (``reports``)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    Table,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from gis.tables.meta import metadata

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("subscriber", Text, nullable=False),
    Column("channel", Text, nullable=False),
    Column("address", Text, nullable=False),
    Column("secret", Text, nullable=True),
    Column("kind", Text, nullable=False),
    Column("area", Text, nullable=False),
    Column("min_category", SmallInteger, nullable=False),
    Column("language", Text, nullable=False),
    Column("quiet_start", Time, nullable=True),
    Column("quiet_end", Time, nullable=True),
    Column("active", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("subscriptions_subscriber_idx", "subscriber"),
    schema="notify",
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("source", Text, nullable=False),
    Column("station_id", Integer, nullable=False),
    Column("payload", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    schema="notify",
)

episodes = Table(
    "episodes",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("kind", Text, nullable=False),
    Column(
        "station_id",
        Integer,
        ForeignKey("sensor.stations.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("subject", Text, nullable=False),
    Column("datastream_id", Integer, nullable=True),
    Column("period", Text, nullable=True),
    Column("level", SmallInteger, nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("last_at", DateTime(timezone=True), nullable=False),
    Column("noticed_at", DateTime(timezone=True), nullable=False),
    Column("closed_at", DateTime(timezone=True), nullable=True),
    # One open episode per (kind, station, subject).
    Index(
        "episodes_open_idx",
        "kind",
        "station_id",
        "subject",
        unique=True,
        postgresql_where=text("closed_at IS NULL"),
    ),
    schema="notify",
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column(
        "subscription_id",
        BigInteger,
        ForeignKey("notify.subscriptions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column(
        "episode_id",
        BigInteger,
        ForeignKey("notify.episodes.id", ondelete="SET NULL"),
        nullable=True,
    ),
    Column("phase", Text, nullable=False),
    Column("station_id", Integer, nullable=True),
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("payload", JSONB, nullable=False),
    Column("status", Text, nullable=False),
    Column("reason", Text, nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("last_error", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    # The notifier's queue: only what is still to be sent.
    Index(
        "deliveries_due_idx",
        "next_attempt_at",
        postgresql_where=text("status IN ('pending', 'retrying')"),
    ),
    Index("deliveries_subscription_idx", "subscription_id", "created_at"),
    Index("deliveries_episode_idx", "episode_id"),
    schema="notify",
)

reports = Table(
    "reports",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("kind", Text, nullable=False),
    Column("area", Text, nullable=False),
    Column("period", Text, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("fingerprint", Text, nullable=False),
    Column("summary", JSONB, nullable=False),
    Column("pdf", LargeBinary, nullable=False),
    Column("xlsx", LargeBinary, nullable=False),
    Column("generated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint(
        "kind", "area", "period", "revision", name="reports_kind_area_period_revision_key"
    ),
    schema="reports",
)
