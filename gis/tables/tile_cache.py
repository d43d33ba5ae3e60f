"""The shared vector-tile cache (migration 0016_tile_cache), read by ``layers.sharedcache``."""

from __future__ import annotations

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    Table,
    Text,
    text,
)

from gis.tables.meta import metadata

tile_cache = Table(
    "tile_cache",
    metadata,
    Column("layer_set", Text, primary_key=True),
    Column("role", Text, primary_key=True),
    Column("z", SmallInteger, primary_key=True),
    Column("x", Integer, primary_key=True),
    Column("y", Integer, primary_key=True),
    Column("layer_ids", ARRAY(Text), nullable=False),
    Column("gzipped", LargeBinary, nullable=False),
    Column("etag", Text, nullable=False),
    Column("cut", ARRAY(Text), nullable=False),
    Column("personal_ids", ARRAY(BigInteger), nullable=False),
    Column("filled_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    schema="layers",
    prefixes=["UNLOGGED"],
)
Index("tile_cache_zxy", tile_cache.c.z, tile_cache.c.x, tile_cache.c.y)
