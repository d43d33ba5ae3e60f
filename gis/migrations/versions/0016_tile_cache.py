"""A vector-tile cache shared by every web worker and app instance (UNLOGGED table).

Keyed by (layer set, role, z, x, y); holds the tile as served (gzip bytes, entity tag, the
layers cut at their cap, the ids of personal-data features a hit must audit). UNLOGGED: a cache
needs no WAL (fast writes, emptied after a crash, not copied to standbys — each replica-reading
instance still uses the primary's table). Only the web login role (``iocgis_web``, the app's own
connection before ``SET ROLE``) reads and writes it; no request role does, so a tile made for
one role is only ever handed out by the app, which keys it by the caller's role.

Revision ID: 0016_tile_cache
Revises: 0008_access
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0016_tile_cache"
down_revision = "0008_access"
branch_labels = None
depends_on = None

WEB = "iocgis_web"


def upgrade() -> None:
    op.execute(
        """
CREATE UNLOGGED TABLE layers.tile_cache (
    layer_set text NOT NULL,
    role text NOT NULL,
    z smallint NOT NULL,
    x integer NOT NULL,
    y integer NOT NULL,
    layer_ids text[] NOT NULL,
    gzipped bytea NOT NULL,
    etag text NOT NULL,
    cut text[] NOT NULL,
    personal_ids bigint[] NOT NULL,
    filled_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (layer_set, role, z, x, y)
);
CREATE INDEX tile_cache_zxy ON layers.tile_cache (z, x, y);
"""
    )
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON layers.tile_cache TO {WEB}")
    # 0008's default privileges give every reader SELECT on new tables of this schema: not this one.
    op.execute("REVOKE ALL ON layers.tile_cache FROM iocgis_reader")


def downgrade() -> None:
    op.execute("DROP TABLE layers.tile_cache")
