"""The PostgreSQL NOTIFY channels through which the sensors tell the map side what changed."""

from __future__ import annotations

#: The layer-change triggers of migration 0007 (payload: {"id", "source", "bbox"}).
LAYERS_CHANNEL = "iocgis_layers_changed"
#: The ingester, after each commit (payload: {"stations": [codes]}).
STATIONS_CHANNEL = "iocgis_stations_changed"
#: New exceedance alerts (the trigger of ``sensor.alerts``, migration 0006).
ALERTS_CHANNEL = "iocgis_alerts"
CHANNELS: tuple[str, ...] = (LAYERS_CHANNEL, STATIONS_CHANNEL, ALERTS_CHANNEL)
#: The change source (``layers.changes.source``, a layer's ``change_sources``) each channel's
#: notifications stand for; the layer channel carries its own source in the payload.
CHANNEL_SOURCES: dict[str, str] = {STATIONS_CHANNEL: "stations", ALERTS_CHANNEL: "alerts"}
