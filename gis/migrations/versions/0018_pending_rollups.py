"""An ingest commit no longer waits for the rollup worker's transaction.

Before, a trigger locked a pending (datastream, hour) pair that an ingest transaction met, so
that the worker (which skips locked pairs) could not take it before the transaction's readings
were committed. But when the worker had already taken the pair, the trigger and the primary
key made the ingest transaction wait for the worker's whole recomputation: with 1,000 stations
every rollup run (~0.7 s) stopped the commits (``bench/bench_ingest.py``: a 10,000-reading
commit took 60–100 ms, and 700–790 ms once a second).

Now the table may hold a pair more than once. The ingester inserts a pair unless it finds it
pending and not taken, and then locks it (``FOR KEY SHARE SKIP LOCKED``, ``sensors.store``),
so the worker still cannot take it early; a pair the worker holds is skipped and inserted again
at once, to be recomputed by the next run. The worker takes exact rows (by ``ctid``) and
recomputes each pair once (``sensors.rollups``).

Revision ID: 0018_pending_rollups
Revises: 0017_brin_autosummarize
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0018_pending_rollups"
down_revision = "0017_brin_autosummarize"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DROP TRIGGER pending_rollups_lock ON sensor.pending_rollups")
    op.execute("DROP FUNCTION sensor.lock_pending_rollup()")
    op.execute("ALTER TABLE sensor.pending_rollups DROP CONSTRAINT pending_rollups_pkey")
    op.execute("CREATE INDEX pending_rollups_pair_idx ON sensor.pending_rollups"
               " (datastream_id, hour)")


def _from_0006() -> str:
    """0006's own text of the lock trigger and its function (restored on downgrade).

    Read from the 0006 revision rather than retyped, as 0009 reads 0007's view.
    """
    import inspect

    from alembic import context  # the environment running this migration

    source = inspect.getsource(context.script.get_revision("0006_indices").module)
    start = source.index("CREATE FUNCTION sensor.lock_pending_rollup()")
    end_marker = "FOR EACH ROW EXECUTE FUNCTION sensor.lock_pending_rollup();"
    return source[start : source.index(end_marker, start) + len(end_marker)]


def downgrade() -> None:
    op.execute("DROP INDEX sensor.pending_rollups_pair_idx")
    op.execute("DELETE FROM sensor.pending_rollups a USING sensor.pending_rollups b"
               " WHERE a.datastream_id = b.datastream_id AND a.hour = b.hour"
               " AND a.ctid > b.ctid")
    op.execute("ALTER TABLE sensor.pending_rollups ADD PRIMARY KEY (datastream_id, hour)")
    op.execute(_from_0006())
