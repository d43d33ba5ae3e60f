#!/usr/bin/env bash
# Start the project's Mosquitto (data/mosquitto/mosquitto.conf) on 127.0.0.1:${IOC_MQTT_PORT:-1884},
# state under var/mosquitto (git-ignored). Idempotent: a running broker only re-reads its
# accounts and ACL (one account per registered station, plus ingester and simulator).
#   scripts/broker.sh          start (or reload)
#   scripts/broker.sh stop     stop (sessions and queues are saved)
# Then: export IOC_MQTT_URL=$(.venv/bin/iocgis broker url ingester)
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${IOC_MQTT_PORT:-1884}
STATE=${IOC_MQTT_STATE:-var/mosquitto}
if [ "${1:-start}" = stop ]; then
  exec .venv/bin/iocgis broker stop --state "$STATE"
fi
.venv/bin/iocgis broker prepare --state "$STATE" --port "$PORT"
.venv/bin/iocgis broker start --state "$STATE" --port "$PORT"
