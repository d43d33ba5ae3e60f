"""``python -m sensors``: the ingester process alone (what ``iocgis ingest`` executes).

``iocgis ingest`` replaces itself with this entry point (same pid, same signals) so that the
long-running ingester does not carry every area's command modules (pandas, geopandas, …):
about 60 MB of memory instead of over 200 MB.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from types import FrameType

from gis.settings import get_settings
from sensors.ingester import IngestConfig, Ingester


def main(argv: list[str] | None = None) -> int:
    """Run the ingester until SIGTERM/SIGINT; flush, acknowledge, return 0."""
    ap = argparse.ArgumentParser(prog="python -m sensors", description=__doc__)
    ap.add_argument("--client-id", default="iocgis-ingester-1")
    ap.add_argument("--group", default="", help="shared-subscription group (scale-out)")
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--max-wait", type=float, default=0.2)
    ap.add_argument("--no-rollups", action="store_true", help="leave rollups to another worker")
    ap.add_argument("--retire", action="store_true",
                    help="leave the shared group: store what the session holds, delete it, exit")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = get_settings()
    ing = Ingester(IngestConfig(
        mqtt_url=settings.mqtt_url, database_url=settings.database_url,
        client_id=args.client_id, group=args.group or None, batch_messages=args.batch,
        max_wait=args.max_wait, receive_maximum=max(2 * args.batch, 20),
        rollups=not args.no_rollups, retire=args.retire,
    ))

    def on_signal(_sig: int, _frame: FrameType | None) -> None:
        ing.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    stats = ing.run()
    logging.getLogger("iocgis.ingest").info(
        "stopped: %d messages, %d readings (%d new), %d rejected, %d acknowledged",
        stats.messages, stats.readings, stats.inserted, stats.rejected, stats.acked)
    return 1 if ing.crashed else 0


if __name__ == "__main__":
    sys.exit(main())
