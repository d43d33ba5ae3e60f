"""``python -m sensors``: the ingester process alone (what ``iocgis ingest`` executes).

``iocgis ingest`` declares and checks the options (typer, ``cli/sensors.py``), then replaces
itself with this entry point (same pid, same signals), handing over the checked options as one
JSON argument, so that the long-running ingester does not carry every area's command modules
(pandas, geopandas, …): about 60 MB of memory instead of over 200 MB. Run ``iocgis ingest``,
not this module.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
from types import FrameType

from gis.settings import get_settings
from sensors.handover import LOG_FORMAT
from sensors.ingester import IngestConfig, Ingester

#: The options ``iocgis ingest`` hands over (the IngestConfig fields it sets).
OPTIONS = ("client_id", "group", "batch_messages", "max_wait", "rollups", "retire")


def main(argv: list[str] | None = None) -> int:
    """Run the ingester until SIGTERM/SIGINT; flush, acknowledge, return 0."""
    args = sys.argv[1:] if argv is None else argv
    try:
        options = json.loads(args[0]) if len(args) == 1 else None
    except json.JSONDecodeError:
        options = None
    if not isinstance(options, dict) or set(options) != set(OPTIONS):
        print("python -m sensors is what `iocgis ingest` runs: use iocgis ingest --help",
              file=sys.stderr)  # fmt: skip
        return 2
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format=LOG_FORMAT)
    settings = get_settings()
    ing = Ingester(IngestConfig(
        mqtt_url=settings.mqtt_url, database_url=settings.database_url,
        receive_maximum=max(2 * int(options["batch_messages"]), 20),
        **{**options, "group": options["group"] or None},
    ))  # fmt: skip

    def on_signal(_sig: int, _frame: FrameType | None) -> None:
        ing.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    stats = ing.run()
    logging.getLogger("iocgis.ingest").info(
        "stopped: %d messages, %d readings (%d new), %d rejected, %d acknowledged",
        stats.messages, stats.readings, stats.inserted, stats.rejected, stats.acked)  # fmt: skip
    return 1 if ing.crashed else 0


if __name__ == "__main__":
    sys.exit(main())
