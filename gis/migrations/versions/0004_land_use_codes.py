"""Land-use codes of Circular 08/2024/TT-BTNMT and the legacy codes mapped to them.

Seeded from data/land_use_codes.csv through gis.landuse. ⚠ DPC, DSH and SKN are unverified:
two public catalogues disagree on them (see gis.landuse.UNVERIFIED_CODES).

Revision ID: 0004_land_use_codes
Revises: 0003_land
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

from gis.landuse import read_code_table

revision = "0004_land_use_codes"
down_revision = "0003_land"
branch_labels = None
depends_on = None


def upgrade() -> None:
    codes, legacy = read_code_table()
    bind = op.get_bind()
    bind.execute(
        sa.text(
            "INSERT INTO land.land_use_codes"
            " (code, name_vi, name_en, land_group, category, sort_order)"
            " VALUES (:code, :name_vi, :name_en, :group, :category, :sort_order)"
        ),
        [c.__dict__ for c in codes],
    )
    bind.execute(
        sa.text(
            "INSERT INTO land.land_use_legacy_codes (legacy_code, code, note)"
            " VALUES (:legacy_code, :code, :note)"
        ),
        [lc.__dict__ for lc in legacy],
    )
    op.execute("ANALYZE land.land_use_codes, land.land_use_legacy_codes")


def downgrade() -> None:
    op.execute("DELETE FROM land.land_use_legacy_codes")
    op.execute("DELETE FROM land.land_use_codes")
