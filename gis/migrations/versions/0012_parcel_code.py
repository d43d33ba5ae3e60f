"""Parcel code: ``land.parcels.parcel_code`` (unique among current parcels) in the parcels view.

The code is the national parcel identification code (Circular 19/2026/TT-BNNMT Art. 11(3),
gis/parcels/code.py); stored versions get theirs here. ``layers.parcels`` gains two columns:
``parcel_code`` (public) and ``land_users_text``, the land users as one line of text
(``Name (ID number); Name``) for clients that cannot hold a JSON list (QGIS): personal data,
granted to ``iocgis_land`` only, like ``land_users``.

Revision ID: 0012_parcel_code
Revises: 0008_access
Create Date: 2026-12-02
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from alembic import op

revision = "0012_parcel_code"
down_revision = "0008_access"
branch_labels = None
depends_on = None


def _access() -> ModuleType:
    """Migration 0008, whose parcels view and public-column list this one extends."""
    path = Path(__file__).with_name("0008_access.py")
    spec = importlib.util.spec_from_file_location("iocgis_migration_0008_access", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ACCESS = _access()
#: Public columns this revision adds to layers.parcels (everyone reads them).
NEW_PUBLIC_COLUMNS = "parcel_code"
#: The public columns of layers.parcels after this revision (0008's list + the new ones).
PARCEL_COLUMNS = f"{ACCESS.PARCEL_COLUMNS}, {NEW_PUBLIC_COLUMNS}"

# New columns go last: CREATE OR REPLACE VIEW keeps the columns, grants and dependants it has.
_BASE = ACCESS.PARCELS_VIEW.removesuffix(ACCESS.CURRENT)
assert _BASE != ACCESS.PARCELS_VIEW, "migration 0008's parcels view changed shape"
PARCELS_VIEW = (
    _BASE
    + """,
       p.parcel_code,
       (SELECT string_agg(u.full_name || coalesce(' (' || u.id_number || ')', ''), '; '
                          ORDER BY u.full_name, u.id)
        FROM land.parcel_land_users l JOIN land.land_users u ON u.id = l.land_user_id
        WHERE l.parcel_id = p.id) AS land_users_text"""
    + ACCESS.CURRENT
)

COLUMN = r"""
ALTER TABLE land.parcels ADD COLUMN parcel_code text
    CHECK (parcel_code ~ '^[0-9b-hjkmnp-z]{12}$');
"""
INDEX = """
CREATE UNIQUE INDEX parcels_code_key ON land.parcels (parcel_code) WHERE valid_to IS NULL;
CREATE INDEX parcels_code_history_idx ON land.parcels (parcel_code);
"""


def upgrade() -> None:
    from gis.parcels.code import backfill, current_collisions

    op.execute(COLUMN)
    conn = op.get_bind().connection.driver_connection
    backfill(conn)  # type: ignore[arg-type]
    clashes = current_collisions(conn)  # type: ignore[arg-type]
    if clashes:
        listed = "; ".join(f"{c}: {a} and {b}" for c, a, b in clashes)
        raise RuntimeError(f"current parcels share a parcel code, fix them first: {listed}")
    op.execute(INDEX)
    op.execute(PARCELS_VIEW)
    op.execute(f"GRANT SELECT ({NEW_PUBLIC_COLUMNS}) ON land.parcels TO {ACCESS.READER}")
    op.execute(f"GRANT SELECT ({NEW_PUBLIC_COLUMNS}) ON layers.parcels TO {ACCESS.READER}")


def downgrade() -> None:
    # A view cannot lose columns in place: drop it and restore 0008's, with its grants.
    op.execute("DROP VIEW layers.parcels")
    op.execute(ACCESS.PARCELS_VIEW)
    op.execute(f"GRANT SELECT ({ACCESS.PARCEL_COLUMNS}) ON layers.parcels TO {ACCESS.READER}")
    op.execute("GRANT SELECT ON layers.parcels TO iocgis_land")
    op.execute("ALTER TABLE land.parcels DROP COLUMN parcel_code")
