"""Station-file tables (migration 0010_station_files): the file ledger, FTP accounts, aliases."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Table,
    Text,
    text,
)

from gis.tables.meta import metadata

ftp_accounts = Table(
    "ftp_accounts",
    metadata,
    Column("code", Text, ForeignKey("sensor.stations.code", ondelete="CASCADE",
                                    onupdate="CASCADE"), primary_key=True),
    Column("password_hash", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("rotated_at", DateTime(timezone=True), nullable=False),
    schema="sensor",
)

station_aliases = Table(
    "station_aliases",
    metadata,
    Column("alias", Text, primary_key=True),
    Column("station_code", Text, ForeignKey("sensor.stations.code", ondelete="CASCADE",
                                            onupdate="CASCADE"), nullable=False),
    schema="sensor",
)

station_files = Table(
    "station_files",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("account", Text, nullable=False),
    Column("path", Text, nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", LargeBinary, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("state", Text, nullable=False),
    Column("processed_at", DateTime(timezone=True)),
    Column("station_code", Text),
    Column("measured_at", DateTime(timezone=True)),
    Column("lines", Integer),
    Column("stored", Integer),
    Column("rejected_lines", Integer),
    Column("reason", Text),
    Column("relayed_at", DateTime(timezone=True)),
    Index("station_files_key_idx", "account", "path", "sha256"),
    Index("station_files_received_idx", "received_at"),
    Index("station_files_unrelayed_idx", "id",
          postgresql_where=text("state = 'done' AND relayed_at IS NULL")),
    schema="sensor",
)
