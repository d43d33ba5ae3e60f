#!/usr/bin/env bash
# Start the project's Mosquitto (data/mosquitto/mosquitto.conf): trusted services (ingester,
# simulator) on 127.0.0.1:${IOC_MQTT_PORT:-1884}, stations on
# ${IOC_MQTT_STATION_BIND:-127.0.0.1}:${IOC_MQTT_STATION_PORT:-1885} (client id = account name);
# state under var/mosquitto (git-ignored). Idempotent: a running broker only re-reads its
# accounts and ACL (one account per registered station, plus ingester and simulator), or
# restarts (saving sessions and queues) when its listeners changed.
#   scripts/broker.sh          start (or reload)
#   scripts/broker.sh stop     stop (sessions and queues are saved)
# Then: export IOC_MQTT_URL=$(.venv/bin/iocgis broker url ingester)
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${IOC_MQTT_PORT:-1884}
STATION_PORT=${IOC_MQTT_STATION_PORT:-1885}
STATION_BIND=${IOC_MQTT_STATION_BIND:-127.0.0.1}
STATE=${IOC_MQTT_STATE:-var/mosquitto}
if [ "${1:-start}" = stop ]; then
  exec .venv/bin/iocgis broker stop --state "$STATE"
fi
.venv/bin/iocgis broker prepare --state "$STATE" --port "$PORT" \
  --station-port "$STATION_PORT" --station-bind "$STATION_BIND"
.venv/bin/iocgis broker start --state "$STATE" --port "$PORT"
