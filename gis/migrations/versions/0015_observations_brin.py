"""A BRIN index on observation time: time-range reads across stations inside a partition.

``sensor.observations`` is partitioned by month (0005_sensor), so a time range prunes to its
months; inside a month the primary key (datastream, time) serves one station's series, while a
read of every station over an hour or a day (rollups, reports, completeness) had only a
sequential scan of the month. Readings arrive nearly in time order, which is what a BRIN index
(a few kB a month) needs. Created on the partitioned table, so every partition, present and
future, gets it.

Revision ID: 0015_observations_brin
Revises: 0008_access
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0015_observations_brin"
down_revision = "0008_access"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX observations_time_brin ON sensor.observations"
        " USING brin (phenomenon_time) WITH (pages_per_range = 32)"
    )


def downgrade() -> None:
    op.execute("DROP INDEX sensor.observations_time_brin")
