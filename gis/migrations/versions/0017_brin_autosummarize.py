"""The observation-time BRIN index summarises each page range as soon as it is full.

Without ``autosummarize`` a BRIN index summarises new page ranges only when VACUUM runs on the
partition; until then a time-range read scans every unsummarised range, which for the month
being written is all of it (measured at 1,000 stations, one month of 5-minute readings: a day
across stations read 64,452 buffers in 553 ms before summarising, 2,146 buffers in 25 ms after;
bench/bench_scale.py --readings). With it, autovacuum summarises the previous range whenever an
insert reaches the next one.

A partitioned index's options cannot be altered, so it is created again: one scan of each
partition, during which readings wait (the ingester holds them; nothing is lost).

Revision ID: 0017_brin_autosummarize
Revises: 0015_observations_brin
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0017_brin_autosummarize"
down_revision = "0015_observations_brin"
branch_labels = None
depends_on = None


def _create(options: str) -> None:
    op.execute("DROP INDEX sensor.observations_time_brin")
    op.execute(
        "CREATE INDEX observations_time_brin ON sensor.observations"
        f" USING brin (phenomenon_time) WITH ({options})"
    )


def upgrade() -> None:
    _create("pages_per_range = 32, autosummarize = on")


def downgrade() -> None:
    _create("pages_per_range = 32")
