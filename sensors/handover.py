"""What the ingester's two processes hand each other, and the store process's entry point.

The MQTT process imports only this module and the transport: the parser, the database driver
and the rollup job load in the store process alone, so the two together stay within the
ingester's memory budget (``bench/bench_ingest.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

#: One message as handed over: topic, payload, received at (``time.time()``).
Wire = tuple[str, bytes, float]
#: One batch as handed over: its number and its messages.
Batch = tuple[int, list[Wire]]
READY = "ready"  # the store process's first reply: catalogue loaded, partitions made


@dataclass(frozen=True, slots=True)
class Committed:
    """The reply for one batch: ``ok`` means committed; otherwise leave it unacknowledged."""

    seq: int
    ok: bool
    staged: int = 0
    inserted: int = 0
    rejected: int = 0
    retries: int = 0  # database retries of the store process so far


def store_main(batches: Connection, replies: Connection, stopping: Event,
               database_url: str | None, rollups: bool) -> None:  # fmt: skip
    """Run the store process (the target the MQTT process spawns)."""
    from sensors.ingest_store import serve  # loaded here, in the store process only

    serve(batches, replies, stopping, database_url, rollups)
